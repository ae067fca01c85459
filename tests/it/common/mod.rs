//! Test harness: real servers on `127.0.0.1:0` with real sled stores in
//! temporary directories, spoken to over HTTP.
#![allow(dead_code)]

pub mod binary;
pub mod peer;

use burrow::config::Config;
use burrow::ops::setup::{self, NewOwner};
use burrow::server::{self, Server};
use burrow::state::{AppState, KeyGen};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

/// How to start a test server.
pub struct TestOptions {
    /// Create this owner before serving; `None` leaves the server un-set-up.
    pub username: Option<&'static str>,
    /// Seed of the owner's RSA key (same seed, same key, generated once).
    pub key_seed: u64,
    pub allow_private_network: bool,
    /// `federation.authorized_fetch`: every ActivityPub GET must be signed.
    pub authorized_fetch: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            username: Some("alice"),
            key_seed: 1,
            allow_private_network: true,
            authorized_fetch: false,
        }
    }
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT`, also the server's public URL.
    pub base: String,
    pub host: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    /// Dropping the server drops this sender, which stops the server.
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(TestOptions::default()).await
    }

    pub async fn start_with(opts: TestOptions) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, opts).await
    }

    /// Starts a server on an existing data directory (restart tests).
    pub async fn start_in(dir: tempfile::TempDir, opts: TestOptions) -> TestServer {
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config::default();
        config.server.listen = addr;
        config.server.public_url = base.clone();
        config.storage.cache_mib = 4;
        config.federation.allow_private_network = opts.allow_private_network;
        config.federation.authorized_fetch = opts.authorized_fetch;
        let store = open_store_when_free(dir.path(), &config).await;
        if let Some(name) = opts.username {
            if store.owner().unwrap().is_none() {
                let urls = burrow::urls::Urls::new(&base);
                let new = NewOwner {
                    username: name.to_string(),
                    display_name: format!("{name} (test)"),
                    password: PASSWORD.to_string(),
                };
                setup::create_owner(
                    &store,
                    &urls,
                    &new,
                    burrow::crypto::keys::seeded_pkcs8(opts.key_seed),
                )
                .expect("create owner");
            }
        }
        let server = Server::with_listener(
            listener,
            dir.path(),
            store,
            config,
            KeyGen::Seeded(opts.key_seed),
        );
        let state = server.state.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        TestServer {
            host: addr.to_string(),
            base,
            state,
            dir,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the server gracefully (final flush) and hands back its data
    /// directory, so a test can start again on it.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
        let TestServer { state, dir, .. } = self;
        drop(state);
        dir
    }
}

/// Opens the store, waiting (bounded) while a stopped server's last
/// tasks still hold it: a restart in the same process can come before
/// the runtime has dropped every aborted task and its handle.
async fn open_store_when_free(dir: &std::path::Path, config: &Config) -> burrow::store::Store {
    let mut tries = 0;
    loop {
        match server::open_store(dir, config) {
            Ok(store) => return store,
            Err(e) if tries < 100 && e.to_string().contains("locked") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("open store: {e:?}"),
        }
    }
}

/// A client that does not follow redirects, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub const AP_ACCEPT: &str = "application/activity+json";

/// Waits (bounded) until `check` holds; federation work runs in
/// background workers on both servers, so tests wait for its effect.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Two servers that can reach each other over loopback: alice and bob.
pub async fn pair() -> (TestServer, TestServer) {
    let a = TestServer::start().await;
    let b = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    (a, b)
}

/// An access token with `scopes` for the owner, got through the real
/// OAuth flow: register an app, approve on the authorize page with the
/// password, exchange the code.
pub async fn token(s: &TestServer, scopes: &str) -> String {
    app_and_token(s, scopes).await.1
}

/// A client for the Mastodon API with a bearer token.
pub struct Api<'a> {
    pub s: &'a TestServer,
    pub token: String,
}

impl Api<'_> {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        client()
            .get(self.s.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client()
            .post(self.s.url(path))
            .bearer_auth(&self.token)
            .form(form)
            .send()
            .await
            .unwrap()
    }
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        client()
            .post(self.s.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    pub async fn put_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        client()
            .put(self.s.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        client()
            .delete(self.s.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }
    /// GET, expecting 200, returning the JSON.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// Values of the authorize page's hidden inputs, unescaped, as a browser
/// would submit them.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|chunk| {
            let attr = |name: &str| {
                let start = chunk.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + chunk[start..].find('"').unwrap();
                unescape(&chunk[start..end])
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

/// `token`, with the app it was issued to (`client_id`,
/// `client_secret`), for tests that revoke it.
pub async fn app_and_token(s: &TestServer, scopes: &str) -> (serde_json::Value, String) {
    app_and_token_at(&s.base, scopes).await
}

/// [`app_and_token`] for the server at `base` (a child process, say).
pub async fn app_and_token_at(base: &str, scopes: &str) -> (serde_json::Value, String) {
    const REDIRECT: &str = "burrow.test:/callback";
    let app: serde_json::Value = client()
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "Test App"),
            ("redirect_uris", REDIRECT),
            ("scopes", scopes),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = app["client_id"].as_str().unwrap();
    let html = client()
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scopes),
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
        .post(format!("{base}/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "the authorize form was refused");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let code = url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("the redirect carries a code");
    let tok: serde_json::Value = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["access_token"]
        .as_str()
        .expect("an access token")
        .to_string();
    (app, token)
}

/// GETs `url` as a peer does (ActivityPub `Accept`) and reads the JSON.
pub async fn get_ap(url: &str) -> serde_json::Value {
    client()
        .get(url)
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The owner of `follower` follows `handle` (`user@host`) and waits until
/// the Accept arrived; returns the followed account as `follower` knows it.
pub async fn follow_accepted(
    follower: &TestServer,
    handle: &str,
) -> burrow::store::accounts::Account {
    let followed = burrow::federation::resolve_handle(&follower.state, handle)
        .await
        .expect("the followed account resolves");
    burrow::ops::follows::follow(&follower.state, followed.id, Default::default())
        .await
        .unwrap();
    eventually("the follow is accepted", || {
        follower
            .state
            .store
            .has_relation(burrow::store::relations::Rel::Following, followed.id)
            .unwrap()
    })
    .await;
    followed
}

/// The poll of status `id` as `s` has stored it.
pub fn stored_poll(s: &TestServer, id: u64) -> burrow::store::statuses::Poll {
    s.state
        .store
        .status(id)
        .unwrap()
        .expect("the status is stored")
        .poll
        .expect("the status has a poll")
}

/// A `w`x`h` PNG with a colour gradient, as a phone or editor saves one;
/// made here so tests depend on no file.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A multipart file part holding a PNG named `name`.
pub fn png_part(bytes: Vec<u8>, name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("image/png")
        .unwrap()
}
