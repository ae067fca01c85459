//! A server without an owner: everything says so, until the owner opens
//! the one-time setup link and creates their account.

use crate::common;
use burrow::ops::setup::check_password;
use common::*;
use serde_json::Value;

fn unset() -> TestOptions {
    TestOptions {
        username: None,
        ..Default::default()
    }
}

/// Paths a peer, an app or a browser would try first.
fn paths(s: &TestServer) -> Vec<String> {
    vec![
        "/".to_string(),
        "/@x".to_string(),
        "/users/x".to_string(),
        format!("/.well-known/webfinger?resource=acct:x@{}", s.host),
        "/.well-known/host-meta".to_string(),
        "/nodeinfo/2.0".to_string(),
        "/api/v1/instance".to_string(),
    ]
}

#[tokio::test]
async fn every_page_says_the_server_is_not_set_up() {
    let s = TestServer::start_with(unset()).await;
    let c = client();
    for path in paths(&s) {
        for accept in ["application/json", "application/activity+json", "*/*"] {
            let res = c
                .get(s.url(&path))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 503, "{path} {accept}");
            assert!(res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"));
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error"].as_str().unwrap().contains("not set up"),
                "{path}: {body}"
            );
        }
        let res = c
            .get(s.url(&path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("not set up"), "{path}: {html}");
        assert!(html.contains("setup link"), "{path}: {html}");
    }
    // The setup page's stylesheet stays reachable, at a URL that changes
    // with its content so a new release is never shown with stale styles.
    let res = c.get(s.url("/static/style.css")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = c
        .get(s.url("/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("/static/style.css?v=")
        .expect("a versioned stylesheet link");
    let linked = &html[at..at + html[at..].find('"').unwrap()];
    assert_eq!(c.get(s.url(linked)).send().await.unwrap().status(), 200);
}

fn form<'a>(token: &'a str, username: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("username", username),
        ("display_name", "Me Myself"),
        ("password", password),
    ]
}

#[tokio::test]
async fn setup_needs_the_current_token() {
    let s = TestServer::start_with(unset()).await;
    let c = client();
    let token = s.state.issue_setup_token();
    for query in ["", "?token=", "?token=wrong"] {
        let res = c
            .get(s.url(&format!("/setup{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{query}");
        assert!(res.text().await.unwrap().contains("not valid"));
    }
    let res = c
        .post(s.url("/setup"))
        .form(&form("wrong", "me", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(s.state.store.owner().unwrap().is_none());

    // A newer token replaces the older one.
    let newer = s.state.issue_setup_token();
    let res = c
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .get(s.url(&format!("/setup?token={newer}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn setup_creates_the_owner_once() {
    let s = TestServer::start_with(unset()).await;
    let c = client();
    let token = s.state.issue_setup_token();

    let res = c
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/setup\""));
    assert!(html.contains(&format!("value=\"{token}\"")));
    assert!(html.contains(&s.host), "the form shows the future address");

    // Bad input re-renders the form with the reason and creates nothing.
    for (username, password, display_name, reason) in [
        ("has space", PASSWORD, "Me", "may contain only"),
        ("", PASSWORD, "Me", "1 to 30"),
        ("me", "short", "Me", "too short"),
        ("me", PASSWORD, &"long name ".repeat(5), "display name"),
    ] {
        let res = c
            .post(s.url("/setup"))
            .form(&[
                ("token", token.as_str()),
                ("username", username),
                ("display_name", display_name),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{username} / {password}");
        let html = res.text().await.unwrap();
        assert!(html.contains(reason), "{reason}: {html}");
        assert!(html.contains("<form"), "the form is shown again");
        assert!(html.contains(&format!("value=\"{token}\"")));
        assert!(s.state.store.owner().unwrap().is_none());
    }

    let res = c
        .post(s.url("/setup"))
        .form(&form(&token, "me", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("@me@{}", s.host)), "{html}");
    let owner = s.state.store.owner_account().unwrap().unwrap();
    assert_eq!(owner.username, "me");
    assert_eq!(owner.display_name, "Me Myself");
    assert_eq!(owner.uri, s.url("/users/me"));
    assert!(check_password(&s.state.store, PASSWORD).unwrap());
    let hash = s.state.store.owner().unwrap().unwrap().password_hash;

    // The token is spent: neither the form nor a second owner.
    let res = c
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    let res = c
        .post(s.url("/setup"))
        .form(&form(&token, "other", "another password"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("already has its owner"));
    let after = s.state.store.owner().unwrap().unwrap();
    assert_eq!(after.username, "me");
    assert_eq!(after.password_hash, hash);

    // The new owner is discoverable at once.
    let res = c
        .get(s.url("/.well-known/webfinger"))
        .query(&[("resource", format!("acct:me@{}", s.host))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:me@{}", s.host));
    let res = c
        .get(s.url("/users/me"))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let actor: Value = res.json().await.unwrap();
    assert_eq!(actor["name"], "Me Myself");
    let res = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/@me");
}

#[tokio::test]
async fn owner_made_by_setup_survives_a_restart() {
    let s = TestServer::start_with(unset()).await;
    let token = s.state.issue_setup_token();
    let res = client()
        .post(s.url("/setup"))
        .form(&form(&token, "me", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = s.state.store.owner_account().unwrap().unwrap().id;
    let dir = s.stop().await;
    // Same directory, new port: the stored identity is unchanged, so
    // check the store directly rather than URLs.
    let config = burrow::config::Config::default();
    let store = burrow::server::open_store(dir.path(), &config).unwrap();
    assert_eq!(store.owner_account().unwrap().unwrap().id, id);
    assert!(check_password(&store, PASSWORD).unwrap());
}

/// The first minutes: the setup page logs the new owner in and shows
/// what to do next; on an address nobody else can reach it says so.
#[tokio::test]
async fn after_setup_the_owner_is_logged_in_and_sees_next_steps() {
    let s = TestServer::start_with(unset()).await;
    let c = client();
    let token = s.state.issue_setup_token();
    let form_html = c
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 127.0.0.1: the warning comes before the identity is made.
    assert!(
        form_html.contains("Nobody else can reach this identity"),
        "{form_html}"
    );
    assert!(form_html.contains("public_url"), "{form_html}");

    let res = c
        .post(s.url("/setup"))
        .form(&form(&token, "me", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("burrow_session="))
        .expect("setup opens a session")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains("Next steps"), "{html}");
    // The server to type into an app, the search box and how to write an
    // address, the profile link to share.
    assert!(html.contains(&format!("<code>{}</code>", s.host)), "{html}");
    assert!(html.contains("href=\"/web/search\""), "{html}");
    assert!(html.contains("@someone@mastodon.social"), "{html}");
    assert!(html.contains(&format!("@me@{}", s.host)), "{html}");
    assert!(html.contains(&s.url("/@me")), "{html}");
    assert!(
        html.contains("Nobody else can reach this identity"),
        "{html}"
    );

    // Logged in: the owner's pages open with that cookie, not without.
    let home = c
        .get(s.url("/web/home"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let anonymous = c.get(s.url("/web/home")).send().await.unwrap();
    assert!(anonymous.status().is_redirection());
}

#[tokio::test]
async fn a_public_address_gets_no_warning() {
    use burrow::config::Config;
    use burrow::server::{self, Server};
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::default();
    config.server.public_url = "https://burrow.example".into();
    config.storage.cache_mib = 4;
    let store = server::open_store(dir.path(), &config).unwrap();
    let server = Server::with_listener(
        listener,
        dir.path(),
        store,
        config,
        burrow::state::KeyGen::Seeded(1),
    );
    let state = server.state.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let token = state.issue_setup_token();
    let c = client();
    let form_html = c
        .get(format!("http://{addr}/setup?token={token}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form_html.contains("@burrow.example"), "{form_html}");
    assert!(!form_html.contains("Nobody else"), "{form_html}");
    let html = c
        .post(format!("http://{addr}/setup"))
        .form(&form(&token, "me", PASSWORD))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<code>burrow.example</code>"), "{html}");
    assert!(html.contains("https://burrow.example/@me"), "{html}");
    assert!(!html.contains("Nobody else"), "{html}");
    let _ = tx.send(());
    handle.await.unwrap().unwrap();
}

/// `burrow init` output for `public_url`.
fn init_output(public_url: &str) -> String {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::binary::burrow()
        .args(["init", "--data-dir"])
        .arg(dir.path().join("data"))
        .args([
            "--public-url",
            public_url,
            "--username",
            "me",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn init_says_when_nobody_else_can_reach_the_identity() {
    let local = init_output("http://localhost:8080");
    assert!(
        local.contains("nobody else can reach this identity"),
        "{local}"
    );
    assert!(local.contains("--public-url https://"), "{local}");
    let public = init_output("https://me.example");
    assert!(!public.contains("nobody else"), "{public}");
    assert!(
        public.contains("log in on the server me.example"),
        "{public}"
    );
    assert!(public.contains("https://me.example/@me"), "{public}");
}
