//! HTTP signatures, both ways.
//!
//! Outbound, every request is signed the way Mastodon signs: draft-cavage,
//! `rsa-sha256`, with a `Digest` on POST. Inbound, both draft-cavage and
//! RFC 9421 (`Signature-Input`) are verified, since Mastodon 4.5 and newer
//! servers may send either.
//!
//! Verification is split in two pure steps so the inbox can reject cheap
//! failures (stale date, wrong digest, weak header list) before it spends
//! a network fetch on the signer's key: [`check`] reads the request and
//! builds the signed message, [`Checked::verify`] checks it with a key.

// Every byte parsed here comes from a stranger: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use crate::crypto::keys::{PublicKey, SigningKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far a signature's date (or `created`) may lie from our clock, in
/// either direction. Mastodon allows about the same (a few minutes of
/// validity plus an hour of clock skew); a wider window widens replays.
pub const SIGNATURE_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Most parameters a signature header may carry. Real ones have four to
/// six (`keyId`, `algorithm`, `headers`, `signature`, `created`,
/// `expires`); the cap keeps a stranger's header from costing more than
/// its bytes.
const MAX_SIGNATURE_PARAMS: usize = 16;

/// The content type of every activity we send.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// What we ask for when fetching ActivityPub documents. Both forms, since
/// some servers only answer the JSON-LD one.
pub const AP_ACCEPT: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// What went wrong with a request's signature. Each message names the
/// part at fault, so a peer's operator reading our 401 can fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed (no Signature, Signature-Input or Authorization: Signature header)")]
    Unsigned,
    #[error("the signature header is malformed: {0}")]
    Malformed(String),
    #[error("signature algorithm `{0}` is not supported; use rsa-sha256 (draft-cavage) or rsa-v1_5-sha256 (RFC 9421)")]
    UnsupportedAlgorithm(String),
    #[error("the signature must cover {0}")]
    NotCovered(&'static str),
    #[error("the signature covers `{0}`, but the request has no such header")]
    HeaderAbsent(String),
    #[error("signature component `{0}` is not supported")]
    UnsupportedComponent(String),
    #[error("the request has a body but no Digest or Content-Digest header")]
    DigestMissing,
    #[error("the digest header carries no SHA-256 value ({0}); send SHA-256")]
    UnsupportedDigest(String),
    #[error("the body does not match its digest")]
    DigestMismatch,
    #[error("the signature's date `{0}` is unreadable")]
    BadDate(String),
    #[error("the signature is dated {0} s away from our clock (at most {max} s allowed); check the sender's clock", max = SIGNATURE_WINDOW.as_secs())]
    OutsideWindow(u64),
    #[error("the signature expired")]
    Expired,
    #[error("the signature does not verify with the key `{0}`")]
    BadSignature(String),
    #[error("cannot sign the request: {0}")]
    Unsignable(String),
}

/// The parts of an inbound request that a signature can cover.
pub struct Request<'a> {
    pub method: &'a Method,
    /// `https` or `http`: how peers reach us (from the public URL, not the
    /// socket, since a TLS proxy usually sits in front). For `@target-uri`.
    pub scheme: &'a str,
    /// `/users/me/inbox?x=y` exactly as received.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Which standard a signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Cavage,
    Rfc9421,
}

/// A signature that passed every check except the cryptographic one.
#[derive(Debug, Clone)]
pub struct Checked {
    pub key_id: String,
    pub scheme: Scheme,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl Checked {
    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        if key.verify(&self.message, &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::BadSignature(self.key_id.clone()))
        }
    }
}

/// Reads and checks a request's signature (coverage, digest, date) and
/// builds the message that was signed.
pub fn check(req: &Request, now: SystemTime) -> Result<Checked, SignatureError> {
    if req.headers.contains_key("signature-input") {
        return check_rfc9421(req, now);
    }
    let raw = match header(req.headers, "signature") {
        Some(v) => v,
        None => match header(req.headers, "authorization")
            .as_deref()
            .and_then(authorization_signature)
        {
            Some(params) => params.to_string(),
            None => return Err(SignatureError::Unsigned),
        },
    };
    check_cavage(req, &raw, now)
}

/// The parameters of `Authorization: Signature …` (the scheme in any
/// case), or `None` for any other scheme. Split on the first space, never
/// at a byte offset: the value may hold any byte, multi-byte characters
/// included.
fn authorization_signature(value: &str) -> Option<&str> {
    let (scheme, params) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("signature") && !params.trim().is_empty()).then_some(params)
}

/// Checks and verifies in one go; returns the `keyId`.
pub fn verify(req: &Request, now: SystemTime, key: &PublicKey) -> Result<String, SignatureError> {
    let checked = check(req, now)?;
    checked.verify(key)?;
    Ok(checked.key_id)
}

// ---------------------------------------------------------------- cavage

fn check_cavage(req: &Request, raw: &str, now: SystemTime) -> Result<Checked, SignatureError> {
    let params = parse_cavage_params(raw)?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let key_id = get("keyId").ok_or_else(|| malformed("no keyId"))?;
    let signature = B64
        .decode(get("signature").ok_or_else(|| malformed("no signature"))?)
        .map_err(|_| malformed("signature is not base64"))?;
    match get("algorithm").map(str::to_ascii_lowercase).as_deref() {
        None | Some("rsa-sha256") | Some("hs2019") => {}
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(other.to_string())),
    }
    // The spec's default when `headers` is absent.
    let names: Vec<String> = get("headers")
        .unwrap_or("date")
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let has = |n: &str| names.iter().any(|h| h == n);
    if !has("date") && !has("(created)") {
        return Err(SignatureError::NotCovered("`date` or `(created)`"));
    }
    if !has("(request-target)") && !has("digest") {
        return Err(SignatureError::NotCovered("`(request-target)` or `digest`"));
    }
    if req.method == Method::GET && !has("host") {
        return Err(SignatureError::NotCovered("`host` on a GET"));
    }
    if req.method == Method::POST && !has("digest") {
        return Err(SignatureError::NotCovered("`digest` on a POST"));
    }
    let created = get("created").map(parse_unix).transpose()?;
    let expires = get("expires").map(parse_unix).transpose()?;

    let mut lines = Vec::with_capacity(names.len());
    for name in &names {
        let value = match name.as_str() {
            "(request-target)" => format!(
                "{} {}",
                req.method.as_str().to_ascii_lowercase(),
                req.path_and_query
            ),
            "(created)" => created
                .ok_or_else(|| malformed("(created) is covered but no created parameter"))?
                .to_string(),
            "(expires)" => expires
                .ok_or_else(|| malformed("(expires) is covered but no expires parameter"))?
                .to_string(),
            h => header(req.headers, h).ok_or_else(|| SignatureError::HeaderAbsent(h.into()))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    if has("date") {
        let date = header(req.headers, "date").unwrap_or_default();
        let t = httpdate::parse_http_date(&date).map_err(|_| SignatureError::BadDate(date))?;
        check_window(t, now)?;
    }
    check_times(created, expires, now)?;
    check_legacy_digest(req)?;
    Ok(Checked {
        key_id: key_id.to_string(),
        scheme: Scheme::Cavage,
        message: lines.join("\n").into_bytes(),
        signature,
    })
}

/// `keyId="…",algorithm="…",headers="…",signature="…"`; values may also be
/// bare numbers (`created=1700000000`).
fn parse_cavage_params(raw: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut out = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        if out.len() >= MAX_SIGNATURE_PARAMS {
            return Err(malformed("too many parameters"));
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed("a parameter has no `=`"))?;
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let (inside, tail) = quoted
                .split_once('"')
                .ok_or_else(|| malformed("unterminated quoted value"))?;
            value = inside.to_string();
            rest = tail;
        } else {
            let (bare, tail) = after.split_once(',').unwrap_or((after, ""));
            value = bare.trim().to_string();
            rest = tail;
        }
        out.push((name.trim().to_string(), value));
        rest = rest.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

/// `Digest: SHA-256=<base64>` (other algorithms may sit beside it).
fn check_legacy_digest(req: &Request) -> Result<(), SignatureError> {
    let Some(value) = header(req.headers, "digest") else {
        return if req.body.is_empty() {
            Ok(())
        } else {
            Err(SignatureError::DigestMissing)
        };
    };
    let sha = value.split(',').find_map(|part| {
        let (alg, v) = part.trim().split_once('=')?;
        alg.eq_ignore_ascii_case("sha-256").then_some(v.trim())
    });
    let Some(b64) = sha else {
        return Err(SignatureError::UnsupportedDigest(value));
    };
    let given = B64
        .decode(b64)
        .map_err(|_| malformed("the Digest value is not base64"))?;
    if given != crate::crypto::sha256(req.body) {
        return Err(SignatureError::DigestMismatch);
    }
    Ok(())
}

/// `Digest` header value for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(crate::crypto::sha256(body)))
}

// ---------------------------------------------------------------- RFC 9421

/// A parameter value in a structured field.
#[derive(Debug, Clone, PartialEq)]
enum Bare {
    Int(i64),
    Str(String),
    Token(String),
    Bool(bool),
}

/// One `Signature-Input` member: covered components and parameters.
#[derive(Debug, Clone, PartialEq)]
struct SigInput {
    label: String,
    components: Vec<String>,
    params: Vec<(String, Bare)>,
}

impl SigInput {
    fn param(&self, name: &str) -> Option<&Bare> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The canonical serialisation that ends the signature base.
    fn serialize(&self) -> String {
        let mut s = String::from("(");
        let quoted: Vec<String> = self.components.iter().map(|c| sf_string(c)).collect();
        s.push_str(&quoted.join(" "));
        s.push(')');
        for (name, v) in &self.params {
            s.push(';');
            s.push_str(name);
            match v {
                Bare::Bool(true) => {}
                Bare::Bool(false) => s.push_str("=?0"),
                Bare::Int(i) => s.push_str(&format!("={i}")),
                Bare::Str(t) => s.push_str(&format!("={}", sf_string(t))),
                Bare::Token(t) => s.push_str(&format!("={t}")),
            }
        }
        s
    }
}

fn sf_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A small parser for the structured-field dictionaries RFC 9421 uses.
struct Sf<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Sf<'a> {
    fn new(s: &'a str) -> Self {
        Sf {
            s: s.as_bytes(),
            i: 0,
        }
    }
    /// The bytes read since `start`.
    fn since(&self, start: usize) -> &'a [u8] {
        self.s.get(start..self.i).unwrap_or_default()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn key(&mut self) -> Result<String, SignatureError> {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c))
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(malformed("expected a key"));
        }
        Ok(String::from_utf8_lossy(self.since(start)).into_owned())
    }
    fn string(&mut self) -> Result<String, SignatureError> {
        if !self.eat(b'"') {
            return Err(malformed("expected a quoted string"));
        }
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(malformed("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| malformed("bad escape"))?;
                    out.push(c as char);
                    self.i += 1;
                }
                Some(c) => {
                    out.push(c as char);
                    self.i += 1;
                }
            }
        }
    }
    fn bare(&mut self) -> Result<Bare, SignatureError> {
        match self.peek() {
            Some(b'"') => Ok(Bare::Str(self.string()?)),
            Some(b'?') => {
                self.i += 1;
                let v = self.eat(b'1');
                if !v && !self.eat(b'0') {
                    return Err(malformed("bad boolean"));
                }
                Ok(Bare::Bool(v))
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(self.since(start)).unwrap_or("");
                t.parse()
                    .map(Bare::Int)
                    .map_err(|_| malformed("bad integer"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_graphic() && !b",;()=\"".contains(&c))
                {
                    self.i += 1;
                }
                Ok(Bare::Token(
                    String::from_utf8_lossy(self.since(start)).into_owned(),
                ))
            }
            _ => Err(malformed("unexpected character in a value")),
        }
    }
    fn params(&mut self) -> Result<Vec<(String, Bare)>, SignatureError> {
        let mut out = Vec::new();
        while self.eat(b';') {
            self.skip_ws();
            let k = self.key()?;
            let v = if self.eat(b'=') {
                self.bare()?
            } else {
                Bare::Bool(true)
            };
            out.push((k, v));
        }
        Ok(out)
    }
    /// Skips `,` between dictionary members; false at the end.
    fn next_member(&mut self) -> Result<bool, SignatureError> {
        self.skip_ws();
        if self.peek().is_none() {
            return Ok(false);
        }
        if !self.eat(b',') {
            return Err(malformed("expected `,` between members"));
        }
        self.skip_ws();
        Ok(true)
    }
}

fn parse_signature_input(raw: &str) -> Result<Vec<SigInput>, SignatureError> {
    let mut p = Sf::new(raw.trim());
    let mut out = Vec::new();
    loop {
        let label = p.key()?;
        if !p.eat(b'=') || !p.eat(b'(') {
            return Err(malformed("Signature-Input members look like label=(…)"));
        }
        let mut components = Vec::new();
        loop {
            p.skip_ws();
            if p.eat(b')') {
                break;
            }
            components.push(p.string()?);
            if p.peek() == Some(b';') {
                return Err(SignatureError::UnsupportedComponent(format!(
                    "{} with parameters",
                    components.last().cloned().unwrap_or_default()
                )));
            }
        }
        let params = p.params()?;
        out.push(SigInput {
            label,
            components,
            params,
        });
        if !p.next_member()? {
            return Ok(out);
        }
    }
}

/// `label=:base64:` members of `Signature` (or of `Content-Digest`).
fn parse_byte_dict(raw: &str) -> Result<Vec<(String, Vec<u8>)>, SignatureError> {
    let mut p = Sf::new(raw.trim());
    let mut out = Vec::new();
    loop {
        let label = p.key()?;
        if !p.eat(b'=') || !p.eat(b':') {
            return Err(malformed("byte sequences look like label=:base64:"));
        }
        let start = p.i;
        while matches!(p.peek(), Some(c) if c != b':') {
            p.i += 1;
        }
        let b64 = std::str::from_utf8(p.since(start)).unwrap_or("");
        if !p.eat(b':') {
            return Err(malformed("unterminated byte sequence"));
        }
        let bytes = B64
            .decode(b64)
            .map_err(|_| malformed("byte sequence is not base64"))?;
        p.params()?;
        out.push((label, bytes));
        if !p.next_member()? {
            return Ok(out);
        }
    }
}

fn check_rfc9421(req: &Request, now: SystemTime) -> Result<Checked, SignatureError> {
    let inputs =
        parse_signature_input(&header(req.headers, "signature-input").unwrap_or_default())?;
    // Like Mastodon, one signature per request: the first.
    let input = inputs
        .into_iter()
        .next()
        .ok_or_else(|| malformed("empty Signature-Input"))?;
    let sigs = parse_byte_dict(
        &header(req.headers, "signature")
            .ok_or_else(|| malformed("Signature-Input without Signature"))?,
    )?;
    let signature = sigs
        .into_iter()
        .find(|(l, _)| *l == input.label)
        .map(|(_, s)| s)
        .ok_or_else(|| malformed(&format!("no signature labelled `{}`", input.label)))?;
    let key_id = match input.param("keyid") {
        Some(Bare::Str(k)) => k.clone(),
        _ => return Err(malformed("no keyid parameter")),
    };
    match input.param("alg") {
        None => {}
        Some(Bare::Str(a)) if a == "rsa-v1_5-sha256" => {}
        Some(Bare::Str(a)) => return Err(SignatureError::UnsupportedAlgorithm(a.clone())),
        Some(_) => return Err(malformed("alg must be a string")),
    }
    let int_param = |n: &str| match input.param(n) {
        None => Ok(None),
        Some(Bare::Int(i)) => Ok(Some(*i)),
        Some(_) => Err(malformed(&format!("{n} must be an integer"))),
    };
    let created = int_param("created")?;
    let expires = int_param("expires")?;
    let has = |n: &str| input.components.iter().any(|c| c == n);
    if created.is_none() && !has("date") {
        return Err(SignatureError::NotCovered(
            "`date` or a `created` parameter",
        ));
    }
    if !has("@method") {
        return Err(SignatureError::NotCovered("`@method`"));
    }
    if !has("@target-uri") && !has("@request-target") && !has("@path") {
        return Err(SignatureError::NotCovered("`@target-uri`"));
    }
    let authority = has("@target-uri") || has("@authority") || has("host");
    if req.method == Method::GET && !authority {
        return Err(SignatureError::NotCovered("`@authority` on a GET"));
    }
    if req.method == Method::POST && !has("content-digest") {
        return Err(SignatureError::NotCovered("`content-digest` on a POST"));
    }

    let host = header(req.headers, "host")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (path, query) = match req.path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (req.path_and_query, None),
    };
    let mut base = String::new();
    for c in &input.components {
        let value = match c.as_str() {
            "@method" => req.method.as_str().to_string(),
            "@target-uri" => format!("{}://{}{}", req.scheme, host, req.path_and_query),
            "@authority" => host.clone(),
            "@scheme" => req.scheme.to_string(),
            "@path" => path.to_string(),
            "@query" => format!("?{}", query.unwrap_or("")),
            "@request-target" => req.path_and_query.to_string(),
            d if d.starts_with('@') => return Err(SignatureError::UnsupportedComponent(d.into())),
            h => header(req.headers, h).ok_or_else(|| SignatureError::HeaderAbsent(h.into()))?,
        };
        base.push_str(&format!("{}: {}\n", sf_string(c), value));
    }
    base.push_str(&format!("\"@signature-params\": {}", input.serialize()));

    if has("date") {
        let date = header(req.headers, "date").unwrap_or_default();
        let t = httpdate::parse_http_date(&date).map_err(|_| SignatureError::BadDate(date))?;
        check_window(t, now)?;
    }
    check_times(created, expires, now)?;
    check_content_digest(req)?;
    Ok(Checked {
        key_id,
        scheme: Scheme::Rfc9421,
        message: base.into_bytes(),
        signature,
    })
}

/// `Content-Digest: sha-256=:<base64>:` (RFC 9530).
fn check_content_digest(req: &Request) -> Result<(), SignatureError> {
    let Some(value) = header(req.headers, "content-digest") else {
        return if req.body.is_empty() {
            Ok(())
        } else {
            Err(SignatureError::DigestMissing)
        };
    };
    let digests = parse_byte_dict(&value)?;
    let Some((_, given)) = digests.iter().find(|(alg, _)| alg == "sha-256") else {
        return Err(SignatureError::UnsupportedDigest(value));
    };
    if given.as_slice() != crate::crypto::sha256(req.body).as_slice() {
        return Err(SignatureError::DigestMismatch);
    }
    Ok(())
}

// ---------------------------------------------------------------- shared

fn malformed(what: &str) -> SignatureError {
    SignatureError::Malformed(what.to_string())
}

/// A header's values, trimmed and joined as the signature specs say.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let parts: Vec<String> = values
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .collect();
    Some(parts.join(", "))
}

fn parse_unix(s: &str) -> Result<i64, SignatureError> {
    // Some senders write fractional seconds; the whole part is enough.
    s.split('.')
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or_else(|| malformed("created/expires must be a Unix time"))
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn check_window(t: SystemTime, now: SystemTime) -> Result<(), SignatureError> {
    let off = unix(now).abs_diff(unix(t));
    if off > SIGNATURE_WINDOW.as_secs() {
        return Err(SignatureError::OutsideWindow(off));
    }
    Ok(())
}

fn check_times(
    created: Option<i64>,
    expires: Option<i64>,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let now_s = unix(now);
    if let Some(c) = created {
        let off = now_s.abs_diff(c);
        if off > SIGNATURE_WINDOW.as_secs() {
            return Err(SignatureError::OutsideWindow(off));
        }
    }
    if let Some(e) = expires {
        if now_s > e {
            return Err(SignatureError::Expired);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- outbound

fn request_target(method: &Method, url: &url::Url) -> String {
    let mut t = format!("{} {}", method.as_str().to_ascii_lowercase(), url.path());
    if let Some(q) = url.query() {
        t.push('?');
        t.push_str(q);
    }
    t
}

/// `host[:port]` as the Host header carries it (default ports left out).
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

fn put(headers: &mut HeaderMap, name: &'static str, value: &str) -> Result<(), SignatureError> {
    let v = HeaderValue::from_str(value).map_err(|_| {
        SignatureError::Unsignable(format!("`{value}` is not a valid {name} header"))
    })?;
    headers.insert(HeaderName::from_static(name), v);
    Ok(())
}

/// The headers to add to an outbound request so Mastodon accepts it:
/// `Host`, `Date`, `Signature`, plus `Digest` and `Content-Type` on POST
/// or `Accept` on GET (each signed, so a proxy can't swap them).
pub fn sign_request(
    key: &SigningKey,
    key_id: &str,
    method: &Method,
    url: &url::Url,
    body: &[u8],
    now: SystemTime,
) -> Result<HeaderMap, SignatureError> {
    sign_request_with(key, key_id, method, url, body, now, &[])
}

/// [`sign_request`] with more headers, each set and signed too (such as
/// `Collection-Synchronization`, which a proxy must not swap).
pub fn sign_request_with(
    key: &SigningKey,
    key_id: &str,
    method: &Method,
    url: &url::Url,
    body: &[u8],
    now: SystemTime,
    extra: &[(&'static str, &str)],
) -> Result<HeaderMap, SignatureError> {
    let mut headers = HeaderMap::new();
    let host = host_header(url);
    let date = httpdate::fmt_http_date(now);
    put(&mut headers, "host", &host)?;
    put(&mut headers, "date", &date)?;
    let mut names = vec!["(request-target)", "host", "date"];
    let mut lines = vec![
        format!("(request-target): {}", request_target(method, url)),
        format!("host: {host}"),
        format!("date: {date}"),
    ];
    if method == Method::GET {
        put(&mut headers, "accept", AP_ACCEPT)?;
        names.push("accept");
        lines.push(format!("accept: {AP_ACCEPT}"));
    } else {
        let digest = digest_header(body);
        put(&mut headers, "digest", &digest)?;
        put(&mut headers, "content-type", ACTIVITY_JSON)?;
        names.extend(["digest", "content-type"]);
        lines.push(format!("digest: {digest}"));
        lines.push(format!("content-type: {ACTIVITY_JSON}"));
    }
    for (name, value) in extra {
        put(&mut headers, name, value)?;
        names.push(name);
        lines.push(format!("{name}: {value}"));
    }
    let signature = B64.encode(key.sign(lines.join("\n").as_bytes()));
    let value = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
        names.join(" ")
    );
    put(&mut headers, "signature", &value)?;
    Ok(headers)
}

/// RFC 9421 counterpart of [`sign_request`]. Not used for delivery yet
/// (most peers still want draft-cavage), but it proves our verifier
/// against an independent construction and is ready for a fallback.
pub fn sign_request_rfc9421(
    key: &SigningKey,
    key_id: &str,
    method: &Method,
    url: &url::Url,
    body: &[u8],
    now: SystemTime,
) -> Result<HeaderMap, SignatureError> {
    let mut headers = HeaderMap::new();
    put(&mut headers, "host", &host_header(url))?;
    let mut components = vec!["@method".to_string(), "@target-uri".to_string()];
    let mut lines = vec![
        format!("\"@method\": {}", method.as_str()),
        format!("\"@target-uri\": {}", url.as_str()),
    ];
    if method == Method::GET {
        put(&mut headers, "accept", AP_ACCEPT)?;
        components.push("accept".into());
        lines.push(format!("\"accept\": {AP_ACCEPT}"));
    } else {
        let digest = format!("sha-256=:{}:", B64.encode(crate::crypto::sha256(body)));
        put(&mut headers, "content-digest", &digest)?;
        put(&mut headers, "content-type", ACTIVITY_JSON)?;
        components.extend(["content-digest".into(), "content-type".into()]);
        lines.push(format!("\"content-digest\": {digest}"));
        lines.push(format!("\"content-type\": {ACTIVITY_JSON}"));
    }
    let input = SigInput {
        label: "sig1".into(),
        components,
        params: vec![
            ("created".into(), Bare::Int(unix(now))),
            ("keyid".into(), Bare::Str(key_id.into())),
            ("alg".into(), Bare::Str("rsa-v1_5-sha256".into())),
        ],
    };
    let params = input.serialize();
    lines.push(format!("\"@signature-params\": {params}"));
    let signature = B64.encode(key.sign(lines.join("\n").as_bytes()));
    put(&mut headers, "signature-input", &format!("sig1={params}"))?;
    put(&mut headers, "signature", &format!("sig1=:{signature}:"))?;
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_scheme_is_split_on_a_space_not_a_byte_offset() {
        assert_eq!(
            authorization_signature("Signature keyId=\"k\""),
            Some("keyId=\"k\"")
        );
        assert_eq!(authorization_signature("SIGNATURE a=b"), Some("a=b"));
        // A multi-byte character across the tenth byte once panicked.
        assert_eq!(authorization_signature("abcdefghi\u{e9}xyz"), None);
        assert_eq!(authorization_signature("signatur\u{e9} a=b"), None);
        assert_eq!(authorization_signature("Bearer x"), None);
        assert_eq!(authorization_signature("Signature "), None);
    }

    #[test]
    fn cavage_parameters_take_any_bytes() {
        let p = parse_cavage_params("keyId=\"\u{e9}\",x=\u{e9}\u{e9} , headers=\"a b\"").unwrap();
        assert_eq!(
            p,
            [
                ("keyId".to_string(), "\u{e9}".to_string()),
                ("x".to_string(), "\u{e9}\u{e9}".to_string()),
                ("headers".to_string(), "a b".to_string()),
            ]
        );
        assert!(parse_cavage_params("\u{e9}").is_err());
        assert!(parse_cavage_params("a=\"\u{e9}").is_err());
        let many = "a=b,".repeat(MAX_SIGNATURE_PARAMS + 1);
        assert!(parse_cavage_params(&many).is_err());
    }

    #[test]
    fn structured_fields_take_any_bytes() {
        for raw in [
            "sig1=(\"\u{e9}",
            "\u{e9}=()",
            "sig1=(\"a\");keyid=\u{e9}",
            "sig1=:\u{e9}",
        ] {
            let _ = parse_signature_input(raw);
            let _ = parse_byte_dict(raw);
        }
    }
}
