//! HTTPS without a proxy: Burrow serves TLS itself from certificate
//! files, with every layer of the plain server (limits, headers), and its
//! plain listener sends browsers to HTTPS. Bad files stop the start with
//! a message naming them.

use crate::common::PASSWORD;
use burrow::config::Config;
use burrow::ops::setup::{self, NewOwner};
use burrow::server::{self, Server};
use burrow::state::KeyGen;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A certificate for `localhost` and 127.0.0.1 signed by its own key,
/// written as PEM files into `dir`: (cert path, key path, cert PEM).
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path, cert.pem())
}

/// A client that trusts only `ca_pem` and finds `localhost` at `addr`.
pub fn trusting(ca_pem: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server with an owner, `https://localhost:PORT`, configured by `tune`
/// and given a plain listener; returns its TLS and plain addresses.
pub struct TlsServer {
    pub addr: SocketAddr,
    pub plain: SocketAddr,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), server::StartError>>,
}

impl TlsServer {
    pub async fn start(dir: tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> TlsServer {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        Self::start_at(dir, any, any, tune).await
    }

    /// `start` with the HTTPS port at `addr` and the plain one at `plain`.
    pub async fn start_at(
        dir: tempfile::TempDir,
        addr: SocketAddr,
        plain: SocketAddr,
        tune: impl FnOnce(&mut Config),
    ) -> TlsServer {
        let listener = TcpListener::bind(addr).await.unwrap();
        let plain = TcpListener::bind(plain).await.unwrap();
        Self::start_on(dir, listener, plain, tune).await
    }

    /// `start` on listeners already bound, so no other test can take
    /// their ports between choosing and binding them.
    pub async fn start_on(
        dir: tempfile::TempDir,
        listener: TcpListener,
        plain: TcpListener,
        tune: impl FnOnce(&mut Config),
    ) -> TlsServer {
        let addr = listener.local_addr().unwrap();
        let plain_addr = plain.local_addr().unwrap();
        let mut config = Config::default();
        config.server.listen = addr;
        config.server.public_url = format!("https://localhost:{}", addr.port());
        config.server.http_listen = Some(plain_addr);
        config.storage.cache_mib = 4;
        tune(&mut config);
        let store = server::open_store(dir.path(), &config).unwrap();
        if store.owner().unwrap().is_none() {
            let urls = burrow::urls::Urls::new(&config.server.public_url);
            let new = NewOwner {
                username: "alice".into(),
                display_name: "Alice".into(),
                password: PASSWORD.into(),
            };
            setup::create_owner(&store, &urls, &new, burrow::crypto::keys::seeded_pkcs8(1))
                .unwrap();
        }
        let server = Server::with_listener(listener, dir.path(), store, config, KeyGen::Seeded(1))
            .with_plain_listener(plain);
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        TlsServer {
            addr,
            plain: plain_addr,
            dir,
            shutdown: Some(tx),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// Stops the server and hands back how it ended and its directory.
    pub async fn stop(mut self) -> (Result<(), server::StartError>, tempfile::TempDir) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = self.handle.await.unwrap();
        (result, self.dir)
    }
}

#[tokio::test]
async fn https_from_certificate_files_serves_the_whole_app() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let (cert, key, pem) = self_signed(certs.path());
    let s = TlsServer::start(dir, |c| {
        c.server.tls_cert = Some(cert);
        c.server.tls_key = Some(key);
    })
    .await;
    let c = trusting(&pem, s.addr);
    let host = format!("localhost:{}", s.addr.port());
    let res = c
        .get(s.url(&format!(
            "/.well-known/webfinger?resource=acct:alice@{host}"
        )))
        .send()
        .await
        .expect("the HTTPS handshake succeeds with the configured certificate");
    assert_eq!(res.status(), 200);
    // The layers of the plain server are on the TLS path too.
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["subject"], format!("acct:alice@{host}"));
    let actor: serde_json::Value = c
        .get(s.url("/users/alice"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["id"], s.url("/users/alice"));
    let big = vec![b'a'; burrow::http::MAX_BODY_BYTES + 1];
    let res = c
        .post(s.url("/api/v1/apps"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "the body limit holds over TLS");

    // Plain HTTP on the TLS port gets no page.
    let plain = crate::common::client()
        .get(format!("http://{}/users/alice", s.addr))
        .send()
        .await;
    assert!(!matches!(plain, Ok(r) if r.status().is_success()));
    let (result, _) = s.stop().await;
    result.unwrap();
}

#[tokio::test]
async fn the_plain_listener_redirects_to_https_and_answers_only_challenges() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let (cert, key, _) = self_signed(certs.path());
    let s = TlsServer::start(dir, |c| {
        c.server.tls_cert = Some(cert);
        c.server.tls_key = Some(key);
    })
    .await;
    let c = crate::common::client();
    let res = c
        .get(format!("http://{}/@alice?page=2", s.plain))
        // A hostile Host header does not choose where the redirect goes.
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], s.url("/@alice?page=2"));
    let res = c
        .get(format!(
            "http://{}/.well-known/acme-challenge/unknown-token",
            s.plain
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Nothing of the site is served in plain text.
    let res = c
        .get(format!("http://{}/api/v1/instance", s.plain))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    let (result, _) = s.stop().await;
    result.unwrap();
}

/// Starts a server with `cert` and `key` and returns its start error.
async fn start_error(cert: PathBuf, key: PathBuf) -> String {
    let s = TlsServer::start(tempfile::tempdir().unwrap(), |c| {
        c.server.tls_cert = Some(cert);
        c.server.tls_key = Some(key);
    })
    .await;
    let (result, _) = s.stop().await;
    match result {
        Err(e) => e.to_string(),
        Ok(()) => panic!("the server started with bad certificate files"),
    }
}

#[tokio::test]
async fn bad_certificate_files_stop_the_start_and_are_named() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key, _) = self_signed(certs.path());
    let missing = certs.path().join("missing.pem");
    let err = start_error(missing.clone(), key.clone()).await;
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("cannot read"), "{err}");

    let garbage = certs.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = start_error(garbage.clone(), key.clone()).await;
    assert!(err.contains(&garbage.display().to_string()), "{err}");
    assert!(err.contains("no PEM certificate"), "{err}");

    let err = start_error(cert.clone(), garbage.clone()).await;
    assert!(err.contains(&garbage.display().to_string()), "{err}");
    assert!(err.contains("private key"), "{err}");

    let other = tempfile::tempdir().unwrap();
    let (_, other_key, _) = self_signed(other.path());
    let err = start_error(cert.clone(), other_key.clone()).await;
    assert!(err.contains("does not belong"), "{err}");
    assert!(err.contains(&other_key.display().to_string()), "{err}");
}
