"""A real Mastodon client library (Mastodon.py) driving Burrow end to end.

    python3 mastodon_py.py <alice base URL> <password> <bob handle> <bob base URL>

Registers an app, logs in through the real authorize page (posting the form
as a person would), posts with media and a content warning, pages through
timelines, favourites, boosts, bookmarks, pins, edits, deletes, follows a
second Burrow instance's owner, reads notifications and searches. Then logs
in as that second owner too and goes through what the two do together: a
direct conversation, a poll answered from the other server, keyword filters
(warn and hide) on his posts, a list; and what the first owner does alone:
grouped notifications and markers, featured tags, avatar and header, alt
text edited after posting, the user stream. Revoking the token last also
ends the stream opened with it. Prints `N passed, N failed` and exits non-zero on any failure.
"""
import html
import io
import re
import struct
import sys
import threading
import time
import urllib.parse
import zlib

import requests
from mastodon import Mastodon, StreamListener

base, password, bob_handle, bob_base = sys.argv[1:5]
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
def log_in(base, username, note):
    client_id, client_secret = Mastodon.create_app("Burrow interop", api_base_url=base, redirect_uris=OOB, scopes=SCOPES)
    check(f"{note}app registered", bool(client_id and client_secret))
    # The default version check, as an app gets it: calls newer than the
    # version Burrow claims would be refused by the library itself.
    c = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    check(f"{note}claimed version understood", c.verify_minimum_version("4.3.0", cached=True))
    auth_url = c.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    page = requests.get(auth_url, timeout=10)
    check(f"{note}authorize page shows the app", page.status_code == 200 and "Burrow interop" in page.text)
    fields = {n: html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    fields["password"] = password
    fields["decision"] = "approve"
    action = urllib.parse.urljoin(auth_url, "/oauth/authorize")
    answer = requests.post(action, data=fields, timeout=30, allow_redirects=False)
    code = re.search(r'id="code"[^>]*value="([^"]+)"', answer.text)
    check(f"{note}approving shows the code", answer.status_code == 200 and code is not None)
    c.log_in(code=html.unescape(code.group(1)), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    me = c.account_verify_credentials()
    check(f"{note}logged in as the owner", me["username"] == username and me["source"] is not None)
    return c, me


m, me = log_in(base, "alice", "")

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

# 7. What the second instance's owner does, seen from both sides.
def wait_for(probe, tries=50, delay=0.2):
    """Asks `probe` until it returns something truthy, a bounded number of times."""
    for _ in range(tries):
        got = probe()
        if got:
            return got
        time.sleep(delay)
    return None


def served_as_image(url):
    r = requests.get(url, timeout=10)
    return r.status_code == 200 and r.headers.get("content-type", "").startswith("image/")


bob, _ = log_in(bob_base, "bob", "bob: ")
alice_handle = f"alice@{urllib.parse.urlparse(base).netloc}"
bob_id = found["accounts"][0]["id"]

# 7a. Lists, made before bob posts so his next posts land in it.
lst = m.list_create("interop friends")
check("list created", lst["title"] == "interop friends")
m.list_accounts_add(lst["id"], [bob_id])
check("list holds bob", [a["id"] for a in m.list_accounts(lst["id"])] == [bob_id])

# 7b. Conversations: bob writes alice a direct message.
check("bob finds alice", len(bob.search_v2(alice_handle, resolve=True)["accounts"]) == 1)
bob.status_post(f"@{alice_handle} a private word", visibility="direct")
convs = wait_for(lambda: m.conversations())
check("conversation arrives", convs is not None and len(convs) == 1)
if convs:
    conv = convs[0]
    check("conversation unread, with bob", conv["unread"] and [a["id"] for a in conv["accounts"]] == [bob_id])
    check("conversation marked read", not m.conversations_read(conv["id"])["unread"])
    reply = m.status_reply(conv["last_status"], "a private answer")
    check("reply is direct", reply["visibility"] == "direct")
    after = m.conversations()
    check("still one conversation", len(after) == 1 and after[0]["last_status"]["id"] == reply["id"]
          and not after[0]["unread"])
    theirs = wait_for(lambda: [c for c in bob.conversations() if "private answer" in c["last_status"]["content"]])
    check("bob's side has the answer, unread", theirs is not None and len(theirs) == 1 and theirs[0]["unread"])

# 7c. Polls: alice asks, bob votes from his server.
asked = m.status_post("tea or coffee? #breakfast", poll=m.make_poll(["tea", "coffee"], expires_in=3600))
check("poll posted", [o["title"] for o in asked["poll"]["options"]] == ["tea", "coffee"])
copy = bob.search_v2(asked["url"], resolve=True)["statuses"]
check("bob resolves the poll", len(copy) == 1 and copy[0]["poll"] is not None)
if copy and copy[0]["poll"]:
    voted = bob.poll_vote(copy[0]["poll"]["id"], [1])
    check("bob's vote recorded on his copy", voted["voted"] and voted["own_votes"] == [1])
    counted = wait_for(lambda: m.poll(asked["poll"]["id"])["votes_count"] == 1)
    poll_now = m.poll(asked["poll"]["id"])
    check("alice's poll counts the vote", counted and poll_now["options"][1]["votes_count"] == 1)

# 7d. Keyword filters: warn shows with `filtered`, hide leaves it out.
warn = m.create_filter_v2("interop warn", ["home"], "warn", keywords_attributes=[{"keyword": "durian", "whole_word": True}])
check("warn filter created", warn["filter_action"] == "warn" and warn["keywords"][0]["keyword"] == "durian")
smelly = bob.status_post("I brought durian for everyone")


def home_copy():
    return next((s for s in m.timeline_home(limit=10) if s["account"]["id"] == bob_id and "durian" in s["content"]), None)


seen = wait_for(home_copy)
check("warned post in home, marked filtered", seen is not None and seen["filtered"]
      and seen["filtered"][0]["filter"]["title"] == "interop warn" and seen["filtered"][0]["keyword_matches"] == ["durian"])
check("list timeline has bob's post", any("durian" in s["content"] for s in m.timeline_list(lst["id"])))
m.delete_filter_v2(warn["id"])
hide = m.create_filter_v2("interop hide", ["home"], "hide", keywords_attributes=[{"keyword": "durian"}])
check("hide filter created", hide["filter_action"] == "hide")
check("filters listed", [f["title"] for f in m.filters_v2()] == ["interop hide"])
check("hidden post absent from home", seen is not None and home_copy() is None)
m.delete_filter_v2(hide["id"])
check("post back once the filter is gone", home_copy() is not None)
m.list_delete(lst["id"])
check("list deleted", all(l["id"] != lst["id"] for l in m.lists()))

# 7e. Notifications grouped (v2) and read markers.
groups = m.grouped_notifications()
check("grouped notifications hold bob's mention",
      any(g["type"] == "mention" and bob_id in g["sample_account_ids"] for g in groups["notification_groups"]))
top = m.timeline_home(limit=1)[0]["id"]
last_note = m.notifications(limit=1)[0]["id"]
m.markers_set(["home", "notifications"], [top, last_note])
marks = m.markers_get(["home", "notifications"])
check("markers saved", marks["home"]["last_read_id"] == top and marks["notifications"]["last_read_id"] == last_note)
check("nothing unread past the marker", m.unread_grouped_notifications_count() == 0)

# 7f. Featured tags.
check("recently used tag suggested", any(t["name"] == "breakfast" for t in m.featured_tag_suggestions()))
ft = m.featured_tag_create("breakfast")
check("featured tag created", ft["name"] == "breakfast" and int(ft["statuses_count"]) == 1)
check("featured tags listed", [t["id"] for t in m.featured_tags()] == [ft["id"]])
check("featured tags on the profile", [t["name"] for t in m.account_featured_tags(me["id"])] == ["breakfast"])
check("featured tag no longer suggested", all(t["name"] != "breakfast" for t in m.featured_tag_suggestions()))
m.featured_tag_delete(ft["id"])
check("featured tag removed", m.featured_tags() == [])

# 7g. Avatar and header.
updated = m.account_update_credentials(avatar=io.BytesIO(png(80, 80)), avatar_mime_type="image/png",
                                       header=io.BytesIO(png(150, 50)), header_mime_type="image/png")
check("avatar and header changed", updated["avatar"] != me["avatar"] and updated["header"] != me["header"])
check("new avatar served as image", served_as_image(updated["avatar"]))
check("new header served as image", served_as_image(updated["header"]))
cleared = m.account_delete_avatar()
check("avatar removed", cleared["avatar"] != updated["avatar"] and cleared["header"] == updated["header"])
check("default avatar served", served_as_image(cleared["avatar"]))
bare = m.account_delete_header()
check("header removed", bare["header"] != updated["header"] and served_as_image(bare["header"]))

# 7h. Alt text edited after posting. Only media_attributes is passed: the
# library takes the media ids from it (given both, Mastodon.py 2.3 fails
# before sending anything).
pic = m.media_post(io.BytesIO(png()), mime_type="image/png", description="first words")
shown = m.status_post("a picture", media_ids=[pic["id"]])
fixed = m.status_update(shown["id"], "a picture", media_attributes=[m.generate_media_edit_attributes(pic["id"], description="better words")])
check("alt text edited", fixed["media_attachments"][0]["description"] == "better words")

# 7i. Streaming: an update for a post made after connecting, and a
# notification for what bob does from his server.
got = threading.Event()
noted = threading.Event()


class Listener(StreamListener):
    def on_update(self, status):
        if "streamed hello" in status["content"]:
            got.set()

    def on_notification(self, notification):
        if notification["type"] == "favourite":
            noted.set()


handle = m.stream_user(Listener(), run_async=True, timeout=10)
connected = wait_for(lambda: handle.connection is not None)
m.status_post("streamed hello")
check("stream delivers the update", connected and got.wait(10))
if copy:
    bob.status_favourite(copy[0]["id"])
    check("stream delivers bob's favourite as a notification", noted.wait(10))

# 8. Revoking the token, which also ends the streams opened with it.
m.revoke_access_token(allow_http=True)
check("revoking ends the token's stream", wait_for(lambda: not handle.is_alive(), tries=10))
handle.close()
try:
    m.account_verify_credentials()
    check("revoked token refused", False)
except Exception:
    check("revoked token refused", True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
