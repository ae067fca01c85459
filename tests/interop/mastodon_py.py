"""A real Mastodon client library (Mastodon.py) driving Burrow end to end.

    python3 mastodon_py.py <alice base URL> <password> <bob handle>

Registers an app, logs in through the real authorize page (posting the form
as a person would), posts with media and a content warning, pages through
timelines, favourites, boosts, bookmarks, pins, edits, deletes, follows a
second Burrow instance's owner, reads notifications, searches, and revokes
the token. Prints `N passed, N failed` and exits non-zero on any failure.
"""
import html
import io
import re
import struct
import sys
import time
import urllib.parse
import zlib

import requests
from mastodon import Mastodon

base, password, bob_handle = sys.argv[1], sys.argv[2], sys.argv[3]
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]
passed, failed = 0, 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


def png(w=64, h=48):
    """A small gradient PNG, written by hand so no imaging library is needed."""
    rows = b"".join(b"\x00" + b"".join(bytes([x * 4 % 256, y * 5 % 256, 90]) for x in range(w)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# 1. App registration and the authorization-code flow through the real page.
client_id, client_secret = Mastodon.create_app("Burrow interop", api_base_url=base, redirect_uris=OOB, scopes=SCOPES)
check("app registered", bool(client_id and client_secret))
m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, version_check_mode="none")
auth_url = m.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
page = requests.get(auth_url, timeout=10)
check("authorize page shows the app", page.status_code == 200 and "Burrow interop" in page.text)
fields = {n: html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
fields["password"] = password
fields["decision"] = "approve"
action = urllib.parse.urljoin(auth_url, "/oauth/authorize")
answer = requests.post(action, data=fields, timeout=30, allow_redirects=False)
code = re.search(r'id="code"[^>]*value="([^"]+)"', answer.text)
check("approving shows the code", answer.status_code == 200 and code is not None)
m.log_in(code=html.unescape(code.group(1)), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
me = m.account_verify_credentials()
check("logged in as the owner", me["username"] == "alice" and me["source"] is not None)

# 2. Posting with media and a content warning.
media = m.media_post(io.BytesIO(png()), mime_type="image/png", description="a test pattern")
check("media uploaded", media["type"] == "image" and media["description"] == "a test pattern")
st = m.status_post("hello from Mastodon.py #interop", media_ids=[media["id"]], spoiler_text="a warning")
check("status posted with media and CW", st["spoiler_text"] == "a warning" and len(st["media_attachments"]) == 1)
ids = [st["id"]]
for i in range(24):
    ids.append(m.status_post(f"filler {i}")["id"])

# 3. Timelines, page by page.
page1 = m.timeline_home(limit=20)
check("home page 1 has 20", len(page1) == 20)
page2 = m.fetch_next(page1)
check("home page 2 continues older", page2 is not None and len(page2) >= 5 and int(page2[0]["id"]) < int(page1[-1]["id"]))
public = m.timeline_public(local=True, limit=5)
check("local timeline", len(public) == 5)

# 4. Interactions.
check("favourite", m.status_favourite(st["id"])["favourited"])
check("boost", m.status_reblog(st["id"])["reblog"]["id"] == st["id"])
check("bookmark", m.status_bookmark(st["id"])["bookmarked"])
check("pin", m.status_pin(st["id"])["pinned"])
edited = m.status_update(st["id"], "edited from Mastodon.py", spoiler_text="a warning", media_ids=[media["id"]])
check("edit", "edited" in edited["content"] and edited["edited_at"] is not None)
check("history kept", len(m.status_history(st["id"])) >= 2)
gone = m.status_delete(ids[-1])
check("delete returns the source", gone.get("text") == "filler 23")

# 5. Following the second instance's owner.
found = m.search_v2(bob_handle, resolve=True)
check("remote account found", len(found["accounts"]) == 1)
rel = m.account_follow(found["accounts"][0]["id"])
check("follow sent", rel["following"] or rel["requested"])
for _ in range(50):
    if m.account_relationships(found["accounts"][0]["id"])[0]["following"]:
        break
    time.sleep(0.2)
check("follow accepted", m.account_relationships(found["accounts"][0]["id"])[0]["following"])

# 6. Notifications and search.
check("notifications readable", isinstance(m.notifications(), list))
check("hashtag search", any(t["name"] == "interop" for t in m.search_v2("interop")["hashtags"]))

# 7. Revoking the token.
m.revoke_access_token(allow_http=True)
try:
    m.account_verify_credentials()
    check("revoked token refused", False)
except Exception:
    check("revoked token refused", True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
