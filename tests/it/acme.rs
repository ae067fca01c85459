//! Certificates over ACME, end to end and never over the internet: a
//! small certificate authority written here (the RFC 8555 subset Burrow
//! uses: directory, nonces, account, order, authorization, challenge,
//! finalize, certificate; JWS signatures checked) validates Burrow's
//! HTTP-01 answer on its plain listener, or its TLS-ALPN-01 certificate
//! on the HTTPS port, issues a certificate signed by a test CA, and
//! Burrow then serves HTTPS with it, without a restart, and again from
//! its cache after one.

use crate::tls::{trusting, TlsServer};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the test waits for Burrow to get its certificate; a guard
/// against a hang only (it takes well under a second).
const ISSUE_TIMEOUT: Duration = Duration::from_secs(60);

struct Ca {
    base: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    root_pem: String,
    /// Burrow's HTTPS and plain listeners, where challenges are checked.
    https: SocketAddr,
    plain: Option<SocketAddr>,
    state: Mutex<CaState>,
}

#[derive(Default)]
struct CaState {
    nonce: u64,
    /// The account's public key (JWK) and its RFC 7638 thumbprint.
    jwk: Option<Value>,
    thumbprint: String,
    domain: String,
    token: String,
    authorized: bool,
    chain_pem: Option<String>,
    accounts: usize,
    orders: usize,
    /// Which challenge types were validated.
    validated: Vec<&'static str>,
}

type Shared = Arc<Ca>;

impl Ca {
    async fn start(https: SocketAddr, plain: Option<SocketAddr>) -> Shared {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Burrow test CA");
        let root = params.self_signed(&key).unwrap();
        let ca = Arc::new(Ca {
            base,
            issuer: rcgen::Issuer::new(params, key),
            root_pem: root.pem(),
            https,
            plain,
            state: Mutex::default(),
        });
        let app = Router::new()
            .route("/directory", get(directory))
            .route(
                "/nonce",
                get(|State(ca): State<Shared>| async move {
                    ca.reply(StatusCode::OK, None, json!(null))
                }),
            )
            .route("/account", post(new_account))
            .route("/new-order", post(new_order))
            .route("/order/1", post(order))
            .route("/authz/1", post(authz))
            .route("/chall/{kind}", post(challenge))
            .route("/finalize/1", post(finalize))
            .route("/cert/1", post(certificate))
            .with_state(ca.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ca
    }

    fn directory_url(&self) -> String {
        format!("{}/directory", self.base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CaState> {
        self.state.lock().unwrap()
    }

    /// A JSON answer with a fresh nonce, and a `Location` when given.
    fn reply(&self, status: StatusCode, location: Option<String>, body: Value) -> Response {
        let nonce = {
            let mut s = self.lock();
            s.nonce += 1;
            format!("nonce-{}", s.nonce)
        };
        let mut res = (status, axum::Json(body)).into_response();
        let h = res.headers_mut();
        h.insert("replay-nonce", nonce.parse().unwrap());
        h.insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
        if let Some(l) = location {
            h.insert(header::LOCATION, l.parse().unwrap());
        }
        res
    }

    /// Checks a JWS request: the signature under the account key (or
    /// the key it carries, for a new account) and the URL it was meant
    /// for. Returns the protected header and the decoded payload.
    fn verify(&self, path: &str, body: &[u8]) -> (Value, Vec<u8>) {
        let jws: Value = serde_json::from_slice(body).expect("a JWS in flattened JSON");
        let protected_b64 = jws["protected"].as_str().unwrap();
        let payload_b64 = jws["payload"].as_str().unwrap();
        let protected: Value = serde_json::from_slice(&B64.decode(protected_b64).unwrap()).unwrap();
        assert_eq!(protected["alg"], "ES256");
        assert_eq!(protected["url"], format!("{}{path}", self.base));
        assert!(protected["nonce"].as_str().unwrap().starts_with("nonce-"));
        let jwk = match protected.get("jwk") {
            Some(jwk) => jwk.clone(),
            None => {
                assert_eq!(protected["kid"], format!("{}/acct/1", self.base));
                self.lock().jwk.clone().expect("an account")
            }
        };
        let mut point = vec![4u8];
        point.extend(B64.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(B64.decode(jwk["y"].as_str().unwrap()).unwrap());
        let signature = B64.decode(jws["signature"].as_str().unwrap()).unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
            .verify(
                format!("{protected_b64}.{payload_b64}").as_bytes(),
                &signature,
            )
            .expect("the JWS signature verifies");
        (protected, B64.decode(payload_b64).unwrap())
    }

    fn order_json(&self) -> Value {
        let s = self.lock();
        let status = if s.chain_pem.is_some() {
            "valid"
        } else if s.authorized {
            "ready"
        } else {
            "pending"
        };
        let mut order = json!({
            "status": status,
            "identifiers": [{"type": "dns", "value": s.domain}],
            "authorizations": [format!("{}/authz/1", self.base)],
            "finalize": format!("{}/finalize/1", self.base),
        });
        if s.chain_pem.is_some() {
            order["certificate"] = json!(format!("{}/cert/1", self.base));
        }
        order
    }
}

async fn directory(State(ca): State<Shared>) -> Response {
    let b = &ca.base;
    axum::Json(json!({
        "newNonce": format!("{b}/nonce"),
        "newAccount": format!("{b}/account"),
        "newOrder": format!("{b}/new-order"),
    }))
    .into_response()
}

async fn new_account(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    let (protected, payload) = ca.verify("/account", &body);
    let request: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(request["termsOfServiceAgreed"], true);
    let jwk = protected["jwk"].clone();
    // RFC 7638: the required members, in lexical order, no spaces.
    let canonical = format!(
        r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["kty"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    {
        let mut s = ca.lock();
        s.thumbprint = B64.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ));
        s.jwk = Some(jwk);
        s.accounts += 1;
    }
    ca.reply(
        StatusCode::CREATED,
        Some(format!("{}/acct/1", ca.base)),
        json!({"status": "valid"}),
    )
}

async fn new_order(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    let (_, payload) = ca.verify("/new-order", &body);
    let request: Value = serde_json::from_slice(&payload).unwrap();
    {
        let mut s = ca.lock();
        s.domain = request["identifiers"][0]["value"]
            .as_str()
            .unwrap()
            .to_string();
        s.token = B64.encode(rand_token());
        s.authorized = false;
        s.chain_pem = None;
        s.orders += 1;
    }
    let order = ca.order_json();
    ca.reply(
        StatusCode::CREATED,
        Some(format!("{}/order/1", ca.base)),
        order,
    )
}

fn rand_token() -> [u8; 16] {
    let mut t = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut t).unwrap();
    t
}

async fn order(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    ca.verify("/order/1", &body);
    let order = ca.order_json();
    ca.reply(StatusCode::OK, None, order)
}

async fn authz(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    ca.verify("/authz/1", &body);
    let (domain, token, authorized) = {
        let s = ca.lock();
        (s.domain.clone(), s.token.clone(), s.authorized)
    };
    let status = if authorized { "valid" } else { "pending" };
    let challenge = |kind: &str, path: &str| json!({"type": kind, "url": format!("{}/chall/{path}", ca.base), "token": token, "status": status});
    let body = json!({
        "status": status,
        "identifier": {"type": "dns", "value": domain},
        "challenges": [challenge("http-01", "http"), challenge("tls-alpn-01", "alpn")],
    });
    ca.reply(StatusCode::OK, None, body)
}

/// Validates the challenge as a CA would: HTTP-01 by fetching the token
/// from the plain listener, TLS-ALPN-01 by a handshake on the HTTPS port
/// offering only `acme-tls/1` and checking the certificate's digest.
async fn challenge(
    State(ca): State<Shared>,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    ca.verify(&format!("/chall/{kind}"), &body);
    let (domain, token, thumbprint) = {
        let s = ca.lock();
        (s.domain.clone(), s.token.clone(), s.thumbprint.clone())
    };
    let key_authorization = format!("{token}.{thumbprint}");
    let (valid, name) = if kind == "http" {
        let plain = ca.plain.expect("a plain listener");
        let answer = reqwest::Client::new()
            .get(format!("http://{plain}/.well-known/acme-challenge/{token}"))
            .header("host", domain.as_str())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (answer == key_authorization, "http-01")
    } else {
        let digest = ring::digest::digest(&ring::digest::SHA256, key_authorization.as_bytes());
        let cert = alpn_handshake(ca.https, &domain).await;
        (
            cert.windows(32).any(|w| w == digest.as_ref()),
            "tls-alpn-01",
        )
    };
    if valid {
        let mut s = ca.lock();
        s.authorized = true;
        s.validated.push(name);
    }
    let status = if valid { "valid" } else { "invalid" };
    ca.reply(
        StatusCode::OK,
        None,
        json!({"type": name, "url": format!("{}/chall/{kind}", ca.base), "token": token, "status": status}),
    )
}

async fn finalize(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    let (_, payload) = ca.verify("/finalize/1", &body);
    let request: Value = serde_json::from_slice(&payload).unwrap();
    let csr = B64.decode(request["csr"].as_str().unwrap()).unwrap();
    let domain = ca.lock().domain.clone();
    let mut params = rcgen::CertificateParams::new(vec![domain]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(90);
    let leaf = params
        .signed_by(&CsrKey(p256_key_of_csr(&csr)), &ca.issuer)
        .unwrap();
    ca.lock().chain_pem = Some(format!("{}{}", leaf.pem(), ca.root_pem));
    let order = ca.order_json();
    ca.reply(StatusCode::OK, None, order)
}

async fn certificate(State(ca): State<Shared>, body: axum::body::Bytes) -> Response {
    ca.verify("/cert/1", &body);
    let chain = ca.lock().chain_pem.clone().unwrap();
    let mut res = ca.reply(StatusCode::OK, None, json!(null));
    *res.body_mut() = axum::body::Body::from(chain);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/pem-certificate-chain".parse().unwrap(),
    );
    res
}

/// The P-256 public key a CSR asks a certificate for.
struct CsrKey(Vec<u8>);

impl rcgen::PublicKeyData for CsrKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// The uncompressed point in a P-256 CSR: its only 65-byte BIT STRING
/// starting with 0x04 (tag 03, length 66, no unused bits).
fn p256_key_of_csr(csr: &[u8]) -> Vec<u8> {
    let at = csr
        .windows(4)
        .position(|w| w == [0x03, 0x42, 0x00, 0x04])
        .expect("a P-256 key in the CSR");
    csr[at + 3..at + 3 + 65].to_vec()
}

/// The certificate a server shows to a client offering only `acme-tls/1`
/// for `domain`, accepted without checks (the digest is what counts).
async fn alpn_handshake(addr: SocketAddr, domain: &str) -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Capture(seen.clone(), provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"acme-tls/1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(domain.to_string()).unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("the TLS-ALPN-01 handshake succeeds");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"acme-tls/1"[..]));
    let cert = seen.lock().unwrap().clone();
    cert
}

#[derive(Debug)]
struct Capture(Arc<Mutex<Vec<u8>>>, Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().unwrap() = end_entity.to_vec();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    // The challenge certificate's critical acmeIdentifier extension is
    // unknown to the WebPKI parser, so the handshake signatures are taken
    // as they come: this CA judges only the digest.
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

/// Waits until the server at `s` answers HTTPS with a certificate the
/// test CA issued, and returns its WebFinger answer.
async fn served_by_ca(ca: &Ca, s: &TlsServer) -> Value {
    let client = trusting(&ca.root_pem, s.addr);
    let url = s.url(&format!(
        "/.well-known/webfinger?resource=acct:alice@localhost:{}",
        s.addr.port()
    ));
    let deadline = tokio::time::Instant::now() + ISSUE_TIMEOUT;
    loop {
        match client.get(&url).send().await {
            Ok(res) => {
                assert_eq!(res.status(), 200);
                return res.json().await.unwrap();
            }
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("Burrow never served the issued certificate: {e:?}"),
        }
    }
}

/// Binds the HTTPS and plain ports first (the CA must know them), then
/// starts Burrow on those bound listeners with ACME pointed at the CA.
async fn burrow_with_acme(dir: tempfile::TempDir, http01: bool) -> (Shared, TlsServer) {
    let https = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (https_addr, plain_addr) = (https.local_addr().unwrap(), plain.local_addr().unwrap());
    let ca = Ca::start(https_addr, http01.then_some(plain_addr)).await;
    let directory = ca.directory_url();
    let s = TlsServer::start_on(dir, https, plain, move |c| {
        c.server.acme_domain = Some("localhost".into());
        c.server.acme_email = Some("owner@example.net".into());
        c.server.acme_directory = Some(directory);
        if !http01 {
            c.server.http_listen = None;
        }
    })
    .await;
    (ca, s)
}

/// A loopback address nobody listens on now (bound, read, released), so
/// the CA knows where to validate before Burrow starts.
fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test]
async fn http01_gets_a_certificate_served_without_restart_and_cached() {
    let (ca, s) = burrow_with_acme(tempfile::tempdir().unwrap(), true).await;
    let finger = served_by_ca(&ca, &s).await;
    assert_eq!(
        finger["subject"],
        format!("acct:alice@localhost:{}", s.addr.port())
    );
    {
        let st = ca.lock();
        assert_eq!(st.validated, vec!["http-01"]);
        assert_eq!((st.accounts, st.orders), (1, 1));
    }
    // The account and certificate are kept in the data directory …
    let (result, dir) = s.stop().await;
    result.unwrap();
    let tls = dir.path().join("tls");
    for file in ["acme-account.json", "cert.pem", "key.pem"] {
        let meta = std::fs::metadata(tls.join(file)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o077,
            0,
            "{file} is private"
        );
    }
    // … so a restart serves it at once, asking the CA nothing.
    let https = TlsServer::start_at(dir, ca.https, free_addr(), {
        let directory = ca.directory_url();
        move |c| {
            c.server.acme_domain = Some("localhost".into());
            c.server.acme_directory = Some(directory);
        }
    })
    .await;
    served_by_ca(&ca, &https).await;
    assert_eq!(ca.lock().orders, 1, "no new order after a restart");
    let (result, _) = https.stop().await;
    result.unwrap();
}

#[tokio::test]
async fn tls_alpn01_gets_a_certificate_on_the_https_port() {
    let (ca, s) = burrow_with_acme(tempfile::tempdir().unwrap(), false).await;
    served_by_ca(&ca, &s).await;
    assert_eq!(ca.lock().validated, vec!["tls-alpn-01"]);
    let (result, _) = s.stop().await;
    result.unwrap();
}
