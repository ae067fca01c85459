"""What a phone app asks at launch, and a scheduled post kept across a restart.

    python3 app_launch.py launch <base URL> <password> <state file>
    python3 app_launch.py after-restart <base URL> <state file>

`launch` logs in as an app does, then makes the requests Ivory and Ice
Cubes make when they start (instance v1 and v2, credentials, preferences,
filters, lists, markers, custom emoji, announcements, followed tags, the
home timeline, grouped notifications, trends, conversations, follow
requests, scheduled posts, endorsements, languages…), each of which must
answer, with the shape the apps decode. It then schedules a post a little
over five minutes ahead (Mastodon's minimum) and writes the token and the
post's id to the state file. The server is restarted in between;
`after-restart` checks the post is still scheduled, waits for its time
and checks it was published exactly once. Prints `N passed, N failed`
and exits non-zero on any failure.
"""
import datetime
import html
import json
import re
import sys
import time
import urllib.parse

import requests
from mastodon import Mastodon, MastodonNotFoundError

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]
SCHEDULED_TEXT = "scheduled from the launch test"
# Mastodon refuses times less than five minutes ahead; a margin for slow runs.
SCHEDULE_AHEAD = datetime.timedelta(minutes=5, seconds=20)
# How long after its time the post may take to appear.
PUBLISH_GRACE_S = 90
passed, failed = 0, 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


def call(what, f, test=lambda _: True):
    """Runs one request; a failed call is a loud failure, not a crash."""
    try:
        v = f()
    except Exception as e:  # noqa: BLE001 - any failure is reported
        check(f"{what}: {type(e).__name__}: {e}", False)
        return None
    check(what, test(v))
    return v


def log_in(base, password):
    client_id, client_secret = Mastodon.create_app("Launch test", api_base_url=base, redirect_uris=OOB, scopes=SCOPES)
    c = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    auth_url = c.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    page = requests.get(auth_url, timeout=10)
    fields = {n: html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    fields["password"] = password
    fields["decision"] = "approve"
    answer = requests.post(urllib.parse.urljoin(auth_url, "/oauth/authorize"), data=fields, timeout=30, allow_redirects=False)
    code = re.search(r'id="code"[^>]*value="([^"]+)"', answer.text)
    token = c.log_in(code=html.unescape(code.group(1)), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    return c, token


def raw(base, token, path):
    """A request Mastodon.py has no method for, as the app sends it."""
    r = requests.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def launch(base, password, state_file):
    m, token = log_in(base, password)
    me = call("verify_credentials", m.account_verify_credentials, lambda a: a["source"] is not None and "indexable" in a["source"])
    call("instance v1", m.instance_v1, lambda i: "uri" in i and "urls" in i)
    call("instance v2", m.instance_v2, lambda i: i["api_versions"]["mastodon"] >= 2 and "configuration" in i)
    call("instance rules", m.instance_rules, lambda r: isinstance(r, list))
    call("extended description", m.instance_extended_description)
    call("languages", m.instance_languages, lambda ls: any(lang["code"] == "en" for lang in ls))
    call("translation languages", m.instance_translation_languages, lambda t: t == {})
    try:
        m.instance_terms_of_service()
        check("terms of service: 404 until written", False)
    except MastodonNotFoundError:
        check("terms of service: 404 until written", True)
    call("preferences", m.preferences, lambda p: "posting:default:visibility" in p)
    call("filters v2", m.filters_v2, lambda f: isinstance(f, list))
    call("lists", m.lists, lambda ls: isinstance(ls, list))
    call("markers", lambda: m.markers_get(["home", "notifications"]), lambda mk: isinstance(mk, dict))
    call("custom emojis", m.custom_emojis, lambda e: isinstance(e, list))
    call("announcements", m.announcements, lambda a: isinstance(a, list))
    call("followed tags", m.followed_tags, lambda t: isinstance(t, list))
    call("featured tags", m.featured_tags, lambda t: isinstance(t, list))
    call("home timeline, 40", lambda: m.timeline_home(limit=40), lambda t: isinstance(t, list))
    call("notifications v1", lambda: m.notifications(limit=30), lambda n: isinstance(n, list))
    call("grouped notifications", lambda: raw(base, token, "/api/v2/notifications?limit=40&grouped_types[]=favourite&grouped_types[]=reblog&grouped_types[]=follow"),
         lambda g: isinstance(g.get("notification_groups"), list) and isinstance(g.get("accounts"), list))
    call("unread notification count", lambda: raw(base, token, "/api/v1/notifications/unread_count"), lambda c: "count" in c)
    call("trending tags", m.trending_tags, lambda t: isinstance(t, list))
    call("trending statuses", m.trending_statuses, lambda t: isinstance(t, list))
    call("trending links", m.trending_links, lambda t: isinstance(t, list))
    call("conversations", m.conversations, lambda c: isinstance(c, list))
    call("follow requests", m.follow_requests, lambda f: isinstance(f, list))
    call("endorsements", m.endorsements, lambda e: isinstance(e, list))
    call("suggestions", m.suggestions, lambda s: isinstance(s, list))
    call("bookmarks", m.bookmarks, lambda b: isinstance(b, list))
    call("favourites", m.favourites, lambda f: isinstance(f, list))
    if me:
        call("pinned statuses", lambda: m.account_statuses(me["id"], pinned=True), lambda s: isinstance(s, list))
        call("several accounts", lambda: m.accounts([me["id"]]), lambda a: len(a) == 1 and a[0]["id"] == me["id"])
    # Mastodon.py's own userinfo call insists on https; the app's request is this.
    call("oauth userinfo", lambda: raw(base, token, "/oauth/userinfo"),
         lambda u: me is not None and u["preferred_username"] == me["username"] and u["sub"] == me["uri"])
    call("link timeline", lambda: m.timeline_link("https://example.com/"), lambda t: isinstance(t, list))

    # A post scheduled too soon is refused as Mastodon refuses it.
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
    try:
        m.status_post("too soon", scheduled_at=soon)
        check("scheduling one minute ahead is refused", False)
    except Exception as e:  # noqa: BLE001
        check("scheduling one minute ahead is refused", "422" in str(e) or "Unprocessable" in type(e).__name__)
    later = datetime.datetime.now(datetime.timezone.utc) + SCHEDULE_AHEAD + datetime.timedelta(minutes=30)
    sched = call("schedule a post", lambda: m.status_post(SCHEDULED_TEXT, scheduled_at=later, visibility="unlisted"),
                 lambda s: "scheduled_at" in s and s["params"]["text"] == SCHEDULED_TEXT)
    if sched is None:
        return
    call("scheduled statuses list it", m.scheduled_statuses, lambda ls: [s["id"] for s in ls] == [sched["id"]])
    due = datetime.datetime.now(datetime.timezone.utc) + SCHEDULE_AHEAD
    call("move it sooner", lambda: m.scheduled_status_update(sched["id"], due),
         lambda s: abs(s["scheduled_at"] - due) < datetime.timedelta(seconds=1))
    with open(state_file, "w") as f:
        json.dump({"token": token, "id": str(sched["id"]), "due": due.timestamp()}, f)


def after_restart(base, state_file):
    with open(state_file) as f:
        state = json.load(f)
    m = Mastodon(access_token=state["token"], api_base_url=base)
    call("still scheduled after the restart", lambda: m.scheduled_status(state["id"]),
         lambda s: s["params"]["text"] == SCHEDULED_TEXT)
    wait = state["due"] - time.time()
    if wait > 0:
        print(f"..   waiting {wait:.0f} s for the scheduled time")
        time.sleep(wait)
    deadline = time.time() + PUBLISH_GRACE_S
    published = []
    while time.time() < deadline:
        published = [s for s in m.timeline_home(limit=40) if SCHEDULED_TEXT in s["content"]]
        if published:
            break
        time.sleep(2)
    check("published on time after the restart", len(published) == 1)
    check("published once, as unlisted", len(published) == 1 and published[0]["visibility"] == "unlisted")
    call("no longer scheduled", m.scheduled_statuses, lambda ls: ls == [])


if __name__ == "__main__":
    if sys.argv[1] == "launch":
        launch(*sys.argv[2:5])
    elif sys.argv[1] == "after-restart":
        after_restart(*sys.argv[2:4])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
