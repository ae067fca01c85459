//! Certificates from an ACME certificate authority (RFC 8555), such as
//! Let's Encrypt: ordered at start when none is cached, renewed before
//! expiry by a task that sleeps until then, proven by HTTP-01 on the
//! plain listener when there is one, else by TLS-ALPN-01 on the HTTPS
//! port. The account key and the certificate are kept in `D/tls/`, so a
//! restart neither registers again nor orders again.

use super::files::{certified, parse_chain, parse_key};
use super::validity::validity;
use super::{CertResolver, TlsError};
use bytes::Bytes;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType,
    HttpClient, Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Folder of the data directory holding the ACME account and certificate.
pub const TLS_DIR: &str = "tls";
const ACCOUNT_FILE: &str = "acme-account.json";
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";

/// Renew once this share of a certificate's lifetime has passed (Let's
/// Encrypt's advice: 60 of 90 days, 30 of 45), leaving a third of it to
/// retry in.
const RENEW_AT_NUMERATOR: i64 = 2;
const RENEW_AT_DENOMINATOR: i64 = 3;
/// After a failed attempt, wait this long, doubling per failure up to
/// `MAX_RETRY`: a CA that is down or a port that is closed is not fixed
/// by asking faster, and CAs rate-limit failures.
const FIRST_RETRY: Duration = Duration::from_secs(60);
const MAX_RETRY: Duration = Duration::from_secs(6 * 3600);
/// How long the CA may take to validate a challenge, and then to issue.
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Each request to the CA.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read from the CA; a certificate chain is a few KiB.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Most HTTP-01 tokens held at once: one domain has one challenge per
/// order, and an order runs at a time.
const MAX_HTTP01_TOKENS: usize = 8;

/// The HTTP-01 answers the plain listener gives while an order is being
/// validated: token → key authorization.
#[derive(Clone, Debug, Default)]
pub struct Http01Tokens(Arc<Mutex<HashMap<String, String>>>);

impl Http01Tokens {
    pub fn get(&self, token: &str) -> Option<String> {
        self.lock().get(token).cloned()
    }

    pub fn insert(&self, token: &str, key_authorization: &str) {
        let mut tokens = self.lock();
        if tokens.len() >= MAX_HTTP01_TOKENS {
            tokens.clear();
        }
        tokens.insert(token.to_string(), key_authorization.to_string());
    }

    pub fn remove(&self, token: &str) {
        self.lock().remove(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Everything the certificate task needs; cheap to clone (the supervisor
/// starts it afresh after a panic).
#[derive(Clone)]
pub struct AcmeJob {
    /// Where handshakes get the certificate; the task swaps it in.
    pub resolver: Arc<CertResolver>,
    /// `D/tls`.
    dir: PathBuf,
    domain: String,
    email: Option<String>,
    directory: String,
    tokens: Http01Tokens,
    /// HTTP-01 (a plain listener answers on port 80) rather than
    /// TLS-ALPN-01 (the HTTPS port answers).
    http01: bool,
}

impl AcmeJob {
    /// Prepares `D/tls` and serves the cached certificate, if any, at
    /// once; a cached file that can't be read is ordered anew.
    pub fn new(
        data_dir: &Path,
        domain: &str,
        email: Option<&str>,
        directory: &str,
        tokens: Http01Tokens,
        http01: bool,
    ) -> Result<AcmeJob, TlsError> {
        let dir = data_dir.join(TLS_DIR);
        create_private_dir(&dir)?;
        let cached = match load_cached(&dir) {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!("the cached certificate is not usable ({e}); ordering a new one");
                None
            }
        };
        Ok(AcmeJob {
            resolver: Arc::new(CertResolver::new(cached)),
            dir,
            domain: domain.to_ascii_lowercase(),
            email: email.map(str::to_string),
            directory: directory.to_string(),
            tokens,
            http01,
        })
    }

    /// When the served certificate should be renewed: now when there is
    /// none, else two thirds into its lifetime.
    pub fn renewal_due(&self) -> SystemTime {
        let Some(current) = self.resolver.current() else {
            return SystemTime::now();
        };
        let Some((not_before, not_after)) = current
            .end_entity_cert()
            .ok()
            .and_then(|der| validity(der.as_ref()))
        else {
            return SystemTime::now();
        };
        let at = not_before
            + (not_after - not_before).max(0) * RENEW_AT_NUMERATOR / RENEW_AT_DENOMINATOR;
        UNIX_EPOCH + Duration::from_secs(u64::try_from(at).unwrap_or(0))
    }

    /// Orders a certificate, proves the domain, saves and serves it.
    pub async fn obtain(&self) -> Result<(), TlsError> {
        let account = self.account().await?;
        let identifiers = [Identifier::Dns(self.domain.clone())];
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .map_err(acme)?;
        let proven = self.prove(&mut order).await;
        // The challenge answers are needed only while the CA validates.
        self.resolver.clear_challenge(&self.domain);
        let status = proven?;
        if status != OrderStatus::Ready {
            return Err(TlsError::Acme(format!(
                "the certificate authority did not accept the proof of {} ({status:?}); check that {} reaches this server from the internet",
                self.domain,
                if self.http01 { "port 80" } else { "port 443" },
            )));
        }
        let key_pem = order.finalize().await.map_err(acme)?;
        let chain_pem = order
            .poll_certificate(&RetryPolicy::new().timeout(VALIDATION_TIMEOUT))
            .await
            .map_err(acme)?;
        let cert_path = self.dir.join(CERT_FILE);
        let key_path = self.dir.join(KEY_FILE);
        let key = certified(
            parse_chain(chain_pem.as_bytes(), &cert_path)?,
            parse_key(key_pem.as_bytes(), &key_path)?,
            &cert_path,
            &key_path,
        )?;
        // The key first: a crash between the two leaves a new key with
        // the old certificate, which `load_cached` refuses and reorders.
        write_private(&key_path, key_pem.as_bytes())?;
        write_private(&cert_path, chain_pem.as_bytes())?;
        self.resolver.set(key);
        tracing::info!("new certificate for {} in use", self.domain);
        Ok(())
    }

    /// Answers every pending authorization's challenge and waits for the
    /// CA's verdict on the order.
    async fn prove(&self, order: &mut instant_acme::Order) -> Result<OrderStatus, TlsError> {
        let kind = if self.http01 {
            ChallengeType::Http01
        } else {
            ChallengeType::TlsAlpn01
        };
        let mut tokens = Vec::new();
        let mut authorizations = order.authorizations();
        let answered = async {
            while let Some(authorization) = authorizations.next().await {
                let mut authorization = authorization.map_err(acme)?;
                match authorization.status {
                    AuthorizationStatus::Pending => {}
                    AuthorizationStatus::Valid => continue,
                    other => {
                        return Err(TlsError::Acme(format!(
                            "the authorization for {} is {other:?}",
                            self.domain
                        )))
                    }
                }
                let mut challenge = authorization.challenge(kind.clone()).ok_or_else(|| {
                    TlsError::Acme(format!(
                        "the certificate authority offers no {kind:?} challenge"
                    ))
                })?;
                let key_authorization = challenge.key_authorization();
                if self.http01 {
                    self.tokens
                        .insert(&challenge.token, key_authorization.as_str());
                    tokens.push(challenge.token.clone());
                } else {
                    self.resolver.set_challenge(
                        &self.domain,
                        alpn_certificate(&self.domain, key_authorization.digest().as_ref())?,
                    );
                }
                challenge.set_ready().await.map_err(acme)?;
            }
            Ok(())
        }
        .await;
        let status = match answered {
            Ok(()) => order
                .poll_ready(&RetryPolicy::new().timeout(VALIDATION_TIMEOUT))
                .await
                .map_err(acme),
            Err(e) => Err(e),
        };
        for token in tokens {
            self.tokens.remove(&token);
        }
        status
    }

    /// The cached account, or a new one registered and cached.
    async fn account(&self) -> Result<Account, TlsError> {
        let file = self.dir.join(ACCOUNT_FILE);
        if let Ok(bytes) = super::files::read_limited(&file) {
            if let Ok(credentials) = serde_json::from_slice::<AccountCredentials>(&bytes) {
                return Account::builder_with_http(http_client()?)
                    .from_credentials(credentials)
                    .await
                    .map_err(acme);
            }
            tracing::warn!(
                "{} is not an ACME account; registering anew",
                file.display()
            );
        }
        let contact = self.email.as_ref().map(|e| format!("mailto:{e}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let (account, credentials) = Account::builder_with_http(http_client()?)
            .create(
                &NewAccount {
                    contact: &contacts,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.directory.clone(),
                None,
            )
            .await
            .map_err(acme)?;
        let json = serde_json::to_vec(&credentials).map_err(|e| TlsError::Acme(e.to_string()))?;
        write_private(&file, &json)?;
        tracing::info!(
            "registered with the certificate authority at {}",
            self.directory
        );
        Ok(account)
    }
}

/// The certificate task: sleeps until renewal is due, renews, and after
/// a failure waits longer each time. It never polls: between renewals it
/// sleeps for weeks.
pub async fn run(job: AcmeJob) {
    let mut failures: u32 = 0;
    loop {
        let wait = job
            .renewal_due()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if !wait.is_zero() {
            tracing::info!(
                "certificate for {} renews in {} hours",
                job.domain,
                wait.as_secs() / 3600
            );
            tokio::time::sleep(wait).await;
        }
        match job.obtain().await {
            Ok(()) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = FIRST_RETRY
                    .saturating_mul(2u32.saturating_pow(failures - 1))
                    .min(MAX_RETRY);
                tracing::warn!("{e}; trying again in {} minutes", pause.as_secs() / 60);
                tokio::time::sleep(pause).await;
            }
        }
    }
}

fn acme(e: instant_acme::Error) -> TlsError {
    TlsError::Acme(e.to_string())
}

/// RFC 8737: a self-signed certificate for `domain` carrying the SHA-256
/// of the key authorization in the critical acmeIdentifier extension.
fn alpn_certificate(domain: &str, digest: &[u8]) -> Result<CertifiedKey, TlsError> {
    let fail =
        |e: rcgen::Error| TlsError::Acme(format!("cannot make the challenge certificate: {e}"));
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()]).map_err(fail)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    let key_der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let signing = rustls::crypto::ring::sign::any_supported_type(&key_der)
        .map_err(|e| TlsError::Acme(e.to_string()))?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signing))
}

/// The cached certificate and key, when both are there and belong
/// together.
fn load_cached(dir: &Path) -> Result<Option<CertifiedKey>, TlsError> {
    let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if !cert.exists() || !key.exists() {
        return Ok(None);
    }
    super::files::load(&cert, &key).map(Some)
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let unwritable = |source| TlsError::Unwritable {
        file: dir.to_path_buf(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(unwritable)
}

/// Writes a secret durably and atomically: readable by the owner only,
/// synced, then renamed over the old file.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let unwritable = |source| TlsError::Unwritable {
        file: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(unwritable)?;
    file.write_all(bytes).map_err(unwritable)?;
    file.sync_all().map_err(unwritable)?;
    std::fs::rename(&tmp, path).map_err(unwritable)?;
    if let Some(parent) = path.parent() {
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// ACME over the crate's own reqwest (rustls on ring, the system's usual
/// roots), with a timeout and a cap on what is read.
fn http_client() -> Result<Box<dyn HttpClient>, TlsError> {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("Burrow/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TlsError::Acme(e.to_string()))?;
    Ok(Box::new(Reqwest(client)))
}

struct Reqwest(reqwest::Client);

impl HttpClient for Reqwest {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let other = |e: String| instant_acme::Error::Other(e.into());
            let (parts, body) = req.into_parts();
            let body = http_body_util::BodyExt::collect(body)
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let mut res = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| other(e.to_string()))?;
            let mut out = http::Response::builder().status(res.status());
            if let Some(headers) = out.headers_mut() {
                *headers = res.headers().clone();
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(|e| other(e.to_string()))? {
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(other(format!(
                        "the certificate authority answered more than {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            let res = out
                .body(http_body_util::Full::new(Bytes::from(bytes)))
                .map_err(instant_acme::Error::Http)?;
            Ok(BytesResponse::from(res))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_with(not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> AcmeJob {
        let dir = std::env::temp_dir().join(format!("burrow-acme-{}", std::process::id()));
        let job = AcmeJob::new(
            &dir,
            "a.example",
            None,
            "https://ca.example/dir",
            Http01Tokens::default(),
            true,
        )
        .unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let key_der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let signing = rustls::crypto::ring::sign::any_supported_type(&key_der).unwrap();
        job.resolver
            .set(CertifiedKey::new(vec![cert.der().clone()], signing));
        job
    }

    #[test]
    fn renewal_is_due_two_thirds_into_the_lifetime() {
        // 90 days from 2026-01-01: due 60 days in, on 2026-03-02.
        let job = job_with((2026, 1, 1), (2026, 4, 1));
        let due = job
            .renewal_due()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(due, 1_772_409_600);
    }

    #[test]
    fn without_a_certificate_renewal_is_due_now() {
        let dir = std::env::temp_dir().join(format!("burrow-acme-none-{}", std::process::id()));
        let job = AcmeJob::new(
            &dir,
            "a.example",
            None,
            "https://ca.example/dir",
            Http01Tokens::default(),
            true,
        )
        .unwrap();
        assert!(job.renewal_due() <= SystemTime::now());
    }
}
