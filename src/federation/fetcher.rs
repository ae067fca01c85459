//! The only way Burrow reaches other servers: fetches of ActivityPub
//! documents, WebFinger look-ups and signed deliveries.
//!
//! Every URL comes from a stranger, so each request is treated as a
//! possible attack on our own network (SSRF): addresses are checked after
//! DNS resolution (in the resolver, so the checked address is the one we
//! connect to), IP-literal URLs and every redirect are checked the same
//! way, and time and body size are capped.

use super::signatures::{self, AP_ACCEPT};
use crate::config::Config;
use crate::crypto::keys::SigningKey;
use crate::state::AppState;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::{Host, Url};

/// Long enough for a slow server across the world, short enough that a
/// black-holed address doesn't hold an inbox job for minutes.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole request, body included: a peer trickling bytes can't keep a
/// connection (and its memory) forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest document we read, counted after decompression so a small
/// gzip bomb can't inflate past it. Real actors and notes are a few KiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Redirects followed per fetch, as Mastodon does; each one is checked
/// and signed anew.
pub const MAX_REDIRECTS: usize = 3;

/// Why a fetch or delivery failed. Messages name the URL and the rule.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not a usable http(s) URL")]
    BadUrl(String),
    #[error("`{0}` points to a private or reserved network address; only public servers are contacted (allow_private_network is off)")]
    PrivateAddress(String),
    #[error("{0} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects(String),
    #[error("{0} redirects in a loop")]
    RedirectLoop(String),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{0} sent more than {MAX_BODY_BYTES} bytes")]
    TooLarge(String),
    #[error("{url} sent `{content_type}`, not an ActivityPub document")]
    WrongContentType { url: String, content_type: String },
    #[error("{url} sent `{content_type}`, not a web page")]
    NotHtml { url: String, content_type: String },
    #[error("{url} sent invalid JSON: {reason}")]
    NotJson { url: String, reason: String },
    #[error("{asked} returned a document whose id is `{got}`; refusing a document that does not come from where it claims")]
    IdMismatch { asked: String, got: String },
    #[error("`{0}` is not a valid user@host address")]
    BadAcct(String),
    #[error("{0} has no ActivityPub actor link in its WebFinger answer")]
    NoActorLink(String),
    #[error("{0} did not answer in time")]
    Timeout(String),
    #[error("cannot reach {url}: {reason}")]
    Network { url: String, reason: String },
    #[error(transparent)]
    Signature(#[from] signatures::SignatureError),
}

/// The key a request is signed with and the `keyId` naming it.
#[derive(Clone)]
pub struct Signer {
    pub key: Arc<SigningKey>,
    pub key_id: String,
}

/// The owner's signer, or `None` before setup (fetches then go unsigned,
/// which servers without authorized fetch still answer).
pub fn owner_signer(state: &AppState) -> Option<Signer> {
    let key = state.signing_key()?;
    let owner = state.store.owner_account().ok()??;
    Some(Signer {
        key,
        key_id: state.urls.key_id(&owner.username),
    })
}

/// A fetched ActivityPub document and where it was finally found.
#[derive(Debug, Clone)]
pub struct Document {
    pub json: Value,
    /// After redirects; equals the asked URL when there were none.
    pub url: Url,
}

impl Document {
    pub fn id(&self) -> Option<&str> {
        self.json.get("id").and_then(Value::as_str)
    }
}

/// A fetched web page's first bytes, as text, and where it was found.
#[derive(Debug, Clone)]
pub struct HtmlPage {
    pub html: String,
    /// After redirects.
    pub url: Url,
}

/// Where a page's head ends; reading a page for its preview stops there.
const HEAD_END: &[u8] = b"</head>";

/// The HTTP client for federation, built once from the settings.
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
    /// Which signers we re-fetched lately; see `keys`.
    pub(crate) keys: super::keys::KeyMemo,
}

impl Fetcher {
    pub fn new(config: &Config) -> Fetcher {
        let allow_private = config.federation.allow_private_network;
        let client = reqwest::Client::builder()
            .user_agent(format!(
                "Burrow/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                config.server.public_url
            ))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // Redirects are followed by hand: each hop is re-checked and
            // re-signed (the signature covers the path and host).
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, behind our checks.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()
            .expect("building the HTTP client (TLS roots are built in)");
        Fetcher {
            client,
            allow_private,
            keys: Default::default(),
        }
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Parses `raw` and refuses what we never contact: other schemes and
    /// IP literals in private ranges. Host names are checked when they
    /// are resolved.
    pub fn check_url(&self, raw: &str) -> Result<Url, FetchError> {
        let url = Url::parse(raw).map_err(|_| FetchError::BadUrl(raw.to_string()))?;
        check_url(&url, self.allow_private)?;
        Ok(url)
    }

    /// GETs an ActivityPub document and checks that its `id` is where it
    /// was fetched from.
    ///
    /// The rule: the `id` must equal the URL asked for; after a redirect
    /// it may instead equal the final URL, provided that URL has the same
    /// scheme, host and port as the one asked for (a server moving its
    /// own paths is fine, another host vouching for it is not). Callers
    /// should use the returned document's `id` as its identity.
    pub async fn fetch_object(
        &self,
        url: &str,
        signer: Option<&Signer>,
    ) -> Result<Document, FetchError> {
        let doc = self.fetch_unchecked(url, signer).await?;
        let asked = self.check_url(url)?;
        let got = doc.id().unwrap_or_default();
        let ok = Url::parse(got).is_ok_and(|id| {
            id == asked || (doc.url != asked && id == doc.url && doc.url.origin() == asked.origin())
        });
        if !ok {
            return Err(FetchError::IdMismatch {
                asked: url.to_string(),
                got: got.to_string(),
            });
        }
        Ok(doc)
    }

    /// GETs an ActivityPub document without the `id` check, for callers
    /// that establish trust another way (a key document whose owner must
    /// claim it back).
    pub async fn fetch_unchecked(
        &self,
        url: &str,
        signer: Option<&Signer>,
    ) -> Result<Document, FetchError> {
        let (url, res) = self.get(url, signer, AP_ACCEPT).await?;
        let ct = content_type(&res);
        if !is_activity_json(&ct) {
            return Err(FetchError::WrongContentType {
                url: url.to_string(),
                content_type: ct,
            });
        }
        let json = read_json(&url, res).await?;
        Ok(Document { json, url })
    }

    /// POSTs an activity to an inbox, signed; returns the status, which
    /// the delivery queue reads to retry or give up. Redirects are not
    /// followed (a moved inbox is a failed delivery, as for Mastodon).
    pub async fn post_activity(
        &self,
        inbox: &str,
        body: &[u8],
        signer: &Signer,
    ) -> Result<StatusCode, FetchError> {
        self.post_activity_synced(inbox, body, signer, None).await
    }

    /// `post_activity` with a `Collection-Synchronization` header, signed
    /// with the rest (see `followers_sync`).
    pub async fn post_activity_synced(
        &self,
        inbox: &str,
        body: &[u8],
        signer: &Signer,
        sync: Option<&str>,
    ) -> Result<StatusCode, FetchError> {
        let url = self.check_url(inbox)?;
        let extra: Vec<(&'static str, &str)> = sync
            .map(|v| (super::followers_sync::HEADER, v))
            .into_iter()
            .collect();
        let headers = signatures::sign_request_with(
            &signer.key,
            &signer.key_id,
            &Method::POST,
            &url,
            body,
            SystemTime::now(),
            &extra,
        )?;
        let res = self
            .client
            .post(url.clone())
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| classify(e, &url))?;
        Ok(res.status())
    }

    /// POSTs `body` with `headers` as given, unsigned: for peers that are
    /// not ActivityPub servers (Web Push services). Same address checks
    /// and caps as every other request; redirects are not followed.
    pub async fn post_raw(
        &self,
        url: &str,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
    ) -> Result<StatusCode, FetchError> {
        let url = self.check_url(url)?;
        let res = self
            .client
            .post(url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(e, &url))?;
        Ok(res.status())
    }

    /// GETs a web page (`text/html` or XHTML), unsigned, for a link
    /// preview: at most `max_bytes` are read, and reading stops once the
    /// head has ended (`</head>` seen), since nothing after it is used.
    /// Same address checks, redirects re-checked, time capped.
    pub async fn fetch_html(&self, url: &str, max_bytes: usize) -> Result<HtmlPage, FetchError> {
        let (url, mut res) = self
            .get(url, None, "text/html, application/xhtml+xml;q=0.9")
            .await?;
        let ct = content_type(&res);
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "text/html" && essence != "application/xhtml+xml" {
            return Err(FetchError::NotHtml {
                url: url.to_string(),
                content_type: ct,
            });
        }
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| classify(e, &url))? {
            let room = max_bytes.saturating_sub(body.len());
            body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
            // `</head>` may straddle two chunks: look a little before the new bytes.
            let from = body.len().saturating_sub(chunk.len() + HEAD_END.len());
            let tail = body.get(from..).unwrap_or_default();
            if body.len() >= max_bytes
                || tail
                    .windows(HEAD_END.len())
                    .any(|w| w.eq_ignore_ascii_case(HEAD_END))
            {
                break;
            }
        }
        Ok(HtmlPage {
            html: String::from_utf8_lossy(&body).into_owned(),
            url,
        })
    }

    /// `user@host` (or `acct:user@host`, `@user@host`) → actor URL, via
    /// the host's WebFinger. Over https; when private networks are allowed
    /// (tests, local setups) plain http is tried after https fails.
    pub async fn webfinger(&self, acct: &str) -> Result<Url, FetchError> {
        let bare = acct.trim();
        let bare = bare.strip_prefix("acct:").unwrap_or(bare);
        let bare = bare.strip_prefix('@').unwrap_or(bare);
        let bad = || FetchError::BadAcct(acct.to_string());
        let (user, host) = bare.split_once('@').ok_or_else(bad)?;
        if user.is_empty()
            || host.is_empty()
            || host.contains(['/', '?', '#', '@', '\\'])
            || user.contains(['/', '?', '#', ' '])
        {
            return Err(bad());
        }
        let schemes: &[&str] = if self.allow_private {
            &["https", "http"]
        } else {
            &["https"]
        };
        let mut last = None;
        for scheme in schemes {
            let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
                .map_err(|_| bad())?;
            url.query_pairs_mut()
                .append_pair("resource", &format!("acct:{user}@{host}"));
            match self.webfinger_at(url.as_str()).await {
                Ok(actor) => return Ok(actor),
                Err(e @ (FetchError::Network { .. } | FetchError::Timeout(_))) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(bad))
    }

    async fn webfinger_at(&self, url: &str) -> Result<Url, FetchError> {
        let (url, res) = self
            .get(url, None, "application/jrd+json, application/json")
            .await?;
        let ct = content_type(&res);
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence != "application/jrd+json" && essence != "application/json" {
            return Err(FetchError::WrongContentType {
                url: url.to_string(),
                content_type: ct,
            });
        }
        let jrd = read_json(&url, res).await?;
        let links = jrd.get("links").and_then(Value::as_array);
        links
            .into_iter()
            .flatten()
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some("self"))
            .filter(|l| {
                l.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(is_activity_json)
            })
            .filter_map(|l| l.get("href").and_then(Value::as_str))
            .filter_map(|h| Url::parse(h).ok())
            .find(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| FetchError::NoActorLink(url.to_string()))
    }

    /// GET with hand-followed redirects; returns the final URL and a
    /// successful response.
    async fn get(
        &self,
        raw: &str,
        signer: Option<&Signer>,
        accept: &'static str,
    ) -> Result<(Url, reqwest::Response), FetchError> {
        let first = self.check_url(raw)?;
        let mut url = first.clone();
        let mut seen = vec![url.clone()];
        loop {
            let mut req = self.client.get(url.clone());
            match signer {
                // The signer sets (and signs) Accept itself.
                Some(s) if accept == AP_ACCEPT => {
                    req = req.headers(signatures::sign_request(
                        &s.key,
                        &s.key_id,
                        &Method::GET,
                        &url,
                        b"",
                        SystemTime::now(),
                    )?);
                }
                _ => req = req.header(ACCEPT, HeaderValue::from_static(accept)),
            }
            let res = req.send().await.map_err(|e| classify(e, &url))?;
            let status = res.status();
            if status.is_redirection() {
                let next = res
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| FetchError::Status {
                        url: url.to_string(),
                        status: status.as_u16(),
                    })?;
                check_url(&next, self.allow_private)?;
                if seen.contains(&next) {
                    return Err(FetchError::RedirectLoop(first.to_string()));
                }
                if seen.len() > MAX_REDIRECTS {
                    return Err(FetchError::TooManyRedirects(first.to_string()));
                }
                seen.push(next.clone());
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            return Ok((url, res));
        }
    }
}

/// `application/activity+json`, or `application/ld+json` with the
/// ActivityStreams profile: what ActivityPub says a server must answer.
pub fn is_activity_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("").to_ascii_lowercase();
    match essence.as_str() {
        "application/activity+json" => true,
        "application/ld+json" => parts.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("profile")
                    && v.trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|p| p == "https://www.w3.org/ns/activitystreams")
            })
        }),
        _ => false,
    }
}

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Reads at most `MAX_BODY_BYTES` (decompressed) and parses JSON.
async fn read_json(url: &Url, mut res: reqwest::Response) -> Result<Value, FetchError> {
    let too_large = || FetchError::TooLarge(url.to_string());
    if res
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| classify(e, url))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::NotJson {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

/// Turns a reqwest error into ours, recognising our resolver's refusal.
fn classify(e: reqwest::Error, url: &Url) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(url.to_string());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut reason = String::new();
    while let Some(s) = source {
        if s.downcast_ref::<Refused>().is_some() {
            return FetchError::PrivateAddress(url.to_string());
        }
        reason = s.to_string();
        source = s.source();
    }
    FetchError::Network {
        url: url.to_string(),
        reason,
    }
}

fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(FetchError::BadUrl(url.to_string()));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::BadUrl(url.to_string())),
    };
    if allow_private || is_public_ip(ip) {
        Ok(())
    } else {
        Err(FetchError::PrivateAddress(url.to_string()))
    }
}

/// The address rule, kept in `addresses` with the registries it follows.
pub use super::addresses::is_public_ip;

/// Marks a refusal by our resolver inside reqwest's error chain.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves only to non-public addresses", self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves `host` and keeps only the addresses we may contact; fails
/// when none are left. The resolver hands reqwest exactly these, so a
/// name can't pass the check and then connect elsewhere (DNS rebinding).
pub async fn resolve_public(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    let kept: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| allow_private || is_public_ip(a.ip()))
        .collect();
    if kept.is_empty() {
        return Err(Box::new(Refused(host.to_string())));
    }
    Ok(kept)
}

/// reqwest's DNS hook; see [`resolve_public`].
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve_public(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Fetches an ActivityPub document on the owner's behalf (signed when
/// there is an owner), with the `id` check.
pub async fn fetch_object(state: &AppState, url: &str) -> Result<Document, FetchError> {
    let signer = owner_signer(state);
    state.fetcher.fetch_object(url, signer.as_ref()).await
}
