//! Accounts and secrets under attack: password guesses in parallel, a
//! password change that must end every grant made with the old password,
//! push subscriptions that must not keep bearer tokens, and OAuth codes
//! that must be spent only at the address they were issued for.

use crate::common::{self, *};
use burrow::ops::password_limit::FREE_FAILURES;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// More guesses than the limit lets through, sent all at once.
const CONCURRENT_GUESSES: usize = 4 * FREE_FAILURES;
/// Guard against a hung test only; events arrive in milliseconds.
const EVENT_WAIT: Duration = Duration::from_secs(20);
const REDIRECT: &str = "burrow.test:/callback";

/// The value of `name` in a response's `Set-Cookie` headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The login form's nonce: its cookie value, which the form echoes.
async fn login_nonce(s: &TestServer) -> String {
    let res = client().get(s.url("/login")).send().await.unwrap();
    set_cookie(&res, "burrow_login").expect("the login form sets its cookie")
}

async fn post_login(s: &TestServer, nonce: &str, password: &str) -> reqwest::Response {
    client()
        .post(s.url("/login"))
        .header("cookie", format!("burrow_login={nonce}"))
        .form(&[
            ("csrf", nonce),
            ("password", password),
            ("next", "/web/home"),
        ])
        .send()
        .await
        .unwrap()
}

/// Logs in on the web; returns the session cookie's value.
async fn web_login(s: &TestServer, password: &str) -> String {
    let nonce = login_nonce(s).await;
    let res = post_login(s, &nonce, password).await;
    assert_eq!(res.status(), 303, "the login was refused");
    set_cookie(&res, "burrow_session").expect("a session cookie")
}

async fn web_get(s: &TestServer, session: &str, path: &str) -> reqwest::Response {
    client()
        .get(s.url(path))
        .header("cookie", format!("burrow_session={session}"))
        .send()
        .await
        .unwrap()
}

/// Counts responses by status.
fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn concurrent_wrong_passwords_on_the_login_page_get_no_more_checks_than_the_limit() {
    let s = TestServer::start().await;
    let nonce = login_nonce(&s).await;
    let guesses = (0..CONCURRENT_GUESSES).map(|i| {
        let (s, nonce) = (&s, &nonce);
        async move {
            post_login(s, nonce, &format!("wrong guess {i}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(
        count(&statuses, 401) <= FREE_FAILURES,
        "more passwords checked than the limit: {statuses:?}"
    );
    assert_eq!(
        count(&statuses, 401) + count(&statuses, 429),
        CONCURRENT_GUESSES,
        "{statuses:?}"
    );
    // The right password waits too: guessing is paused for everyone.
    let res = post_login(&s, &nonce, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many wrong passwords"));
}

#[tokio::test]
async fn the_authorize_page_shares_the_limit_and_reserves_before_checking() {
    let s = TestServer::start().await;
    let app: Value = client()
        .post(s.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Guesser"),
            ("redirect_uris", REDIRECT),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let html = client()
        .get(s.url("/oauth/authorize"))
        .query(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fields = hidden_fields(&html);
    let guesses = (0..CONCURRENT_GUESSES).map(|i| {
        let (s, fields) = (&s, &fields);
        async move {
            let mut form = fields.clone();
            form.push(("password".into(), format!("wrong guess {i}")));
            form.push(("decision".into(), "approve".into()));
            let res = client()
                .post(s.url("/oauth/authorize"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            if status == 429 {
                assert!(body.contains("Too many wrong passwords"), "{body}");
            }
            status
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(
        count(&statuses, 401) <= FREE_FAILURES,
        "more passwords checked than the limit: {statuses:?}"
    );
    assert_eq!(
        count(&statuses, 401) + count(&statuses, 429),
        CONCURRENT_GUESSES,
        "{statuses:?}"
    );
    // One limiter: guesses on the authorize page pause the login page.
    let nonce = login_nonce(&s).await;
    assert_eq!(post_login(&s, &nonce, PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn a_password_change_on_the_web_signs_out_every_app_and_other_session() {
    let s = TestServer::start().await;
    let (_, app_token) = app_and_token(&s, "read write").await;
    let mut stream = client()
        .get(s.url("/api/v1/streaming/user"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let here = web_login(&s, PASSWORD).await;
    let elsewhere = web_login(&s, PASSWORD).await;
    assert_eq!(web_get(&s, &elsewhere, "/web/settings").await.status(), 200);

    let settings = web_get(&s, &here, "/web/settings")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_fields(&settings)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .expect("the settings page carries its token");
    let new_password = "a brand new password";
    let res = client()
        .post(s.url("/web/settings/password"))
        .header("cookie", format!("burrow_session={here}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", PASSWORD),
            ("new", new_password),
            ("confirm", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let next = res.headers()["location"].to_str().unwrap().to_string();

    // The session that made the change stays, and says what happened.
    let page = web_get(&s, &here, &next).await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("All apps and other sessions were signed out"));
    // The other browser is logged out, the app's token is dead…
    let res = web_get(&s, &elsewhere, "/web/settings").await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let res = client()
        .get(s.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(s.state.store.tokens().unwrap().is_empty());
    // …and its open stream ends.
    let ended = async { while let Ok(Some(_)) = stream.chunk().await {} };
    tokio::time::timeout(EVENT_WAIT, ended)
        .await
        .expect("the revoked token's stream ends");
    // The new password works, the old one not.
    web_login(&s, new_password).await;
    let nonce = login_nonce(&s).await;
    assert_eq!(post_login(&s, &nonce, PASSWORD).await.status(), 401);
}

/// `burrow passwd`, through the real binary, on a data directory holding
/// an app's token, an unspent code and a browser session.
#[tokio::test]
async fn burrow_passwd_signs_out_every_app_and_session() {
    let s = TestServer::start().await;
    let (_, app_token) = app_and_token(&s, "read").await;
    let session = web_login(&s, PASSWORD).await;
    let dir = s.stop().await;
    std::fs::write(
        dir.path().join(burrow::config::CONFIG_FILE),
        "[server]\npublic_url = \"http://127.0.0.1:1\"\n",
    )
    .unwrap();

    let out = passwd(dir.path(), "another long password");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("All apps and browser sessions were signed out"),
        "{said}"
    );

    let config = burrow::config::Config::load(dir.path(), &Default::default()).unwrap();
    let store = burrow::server::open_store(dir.path(), &config).unwrap();
    assert!(store.tokens().unwrap().is_empty());
    assert!(burrow::ops::oauth::authenticate_token(&store, &app_token)
        .unwrap()
        .is_none());
    let hash = burrow::crypto::token_hash(&session);
    assert!(store.session(&hash, 0).unwrap().is_none());
}

fn passwd(dir: &Path, password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_burrow"))
        .args(["passwd", "--data-dir"])
        .arg(dir)
        .arg("--password-stdin")
        .env_remove("BURROW_DATA_DIR")
        .env_remove("BURROW_PUBLIC_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the burrow binary starts");
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes());
    child.wait_with_output().unwrap()
}

/// Whether any file under `dir` contains `needle`.
fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            return any_file_contains(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[tokio::test]
async fn a_push_subscription_leaves_no_bearer_token_on_disk() {
    let s = TestServer::start().await;
    let tok = common::token(&s, "push").await;
    let res = client()
        .post(s.url("/api/v1/push/subscription"))
        .bearer_auth(&tok)
        .form(&[
            ("subscription[endpoint]", "https://push.example/wpush/1"),
            (
                "subscription[keys][p256dh]",
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            ),
            ("subscription[keys][auth]", "BTBZMqHH6r4Tts7J_aSIgg"),
            ("data[alerts][mention]", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let hash = burrow::crypto::token_hash(&tok);
    assert!(s.state.store.push_subscription(&hash).unwrap().is_some());
    s.state.store.flush().await.unwrap();
    let dir = s.stop().await;
    assert!(
        !any_file_contains(dir.path(), tok.as_bytes()),
        "the raw access token was written to the data directory"
    );
}

/// An authorization code for `REDIRECT`, approved with the password.
async fn code_for(s: &TestServer, app: &Value) -> String {
    let html = client()
        .get(s.url("/oauth/authorize"))
        .query(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = hidden_fields(&html);
    form.push(("password".into(), PASSWORD.into()));
    form.push(("decision".into(), "approve".into()));
    let res = client()
        .post(s.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

#[tokio::test]
async fn a_code_is_exchanged_only_with_the_redirect_uri_it_was_issued_for() {
    let s = TestServer::start().await;
    let app: Value = client()
        .post(s.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Two addresses"),
            (
                "redirect_uris",
                &format!("{REDIRECT}\nhttps://other.example/cb"),
            ),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exchange = |code: String, redirect: Option<&'static str>| {
        let s = &s;
        let app = &app;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("client_id", app["client_id"].as_str().unwrap().to_string()),
                (
                    "client_secret",
                    app["client_secret"].as_str().unwrap().to_string(),
                ),
            ];
            if let Some(r) = redirect {
                form.push(("redirect_uri", r.to_string()));
            }
            client()
                .post(s.url("/oauth/token"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    for redirect in [None, Some(""), Some("https://other.example/cb")] {
        let res = exchange(code_for(&s, &app).await, redirect).await;
        assert_eq!(res.status(), 400, "{redirect:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{redirect:?}: {body}");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri"));
    }
    assert!(s.state.store.tokens().unwrap().is_empty());
    let res = exchange(code_for(&s, &app).await, Some(REDIRECT)).await;
    assert_eq!(res.status(), 200);
}
