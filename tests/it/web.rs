//! The web UI over real HTTP: what visitors see (and never see), and the
//! owner logging in and acting through plain forms.

use crate::common;
use burrow::ops::{follows, profile, statuses};
use burrow::store::relations::{Rel, StatusRel};
use burrow::store::statuses::Visibility;
use common::*;
use reqwest::StatusCode;
use std::collections::HashMap;

/// A browser without scripts: follows nothing by itself, keeps cookies.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Browser {
    fn new(s: &TestServer) -> Browser {
        Browser {
            base: s.base.clone(),
            client: client(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        Page {
            status,
            headers,
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Sends a `multipart/form-data` form, as a browser sends a form
    /// with file inputs.
    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let res = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Logs in with the form, as a person would; returns the session's
    /// CSRF token read from the next page.
    async fn login(&mut self) -> String {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let nonce = field(&form.body, "csrf");
        let res = self
            .post(
                "/login",
                &[
                    ("csrf", &nonce),
                    ("password", PASSWORD),
                    ("next", "/web/home"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(res.location(), "/web/home");
        let home = self.get("/web/home").await;
        assert_eq!(home.status, 200);
        field(&home.body, "csrf")
    }
}

/// The value of the first form field named `name` in a page.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    // As a browser reads it: entities decoded.
    html[start..start + html[start..].find('"').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn new_post(text: &str, visibility: Visibility) -> statuses::NewStatus {
    statuses::NewStatus {
        text: text.into(),
        visibility,
        ..Default::default()
    }
}

#[tokio::test]
async fn visitors_see_public_pages_and_never_private_posts() {
    let s = TestServer::start().await;
    let st = &s.state;
    let public = statuses::post(st, new_post("hello #burrowtest world", Visibility::Public))
        .await
        .unwrap();
    let unlisted = statuses::post(
        st,
        new_post("quiet unlisted #burrowtest", Visibility::Unlisted),
    )
    .await
    .unwrap();
    let private = statuses::post(
        st,
        new_post("secret for followers #burrowtest", Visibility::Private),
    )
    .await
    .unwrap();
    let direct = statuses::post(st, new_post("secret direct note", Visibility::Direct))
        .await
        .unwrap();
    let warned = statuses::post(
        st,
        statuses::NewStatus {
            text: "behind a warning".into(),
            spoiler_text: "spoilers <b>ahead</b>".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A reply to the public post, for its thread; and a pinned post.
    statuses::post(
        st,
        statuses::NewStatus {
            text: "a reply in the thread".into(),
            in_reply_to_id: Some(public.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    burrow::ops::interactions::set_flag(st, unlisted.id, StatusRel::Pin, true)
        .await
        .unwrap();
    // A private reply must not show up in the public thread either.
    statuses::post(
        st,
        statuses::NewStatus {
            text: "secret reply for followers".into(),
            in_reply_to_id: Some(public.id),
            visibility: Visibility::Private,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut v = Browser::new(&s);
    let profile = v.get("/@alice").await;
    assert_eq!(profile.status, 200);
    let html = &profile.body;
    assert!(html.contains("hello <a href="), "{html}");
    assert!(html.contains("quiet unlisted"));
    assert!(html.contains("<h2 class=\"section\">Pinned</h2>"));
    assert!(html.contains("<details class=\"cw\"><summary>spoilers &lt;b&gt;ahead&lt;"));
    assert!(html.contains("behind a warning"));
    assert!(html.contains("type=\"application/activity+json\""));
    assert!(html.contains("href=\"/@alice.atom\""));
    assert!(html.contains("property=\"og:title\""));
    assert!(!html.contains("name=\"csrf\""), "no forms for visitors");

    let thread = v.get(&format!("/@alice/{}", public.id)).await;
    assert_eq!(thread.status, 200);
    assert!(thread.body.contains("hello <a href="));
    assert!(thread.body.contains("a reply in the thread"));
    assert!(v
        .get(&format!("/@alice/{}", warned.id))
        .await
        .body
        .contains("behind a warning"));

    let atom = v.get("/@alice.atom").await;
    assert_eq!(atom.status, 200);
    assert!(atom.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(
        atom.body.contains("hello &lt;a href="),
        "content is escaped HTML"
    );
    let rss = v.get("/@alice.rss").await;
    assert!(rss.body.contains("<rss version=\"2.0\">") && rss.body.contains("hello"));

    let tag = v.get("/tags/burrowtest").await;
    assert_eq!(tag.status, 200);
    assert!(tag.body.contains("hello"));
    assert!(
        !tag.body.contains("quiet unlisted"),
        "unlisted is not on tag pages"
    );

    // The private and direct posts are nowhere a visitor can go.
    let mut seen = vec![
        profile.body.clone(),
        thread.body,
        atom.body,
        rss.body,
        tag.body,
    ];
    for path in [
        format!("/@alice/{}", private.id),
        format!("/@alice/{}", direct.id),
        format!("/users/alice/statuses/{}", private.id),
        "/users/alice".to_string(),
        "/users/alice/outbox".to_string(),
        "/web/home".to_string(),
        format!("/web/statuses/{}", private.id),
    ] {
        let p = v.get(&path).await;
        assert!(
            p.status == 404 || p.status == 200 || p.status == 303,
            "{path}: {}",
            p.status
        );
        seen.push(p.body);
    }
    for p in [
        format!("/@alice/{}", private.id),
        format!("/@alice/{}", direct.id),
    ] {
        assert_eq!(v.get(&p).await.status, 404, "{p}");
    }
    for body in &seen {
        assert!(!body.contains("secret"), "a private post leaked: {body}");
    }

    // Older pages: 25 more posts push the first ones to page two.
    for n in 0..25 {
        statuses::post(st, new_post(&format!("filler {n}"), Visibility::Public))
            .await
            .unwrap();
    }
    let first = v.get("/@alice").await.body;
    assert!(first.contains("filler 24") && !first.contains("hello"));
    let older = first
        .split("href=\"/@alice?max_id=")
        .nth(1)
        .expect("an older link")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let second = v.get(&format!("/@alice?max_id={older}")).await.body;
    assert!(second.contains("hello"), "{second}");
    assert!(!second.contains("secret"));

    // The ActivityPub branch of `/@alice` still answers peers.
    let res = client()
        .get(s.url("/@alice"))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/activity+json"));
}

#[tokio::test]
async fn the_owner_logs_in_posts_and_acts_through_forms() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    // Owner pages send visitors to the login page.
    let p = b.get("/web/home").await;
    assert_eq!(p.status, 303);
    assert!(p.location().starts_with("/login?next="));

    let csrf = b.login().await;
    let cookie = b.cookies.get("burrow_session").cloned().unwrap();
    assert!(!cookie.is_empty());

    // A post with a content warning.
    let res = b
        .post(
            "/web/statuses",
            &[
                ("csrf", &csrf),
                ("text", "warm soup for everyone"),
                ("spoiler_text", "food"),
                ("visibility", "public"),
                ("back", "/web/home"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let owner = s.state.store.owner_account().unwrap().unwrap();
    let id: u64 = res.location().split("#s-").nth(1).unwrap().parse().unwrap();
    let posted = s.state.store.status(id).unwrap().unwrap();
    assert_eq!(posted.spoiler_text, "food");
    assert_eq!(posted.account_id, owner.id);
    let home = b.get("/web/home").await.body;
    assert!(home.contains("<summary>food</summary>"));
    assert!(home.contains("warm soup"));

    // Favourite and boost it with the buttons under it.
    for action in ["favourite", "reblog", "bookmark", "pin"] {
        let res = b
            .post(
                &format!("/web/statuses/{id}"),
                &[("csrf", &csrf), ("do", action), ("back", "/web/home")],
            )
            .await;
        assert_eq!(res.status, 303, "{action}: {}", res.body);
        assert_eq!(res.location(), format!("/web/home#s-{id}"));
    }
    let st = &s.state.store;
    assert!(st
        .status_rel(StatusRel::Favourite, id, owner.id)
        .unwrap()
        .is_some());
    assert!(st
        .status_rel(StatusRel::Reblog, id, owner.id)
        .unwrap()
        .is_some());
    assert!(st
        .status_rel(StatusRel::Pin, id, owner.id)
        .unwrap()
        .is_some());
    let home = b.get("/web/home").await.body;
    assert!(home.contains("boosted"));
    assert!(home.contains("value=\"unfavourite\" aria-pressed=\"true\""));

    // Edit, then reply, then delete the reply.
    let res = b
        .post(
            &format!("/web/statuses/{id}/edit"),
            &[
                ("csrf", &csrf),
                ("text", "hot soup for everyone"),
                ("spoiler_text", "food"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(st.status(id).unwrap().unwrap().content.contains("hot soup"));
    let compose = b.get(&format!("/web/compose?in_reply_to={id}")).await;
    assert_eq!(compose.status, 200);
    assert!(compose.body.contains("name=\"in_reply_to_id\""));
    let id_s = id.to_string();
    let res = b
        .post(
            "/web/statuses",
            &[
                ("csrf", &csrf),
                ("text", "and bread"),
                ("in_reply_to_id", &id_s),
                ("back", &field(&compose.body, "back")),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(res.location().starts_with(&format!("/web/statuses/{id}")));
    let reply_id = st.replies(id).unwrap()[0];
    let thread = b.get(&format!("/web/statuses/{id}")).await.body;
    assert!(thread.contains("and bread"));
    let res = b
        .post(
            &format!("/web/statuses/{reply_id}/delete"),
            &[("csrf", &csrf), ("back", "/web/home")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(st.status(reply_id).unwrap().is_none());

    // Edit the profile.
    let res = b
        .post(
            "/web/settings/profile",
            &[
                ("csrf", &csrf),
                ("display_name", "Alice Burrow"),
                ("note", "Digging <tunnels>"),
                ("field_name_0", "Site"),
                ("field_value_0", "https://alice.example"),
                ("privacy", "unlisted"),
                ("discoverable", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let me = st.owner_account().unwrap().unwrap();
    assert_eq!(me.display_name, "Alice Burrow");
    assert!(!me.locked);
    assert_eq!(me.fields[0].name, "Site");
    assert_eq!(st.preferences().unwrap().privacy, "unlisted");
    let public = b.get("/@alice").await.body;
    assert!(public.contains("Alice Burrow"));
    assert!(public.contains("Digging &lt;tunnels&gt;"));
    assert!(public.contains("rel=\"nofollow noopener noreferrer me\""));

    // Every page the owner has renders.
    for path in [
        "/web/local",
        "/web/federated",
        "/web/notifications",
        "/web/compose",
        "/web/search",
        "/web/settings",
        "/web/followers",
        "/web/following",
        "/web/blocks",
        "/web/mutes",
        "/web/bookmarks",
        "/web/favourites",
    ] {
        let p = b.get(path).await;
        assert_eq!(p.status, 200, "{path}: {}", p.body);
        assert!(p.body.contains(&csrf), "{path}");
    }
    let p = b.get(&format!("/web/accounts/{}", owner.id)).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("hot soup"));

    // Forms without the session's token are refused.
    let before = st.owner_account().unwrap().unwrap().statuses_count;
    for form in [
        vec![("text", "forged")],
        vec![("text", "forged"), ("csrf", "not-the-token")],
    ] {
        let res = b.post("/web/statuses", &form).await;
        assert_eq!(res.status, 403);
        assert!(res.body.contains("Form refused"));
    }
    let res = b
        .post(&format!("/web/statuses/{id}"), &[("do", "unfavourite")])
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(st.owner_account().unwrap().unwrap().statuses_count, before);
    assert!(st
        .status_rel(StatusRel::Favourite, id, owner.id)
        .unwrap()
        .is_some());
    // Another browser's session token does not fit this session.
    let mut other = Browser::new(&s);
    let other_csrf = other.login().await;
    assert_ne!(other_csrf, csrf);
    let res = b
        .post(
            "/web/statuses",
            &[("text", "forged"), ("csrf", &other_csrf)],
        )
        .await;
    assert_eq!(res.status, 403);

    // Logging out ends the session.
    let res = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status, 303);
    let mut stale = Browser::new(&s);
    stale.cookies.insert("burrow_session".into(), cookie);
    assert_eq!(stale.get("/web/home").await.status, 303);
}

#[tokio::test]
async fn the_owner_follows_through_search_and_approves_a_request() {
    let (a, bob) = pair().await;
    let mut b = Browser::new(&a);
    let csrf = b.login().await;

    let handle = format!("@bob@{}", bob.host);
    let found = b
        .get(&format!(
            "/web/search?q={}",
            handle.replace('@', "%40").replace(':', "%3A")
        ))
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    let bob_on_a = a
        .state
        .store
        .account_by_acct(&format!("bob@{}", bob.host))
        .unwrap()
        .expect("bob was resolved");
    assert!(found
        .body
        .contains(&format!("action=\"/web/accounts/{}\"", bob_on_a.id)));
    assert!(found.body.contains("value=\"follow\""));
    let res = b
        .post(
            &format!("/web/accounts/{}", bob_on_a.id),
            &[("csrf", &csrf), ("do", "follow"), ("back", "/web/search")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    eventually("bob accepts alice's follow", || {
        a.state
            .store
            .has_relation(Rel::Following, bob_on_a.id)
            .unwrap()
    })
    .await;
    let following = b.get("/web/following").await.body;
    assert!(following.contains(&handle) && following.contains("value=\"unfollow\""));

    // alice locks her account; bob asks to follow her.
    profile::update_profile(
        &a.state.store,
        profile::ProfileUpdate {
            locked: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    let alice_on_b = burrow::federation::resolve_handle(&bob.state, &format!("alice@{}", a.host))
        .await
        .expect("alice resolves");
    follows::follow(&bob.state, alice_on_b.id, Default::default())
        .await
        .unwrap();
    eventually("the request arrives", || {
        a.state
            .store
            .has_relation(Rel::RequestedBy, bob_on_a.id)
            .unwrap()
    })
    .await;
    let notes = b.get("/web/notifications").await.body;
    assert!(notes.contains("asked to follow you"));
    let followers = b.get("/web/followers").await.body;
    assert!(followers.contains("Asking to follow you"));
    assert!(followers.contains("value=\"authorize\""));
    let res = b
        .post(
            &format!("/web/accounts/{}", bob_on_a.id),
            &[
                ("csrf", &csrf),
                ("do", "authorize"),
                ("back", "/web/followers"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), "/web/followers");
    assert!(a
        .state
        .store
        .has_relation(Rel::FollowedBy, bob_on_a.id)
        .unwrap());
    eventually("bob learns he was accepted", || {
        bob.state
            .store
            .has_relation(Rel::Following, alice_on_b.id)
            .unwrap()
    })
    .await;

    // A remote "interact" link: visitors are asked to log in, the owner
    // sees the account with its buttons.
    let path = format!("/authorize_interaction?uri=acct%3Abob%40{}", bob.host);
    let mut visitor = Browser::new(&a);
    let p = visitor.get(&path).await;
    assert!(p.body.contains("Log in first"));
    let p = b.get(&path).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(&handle) && p.body.contains("value=\"unfollow\""));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_paused() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let form = b.get("/login").await;
    let nonce = field(&form.body, "csrf");
    // Without the form's token the login is refused outright.
    let res = b
        .post("/login", &[("csrf", "forged"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 403);
    for _ in 0..burrow::ops::password_limit::FREE_FAILURES {
        let res = b
            .post(
                "/login",
                &[("csrf", &nonce), ("password", "wrong password")],
            )
            .await;
        assert_eq!(res.status, 401);
        assert!(res.body.contains("not right"));
        assert!(!b.cookies.contains_key("burrow_session"));
    }
    let res = b
        .post("/login", &[("csrf", &nonce), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 429);
    assert!(res.headers.contains_key("retry-after"));
    assert!(res.body.contains("Wait"));
    assert!(!b.cookies.contains_key("burrow_session"));
}

/// The compose form as a browser fills it in: token first, then the
/// fields in page order.
fn compose_form(csrf: &str, text: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("back", "/web/compose")
        .text("spoiler_text", "")
        .text("text", text.to_string())
}

fn posted_id(p: &Page) -> String {
    assert_eq!(p.status, 303, "{}", p.body);
    p.location()
        .split("#s-")
        .nth(1)
        .unwrap_or_else(|| panic!("no post anchor in {}", p.location()))
        .to_string()
}

/// Uploads that no post took: a failed compose must leave none.
fn stray_uploads(s: &TestServer) -> usize {
    s.state
        .store
        .unattached_media_before(i64::MAX, 100)
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_owner_posts_images_with_alt_text_and_a_poll_from_the_compose_form() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let csrf = b.login().await;
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };

    // The compose page offers labelled file, alt text and poll inputs.
    let page = b.get("/web/compose").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"enctype="multipart/form-data""#));
    for input in [
        "media_0",
        "description_0",
        "media_3",
        "poll_option_0",
        "poll_expires_in",
    ] {
        assert!(
            page.body.contains(&format!(r#"<label for="{input}">"#)),
            "{input} has no label"
        );
    }

    // A content warning and two images: the first described after its
    // file (page order), the second before it.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("back", "/web/compose")
        .text("spoiler_text", "bright colours")
        .text("text", "two squares")
        .part("media_0", png_part(png(24, 16), "first.png"))
        .text("description_0", "An orange gradient, left to right")
        .text("description_1", "A smaller <gradient> & more")
        .part("media_1", png_part(png(8, 8), "second.png"))
        .part("media_2", png_part(Vec::new(), ""))
        .text("visibility", "public");
    let id = posted_id(&b.post_multipart("/web/statuses", form).await);
    assert_eq!(stray_uploads(&s), 0);

    // The public page shows the images with their alt text, inside the
    // content warning.
    let public = client()
        .get(s.url(&format!("/@alice/{id}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cw = public
        .find(r#"<details class="cw"><summary>bright colours</summary>"#)
        .expect("the content warning is a <details>");
    let alt = public
        .find(r#"alt="An orange gradient, left to right""#)
        .expect("the image carries its alt text");
    assert!(cw < alt && alt < cw + public[cw..].find("</details>").unwrap());
    assert!(public.contains(r#"alt="A smaller &lt;gradient&gt; &amp; more""#));
    // And so does the owner's timeline.
    let home = b.get("/web/home").await.body;
    assert!(home.contains(r#"alt="An orange gradient, left to right""#));

    // The API sees the same post: media in form order, alt text as
    // description, the files served.
    let st = api.json(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(st["spoiler_text"], "bright colours");
    assert_eq!(st["sensitive"], true);
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(media[0]["description"], "An orange gradient, left to right");
    assert_eq!(media[0]["meta"]["original"]["width"], 24);
    assert_eq!(media[1]["description"], "A smaller <gradient> & more");
    let file = client()
        .get(media[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);

    // The edit form shows the images' alt text and changes it.
    let edit = b.get(&format!("/web/statuses/{id}/edit")).await.body;
    assert!(edit.contains(r#"<label for="description_0">"#));
    assert!(edit.contains(">An orange gradient, left to right</textarea>"));
    let p = b
        .post(
            &format!("/web/statuses/{id}/edit"),
            &[
                ("csrf", &csrf),
                ("text", "two squares"),
                ("spoiler_text", "bright colours"),
                ("description_0", "An orange square"),
                ("description_1", "A smaller <gradient> & more"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let st = api.json(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(
        st["media_attachments"][0]["description"],
        "An orange square"
    );
    assert_eq!(st["media_attachments"].as_array().unwrap().len(), 2);

    // A poll: two of four choices filled in, several answers allowed.
    let form = compose_form(&csrf, "soup or salad?")
        .text("poll_option_0", "Soup")
        .text("poll_option_1", "")
        .text("poll_option_2", "Salad")
        .text("poll_option_3", "")
        .text("poll_expires_in", "3600")
        .text("poll_multiple", "on")
        .text("visibility", "unlisted");
    let id = posted_id(&b.post_multipart("/web/statuses", form).await);
    let st = api.json(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(st["visibility"], "unlisted");
    let poll = &st["poll"];
    assert_eq!(poll["multiple"], true);
    let titles: Vec<&str> = poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Soup", "Salad"]);
    assert!(poll["expires_at"].is_string());
    let page = b.get(&format!("/web/statuses/{id}")).await.body;
    assert!(page.contains(r#"<ul class="poll">"#));
}

#[tokio::test]
async fn bad_compose_forms_are_refused_with_a_page_and_leave_no_uploads() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let csrf = b.login().await;
    let before = s
        .state
        .store
        .owner_account()
        .unwrap()
        .unwrap()
        .statuses_count;

    // No token, or a wrong one: refused, before any file is read.
    let no_token = reqwest::multipart::Form::new()
        .text("text", "forged")
        .part("media_0", png_part(png(4, 4), "a.png"));
    let p = b.post_multipart("/web/statuses", no_token).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("security token"));
    let file_first = reqwest::multipart::Form::new()
        .part("media_0", png_part(png(4, 4), "a.png"))
        .text("csrf", csrf.clone())
        .text("text", "forged");
    assert_eq!(
        b.post_multipart("/web/statuses", file_first).await.status,
        403
    );
    let wrong = compose_form("not-the-token", "forged");
    assert_eq!(b.post_multipart("/web/statuses", wrong).await.status, 403);
    let plain = b.post("/web/statuses", &[("text", "forged")]).await;
    assert_eq!(plain.status, 403);

    // Not an image: a readable page naming the file; the good image sent
    // with it is deleted again.
    let form = compose_form(&csrf, "oops")
        .part("media_0", png_part(png(4, 4), "good.png"))
        .part(
            "media_1",
            png_part(b"hello, not a picture".to_vec(), "notes.png"),
        );
    let p = b.post_multipart("/web/statuses", form).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Image 2 (notes.png)"), "{}", p.body);
    assert_eq!(stray_uploads(&s), 0);

    // Five images: one too many.
    let mut form = compose_form(&csrf, "many");
    for i in 0..5 {
        form = form.part(format!("media_{i}"), png_part(png(4, 4), "x.png"));
    }
    let p = b.post_multipart("/web/statuses", form).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("at most 4 images"), "{}", p.body);
    assert_eq!(stray_uploads(&s), 0);

    // Images and a poll together: the operation refuses, the images go.
    let form = compose_form(&csrf, "both")
        .part("media_0", png_part(png(4, 4), "x.png"))
        .text("poll_option_0", "a")
        .text("poll_option_1", "b");
    let p = b.post_multipart("/web/statuses", form).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("media or a poll"), "{}", p.body);
    assert_eq!(stray_uploads(&s), 0);

    // A file over the per-file limit is cut off while it arrives.
    let big = vec![0u8; burrow::media::MAX_UPLOAD_BYTES + 1];
    let form = compose_form(&csrf, "big").part("media_0", png_part(big, "big.png"));
    let p = b.post_multipart("/web/statuses", form).await;
    assert_eq!(p.status, 413, "{}", p.body);
    assert!(
        p.body.contains("Image 1 (big.png) is larger than 16 MiB"),
        "{}",
        p.body
    );

    let after = s
        .state
        .store
        .owner_account()
        .unwrap()
        .unwrap()
        .statuses_count;
    assert_eq!(before, after, "no refused form posted anything");
}

#[tokio::test]
async fn authorized_apps_are_listed_and_revoked_from_settings() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    assert_eq!(
        api.get("/api/v1/accounts/verify_credentials")
            .await
            .status(),
        200
    );
    let mut b = Browser::new(&s);
    let csrf = b.login().await;
    let page = b.get("/web/settings").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<b>Test App</b>"), "{}", page.body);
    assert!(page.body.contains("<code>read write</code>"));
    let client_id = field(&page.body, "client_id");

    // Without the token the form is refused and the app keeps access.
    let p = b
        .post("/web/settings/apps/revoke", &[("client_id", &client_id)])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(
        api.get("/api/v1/accounts/verify_credentials")
            .await
            .status(),
        200
    );

    let p = b
        .post(
            "/web/settings/apps/revoke",
            &[("csrf", &csrf), ("client_id", &client_id)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let res = api.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(res.status(), 401);
    let page = b.get("/web/settings?done=revoked").await.body;
    assert!(!page.contains("<b>Test App</b>"));
    assert!(page.contains("No app has access"));
    // Revoking again says the access is already gone.
    let p = b
        .post(
            "/web/settings/apps/revoke",
            &[("csrf", &csrf), ("client_id", &client_id)],
        )
        .await;
    assert_eq!(p.status, 404);
}

#[tokio::test]
async fn servers_are_blocked_and_unblocked_from_settings() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let mut b = Browser::new(&s);
    let csrf = b.login().await;
    let page = b.get("/web/settings").await.body;
    assert!(page.contains(r#"<label for="block_domain">"#));
    assert!(page.contains("No server is blocked."));

    let p = b
        .post(
            "/web/settings/domain_blocks",
            &[
                ("csrf", &csrf),
                ("domain", "https://Spam.Example/"),
                ("do", "block"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        api.json("/api/v1/domain_blocks").await,
        serde_json::json!(["spam.example"])
    );
    let page = b.get("/web/settings").await.body;
    assert!(page.contains("<span>spam.example</span>"));

    let p = b
        .post(
            "/web/settings/domain_blocks",
            &[("csrf", &csrf), ("domain", "not a domain"), ("do", "block")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("is not a domain name"));

    let p = b
        .post(
            "/web/settings/domain_blocks",
            &[
                ("csrf", &csrf),
                ("domain", "spam.example"),
                ("do", "unblock"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        api.json("/api/v1/domain_blocks").await,
        serde_json::json!([])
    );
}

#[tokio::test]
async fn the_owners_filters_and_domain_blocks_apply_on_the_web_home() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    for (title, action, word) in [("Spoilers", "warn", "finale"), ("Fruit", "hide", "durian")] {
        burrow::ops::filters::create(
            &a.state,
            burrow::ops::filters::FilterInput {
                title: Some(title.into()),
                context: Some(vec!["home".into()]),
                action: Some(action.into()),
                keywords: vec![burrow::ops::filters::KeywordChange {
                    keyword: Some(word.into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let mut uris = Vec::new();
    for text in ["the finale tonight", "durian for breakfast", "just bread"] {
        let st = statuses::post(
            &b.state,
            statuses::NewStatus {
                text: text.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        uris.push(st.uri);
    }
    eventually("bob's posts arrive", || {
        uris.iter()
            .all(|u| a.state.store.status_by_uri(u).unwrap().is_some())
    })
    .await;
    let mut browser = Browser::new(&a);
    browser.login().await;
    let home = browser.get("/web/home").await.body;
    assert!(
        home.contains("<summary>Filtered: Spoilers</summary>"),
        "{home}"
    );
    assert!(home.contains("the finale tonight"));
    assert!(!home.contains("durian for breakfast"), "hidden by a filter");
    assert!(home.contains("just bread"));

    burrow::ops::domain_blocks::block(&a.state, &b.host)
        .await
        .unwrap();
    let home = browser.get("/web/home").await.body;
    assert!(
        !home.contains("just bread"),
        "a blocked server's posts leave"
    );
}

#[tokio::test]
async fn the_owner_changes_pictures_in_settings_and_sees_them_on_the_profile() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let csrf = b.login().await;
    let owner = || s.state.store.owner_account().unwrap().unwrap();
    let name_before = owner().display_name;

    let page = b.get("/web/settings").await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains(r#"action="/web/settings/profile" class="card" enctype="multipart/form-data""#));
    for input in ["avatar", "header"] {
        assert!(page.body.contains(&format!(r#"<label for="{input}">"#)));
        assert!(page.body.contains(&format!(
            r#"<input id="{input}" name="{input}" type="file" accept="image/*">"#
        )));
    }
    assert!(
        !page.body.contains("Remove avatar"),
        "nothing to remove yet"
    );

    // Without the token, or with another, the form is refused unread.
    let forged = |token: Option<&str>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(t) = token {
            form = form.text("csrf", t.to_string());
        }
        form.text("display_name", "Forged")
            .part("avatar", png_part(png(64, 64), "a.png"))
    };
    for token in [None, Some("not-the-token")] {
        let res = b
            .post_multipart("/web/settings/profile", forged(token))
            .await;
        assert_eq!(res.status, 403, "{}", res.body);
    }
    assert_eq!(owner().avatar, "");
    assert_eq!(owner().display_name, name_before);

    // As the browser sends it: token first, an avatar, the header input
    // left empty.
    let profile_form = |avatar: reqwest::multipart::Part| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("avatar", avatar)
            .part("header", png_part(Vec::new(), ""))
            .text("display_name", "Alice Pictured")
            .text("note", "")
            .text("privacy", "public")
    };
    let res = b
        .post_multipart(
            "/web/settings/profile",
            profile_form(png_part(png(800, 600), "me.png")),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), "/web/settings?done=profile");
    let avatar = owner().avatar;
    assert!(avatar.starts_with(&s.url("/media/")), "{avatar}");
    assert_eq!(owner().header, "", "an empty file input changes nothing");
    assert_eq!(owner().display_name, "Alice Pictured");
    // Slashes are not escaped in attributes.
    let shown = avatar.clone();
    let img = client().get(&avatar).send().await.unwrap();
    let img = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (400, 400));

    let page = b.get("/web/settings").await;
    assert!(page.body.contains(&format!(r#"src="{shown}""#)));
    assert!(page.body.contains("Remove avatar"));
    assert!(!page.body.contains("Remove header"));

    // The owner's own profile offers editing, a visitor's the follow help.
    let mine = b.get("/@alice").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains(&format!(r#"src="{shown}""#)));
    assert!(mine
        .body
        .contains(r#"<a href="/web/settings">Edit profile</a>"#));
    assert!(!mine.body.contains("<summary>Follow</summary>"));
    assert!(!mine.body.contains(r#"href="/login""#));
    let visitor = Browser::new(&s).get("/@alice").await;
    assert!(visitor.body.contains(&format!(r#"src="{shown}""#)));
    assert!(visitor.body.contains("<summary>Follow</summary>"));
    assert!(visitor.body.contains(r#"href="/login""#));
    assert!(!visitor.body.contains("Edit profile"));

    // A damaged picture: a page saying so, and nothing changed.
    let png = png(64, 64);
    let res = b
        .post_multipart(
            "/web/settings/profile",
            profile_form(png_part(png[..png.len() / 2].to_vec(), "half.png")),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("the avatar can"), "{}", res.body);
    assert_eq!(owner().avatar, avatar);

    // Remove: the token is required; then the default shows and the
    // file is gone.
    let res = b
        .post("/web/settings/picture/remove", &[("picture", "avatar")])
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(owner().avatar, avatar);
    let res = b
        .post(
            "/web/settings/picture/remove",
            &[("csrf", &csrf), ("picture", "avatar")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(owner().avatar, "");
    assert_eq!(client().get(&avatar).send().await.unwrap().status(), 404);
    let page = b.get("/web/settings").await;
    assert!(page.body.contains(r#"src="/static/avatar.png""#));
}
