"""Web Push and the notification policy as a phone app uses them, through
Mastodon.py (a real client library).

    python3 push_policy.py <alice base URL> <password> <bob base URL> <bob handle of alice>

Logs in as alice and as bob (both passwords the same). alice subscribes to
push without `standard`, as Mastodon's own apps do: bob mentions her, a push
service on loopback receives the message, and Mastodon.py's own decoder
(`push_subscription_decrypt_push`, the legacy `aesgcm` coding through
http_ece) reads it. She subscribes again with `standard`: the next message is
RFC 8291 `aes128gcm`, read by http_ece. Then she sets her notification
policy and reads it back. Prints `N passed, N failed`; exits non-zero on any
failure.
"""
import base64
import html
import http.server
import queue
import re
import sys
import threading
import time
import urllib.parse

import http_ece
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon

base, password, bob_base, alice_handle = sys.argv[1:5]
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


def log_in(base, username):
    """The authorization-code flow through the real authorize page."""
    client_id, client_secret = Mastodon.create_app("Burrow push interop", api_base_url=base, redirect_uris=OOB, scopes=SCOPES)
    c = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    auth_url = c.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    page = requests.get(auth_url, timeout=10)
    fields = {n: html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    fields["password"] = password
    fields["decision"] = "approve"
    answer = requests.post(urllib.parse.urljoin(auth_url, "/oauth/authorize"), data=fields, timeout=30, allow_redirects=False)
    code = re.search(r'id="code"[^>]*value="([^"]+)"', answer.text)
    c.log_in(code=html.unescape(code.group(1)), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    check(f"{username} logged in", c.account_verify_credentials()["username"] == username)
    return c


# A push service on loopback: records every message it is sent.
received = queue.Queue()


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        received.put(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
threading.Thread(target=sink.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{sink.server_port}/wpush/phone"

alice = log_in(base, "alice")
bob = log_in(bob_base, "bob")
bob.search_v2(alice_handle, resolve=True)


def next_message(what):
    try:
        return received.get(timeout=30)
    except queue.Empty:
        check(f"{what}: a push message arrives", False)
        raise SystemExit(1)


def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# 1. The legacy coding, as Mastodon's own apps subscribe.
priv, pub = alice.push_subscription_generate_keys()
sub = alice.push_subscription_set(endpoint, pub, mention_events=True)
check("subscription without standard says standard: false", sub["standard"] is False)
raw = requests.get(f"{base}/api/v1/push/subscription", headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10).json()
check("subscription id is an integer on the wire", isinstance(raw["id"], int) and raw["standard"] is False)
bob.status_post(f"@{alice_handle} are you there? (legacy)")
headers, body = next_message("legacy")
check("legacy message is aesgcm", headers.get("content-encoding") == "aesgcm")
check("legacy VAPID token in the WebPush scheme", headers.get("authorization", "").startswith("WebPush "))
note = alice.push_subscription_decrypt_push(body, priv, headers["encryption"], headers["crypto-key"])
check("Mastodon.py decrypts the legacy message", note["notification_type"] == "mention" and "legacy" in note["body"])

# 2. The standard coding, for apps that ask (Mastodon.py sends no
# `standard` itself, so the form is posted as such an app would).
params = {
    "subscription[endpoint]": endpoint,
    "subscription[keys][p256dh]": base64.b64encode(pub["pubkey"]).decode(),
    "subscription[keys][auth]": base64.b64encode(pub["auth"]).decode(),
    "subscription[standard]": "true",
    "data[alerts][mention]": "true",
}
res = requests.post(f"{base}/api/v1/push/subscription", data=params, headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10)
check("subscription with standard says standard: true", res.status_code == 200 and res.json()["standard"] is True)
shown = alice.push_subscription()
check("the subscription reads back standard", shown["standard"] is True)
bob.status_post(f"@{alice_handle} still there? (standard)")
headers, body = next_message("standard")
check("standard message is aes128gcm", headers.get("content-encoding") == "aes128gcm")
key = ec.derive_private_key(priv["privkey"], ec.SECP256R1())
plain = http_ece.decrypt(body, private_key=key, auth_secret=priv["auth"], version="aes128gcm")
check("http_ece decrypts the standard message", b"standard" in plain)
alice.push_subscription_delete()

# 3. The notification policy, set and read back in both forms.
policy = alice.update_notifications_policy(for_not_following="filter", for_new_accounts="drop")
check("policy set", policy["for_not_following"] == "filter" and policy["for_new_accounts"] == "drop")
again = alice.notifications_policy()
check("policy read back", again["for_not_following"] == "filter" and again["for_private_mentions"] == "filter")
check("policy summary counts are integers", isinstance(again["summary"]["pending_requests_count"], int))
v1 = requests.get(f"{base}/api/v1/notifications/policy", headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10).json()
check("v1 policy shows the filter", v1["filter_not_following"] is True and v1["filter_not_followers"] is False)
check("notification requests list", isinstance(alice.notification_requests(), list))
alice.update_notifications_policy(for_not_following="accept", for_new_accounts="accept")

sink.shutdown()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
