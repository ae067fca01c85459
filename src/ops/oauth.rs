//! OAuth 2 as Mastodon apps use it: registering apps, issuing codes and
//! tokens, refreshing and revoking them, and the scopes that limit them.
//!
//! Writes here are not flushed: the HTTP layer flushes the store before it
//! hands a code or token to anyone (these functions are synchronous and
//! flushing is async).

use super::{OpError, OpResult};
use crate::crypto::{random_token, secure_eq, token_hash};
use crate::store::oauth::{App, Code, Token};
use crate::store::{Store, StoreError};
use crate::time_fmt::now_ms;
use base64::Engine;

/// Authorization codes are exchanged within seconds by real apps; RFC 6749
/// recommends at most ten minutes.
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// How long an authorize page stays valid; long enough to find a password
/// manager, short enough that a leaked page is soon useless.
pub const FORM_LIFETIME_SECS: i64 = 10 * 60;
/// Mastodon's limit on application names.
pub const MAX_APP_NAME_CHARS: usize = 60;
/// Bounds what one registration can make us store.
pub const MAX_REDIRECT_URIS: usize = 10;
pub const MAX_URI_LEN: usize = 2000;
/// The redirect URI that means "show the code on a page".
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// Scopes granted when an app asks for none (Mastodon's default).
pub const DEFAULT_SCOPES: &str = "read";

/// Every scope Mastodon defines. Admin scopes are accepted so apps that
/// ask for them can register, but no admin endpoint exists to use them.
pub const SCOPES_SUPPORTED: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "admin:read",
    "admin:write",
];

/// What the legacy `follow` scope grants, as Mastodon defines it.
const FOLLOW_COVERS: &[&str] = &[
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
];

/// Splits a scope string ("read write:statuses") and checks each scope.
pub fn parse_scopes(raw: &str) -> OpResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split([' ', '+', ',']).filter(|s| !s.is_empty()) {
        let known = SCOPES_SUPPORTED.contains(&s) || s.starts_with("admin:");
        if !known {
            return Err(OpError::Invalid(format!(
                "unknown scope `{s}`; known scopes are {}",
                SCOPES_SUPPORTED.join(" ")
            )));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.is_empty() {
        out.push(DEFAULT_SCOPES.to_string());
    }
    Ok(out)
}

/// Whether `granted` allows an endpoint that needs `required`:
/// `read` covers `read:*`, `write` covers `write:*`, `follow` covers the
/// block/follow/mute scopes.
pub fn scope_covers(granted: &[String], required: &str) -> bool {
    granted.iter().any(|g| {
        g == required
            || required
                .split_once(':')
                .is_some_and(|(top, _)| g == top && !top.starts_with("admin"))
            || (g == "follow" && FOLLOW_COVERS.contains(&required))
    })
}

/// Why a token endpoint request failed, in RFC 6749's words.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")]
    InvalidClient,
    #[error("The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. ({0})")]
    InvalidGrant(String),
    #[error("The authorization grant type is not supported by the authorization server. Use authorization_code, client_credentials or refresh_token.")]
    UnsupportedGrantType,
    #[error("{0}")]
    InvalidScope(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OAuthError {
    /// The RFC 6749 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::Store(_) => "server_error",
        }
    }
}

/// Checks a redirect URI: absolute, no fragment, not a script scheme.
/// Custom schemes (`icecubesapp://`, `com.tapbots.Ivory.10217:/request_token`)
/// are how native apps get the code back, so they are welcome.
pub fn validate_redirect_uri(uri: &str) -> OpResult<()> {
    if uri == OOB {
        return Ok(());
    }
    if uri.len() > MAX_URI_LEN {
        return Err(OpError::Invalid(format!(
            "redirect URIs may be at most {MAX_URI_LEN} characters"
        )));
    }
    let parsed = url::Url::parse(uri).map_err(|_| {
        OpError::Invalid(format!(
            "redirect URI `{uri}` must be an absolute URI such as https://app.example/callback, myapp://callback or {OOB}"
        ))
    })?;
    if parsed.fragment().is_some() {
        return Err(OpError::Invalid(format!(
            "redirect URI `{uri}` must not contain a fragment (#…)"
        )));
    }
    if matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file") {
        return Err(OpError::Invalid(format!(
            "redirect URI `{uri}` uses a scheme that cannot receive a code"
        )));
    }
    Ok(())
}

pub struct NewApp {
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Space-separated; `None` or empty means `read`.
    pub scopes: Option<String>,
}

/// An app as just registered: the only moment its secret is known.
pub struct RegisteredApp {
    pub app: App,
    pub client_secret: String,
}

pub fn register_app(store: &Store, new: NewApp) -> OpResult<RegisteredApp> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(OpError::Invalid(
            "Validation failed: Application name can't be blank".into(),
        ));
    }
    if name.chars().count() > MAX_APP_NAME_CHARS {
        return Err(OpError::Invalid(format!(
            "Validation failed: Application name is too long (maximum is {MAX_APP_NAME_CHARS} characters)"
        )));
    }
    let uris: Vec<String> = new
        .redirect_uris
        .iter()
        .flat_map(|u| u.split(['\n', '\r']))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(String::from)
        .collect();
    if uris.is_empty() {
        return Err(OpError::Invalid(
            "Validation failed: Redirect URI can't be blank; send redirect_uris, e.g. urn:ietf:wg:oauth:2.0:oob".into(),
        ));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(OpError::Invalid(format!(
            "Validation failed: at most {MAX_REDIRECT_URIS} redirect URIs"
        )));
    }
    for u in &uris {
        validate_redirect_uri(u)
            .map_err(|e| OpError::Invalid(format!("Validation failed: {e}")))?;
    }
    let website = new
        .website
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty());
    if let Some(w) = &website {
        if w.len() > MAX_URI_LEN || url::Url::parse(w).is_err() {
            return Err(OpError::Invalid(format!(
                "Validation failed: Website `{w}` is not a valid URL"
            )));
        }
    }
    let scopes = parse_scopes(new.scopes.as_deref().unwrap_or(""))
        .map_err(|e| OpError::Invalid(format!("Validation failed: {e}")))?;
    let client_secret = random_token();
    let app = App {
        id: store.next_id(),
        name: name.to_string(),
        website,
        scopes,
        redirect_uris: uris,
        client_id: random_token(),
        client_secret_hash: token_hash(&client_secret),
        created_at_ms: now_ms(),
    };
    store.put_app(&app)?;
    Ok(RegisteredApp { app, client_secret })
}

/// Finds the app and checks its secret, in constant time. A missing
/// secret is allowed only where `secret_optional` (PKCE-bound codes).
pub fn authenticate_client(
    store: &Store,
    client_id: Option<&str>,
    secret: Option<&str>,
    secret_optional: bool,
) -> Result<App, OAuthError> {
    let client_id = client_id
        .filter(|c| !c.is_empty())
        .ok_or(OAuthError::InvalidClient)?;
    let app = store.app(client_id)?.ok_or(OAuthError::InvalidClient)?;
    match secret.filter(|s| !s.is_empty()) {
        Some(s) if secure_eq(token_hash(s).as_bytes(), app.client_secret_hash.as_bytes()) => {
            Ok(app)
        }
        None if secret_optional => Ok(app),
        _ => Err(OAuthError::InvalidClient),
    }
}

/// What the owner approved on the authorize page.
pub struct Grant {
    pub client_id: String,
    pub account_id: u64,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

pub fn issue_code(store: &Store, grant: Grant) -> OpResult<String> {
    let code = random_token();
    store.put_code(
        &token_hash(&code),
        &Code {
            client_id: grant.client_id,
            account_id: grant.account_id,
            redirect_uri: grant.redirect_uri,
            scopes: grant.scopes,
            code_challenge: grant.code_challenge,
            code_challenge_method: grant.code_challenge_method,
            expires_at_ms: now_ms() + CODE_LIFETIME_MS,
        },
    )?;
    Ok(code)
}

/// A token as handed to the app (the store keeps only hashes).
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
    pub created_at_ms: i64,
}

fn new_token(
    client_id: &str,
    account_id: Option<u64>,
    scopes: Vec<String>,
    with_refresh: bool,
) -> (Token, IssuedToken) {
    let access = random_token();
    let refresh = with_refresh.then(random_token);
    let now = now_ms();
    let record = Token {
        client_id: client_id.to_string(),
        account_id,
        scopes: scopes.clone(),
        created_at_ms: now,
        token_hash: token_hash(&access),
        refresh_hash: refresh.as_deref().map(token_hash),
    };
    let issued = IssuedToken {
        access_token: access,
        refresh_token: refresh,
        scopes,
        created_at_ms: now,
    };
    (record, issued)
}

/// Checks a PKCE verifier against the challenge stored with a code.
pub fn pkce_matches(challenge: &str, method: &str, verifier: &str) -> bool {
    match method {
        "S256" => {
            let digest = crate::crypto::sha256(verifier.as_bytes());
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
            secure_eq(computed.as_bytes(), challenge.as_bytes())
        }
        "plain" | "" => secure_eq(verifier.as_bytes(), challenge.as_bytes()),
        _ => false,
    }
}

/// The `authorization_code` grant. The code is spent whatever happens
/// next, so a stolen code that fails once is useless afterwards.
pub fn exchange_code(
    store: &Store,
    app: &App,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    client_authenticated: bool,
) -> Result<IssuedToken, OAuthError> {
    let stored = store
        .take_code(&token_hash(code))?
        .ok_or_else(|| OAuthError::InvalidGrant("unknown or already used code".into()))?;
    if stored.client_id != app.client_id {
        return Err(OAuthError::InvalidGrant(
            "the code was issued to another app".into(),
        ));
    }
    if stored.expires_at_ms < now_ms() {
        return Err(OAuthError::InvalidGrant(
            "the code has expired; ask the person to log in again".into(),
        ));
    }
    // RFC 6749 §4.1.3: a code issued for a redirect URI is exchanged only
    // by naming the same URI, so a code caught on its way to one address
    // can't be spent by a client that never meant to go there.
    if !stored.redirect_uri.is_empty() && redirect_uri != Some(stored.redirect_uri.as_str()) {
        return Err(OAuthError::InvalidGrant(match redirect_uri {
            None | Some("") => "redirect_uri is required: send the one used to authorize".into(),
            Some(_) => "redirect_uri differs from the one used to authorize".into(),
        }));
    }
    if !client_authenticated && stored.code_challenge.is_empty() {
        // Only PKCE stands in for a client secret.
        return Err(OAuthError::InvalidClient);
    }
    if !stored.code_challenge.is_empty() {
        let verifier = code_verifier.unwrap_or("");
        if !pkce_matches(
            &stored.code_challenge,
            &stored.code_challenge_method,
            verifier,
        ) {
            return Err(OAuthError::InvalidGrant(
                "code_verifier does not match the code_challenge".into(),
            ));
        }
    }
    let (record, issued) = new_token(&app.client_id, Some(stored.account_id), stored.scopes, true);
    store.put_token(&record)?;
    Ok(issued)
}

/// Scopes asked for at the token or authorize endpoint: defaults to
/// `read` and must be a subset of what the app registered.
pub fn requested_scopes(app: &App, scope: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let scopes =
        parse_scopes(scope.unwrap_or("")).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
    if let Some(extra) = scopes.iter().find(|s| !app.scopes.contains(s)) {
        return Err(OAuthError::InvalidScope(format!(
            "the app registered the scopes `{}`, not `{extra}`",
            app.scopes.join(" ")
        )));
    }
    Ok(scopes)
}

/// The `client_credentials` grant: a token that acts for the app alone.
pub fn client_credentials(
    store: &Store,
    app: &App,
    scope: Option<&str>,
) -> Result<IssuedToken, OAuthError> {
    let scopes = requested_scopes(app, scope)?;
    let (record, issued) = new_token(&app.client_id, None, scopes, false);
    store.put_token(&record)?;
    Ok(issued)
}

/// The `refresh_token` grant: the old access and refresh tokens stop
/// working and a new pair replaces them.
pub fn refresh(
    store: &Store,
    app: &App,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<IssuedToken, OAuthError> {
    let old = store
        .token_by_refresh(&token_hash(refresh_token))?
        .filter(|t| t.client_id == app.client_id)
        .ok_or_else(|| OAuthError::InvalidGrant("unknown or already used refresh token".into()))?;
    let scopes = match scope.filter(|s| !s.trim().is_empty()) {
        None => old.scopes.clone(),
        Some(s) => {
            let asked = parse_scopes(s).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
            if let Some(extra) = asked.iter().find(|s| !old.scopes.contains(s)) {
                return Err(OAuthError::InvalidScope(format!(
                    "a refreshed token cannot gain the scope `{extra}`"
                )));
            }
            asked
        }
    };
    let (record, issued) = new_token(&app.client_id, old.account_id, scopes, true);
    if !store.rotate_token(&old, &record)? {
        return Err(OAuthError::InvalidGrant(
            "the refresh token was used already".into(),
        ));
    }
    Ok(issued)
}

/// Revokes an access or refresh token of `app`; returns the token record
/// deleted, so the caller can end its streams once the deletion is
/// durable. Unknown tokens are not an error (RFC 7009): the caller wanted
/// them gone and they are.
pub fn revoke(store: &Store, app: &App, token: &str) -> OpResult<Option<Token>> {
    let hash = token_hash(token);
    let found = match store.token(&hash)? {
        Some(t) => Some(t),
        None => store.token_by_refresh(&hash)?,
    };
    let Some(t) = found.filter(|t| t.client_id == app.client_id) else {
        return Ok(None);
    };
    store.delete_token(&t)?;
    Ok(Some(t))
}

/// Tells streaming connections that these tokens are gone, so the ones
/// opened with them close now instead of streaming on with a dead token.
pub fn announce_revoked(state: &crate::state::AppState, tokens: &[Token]) {
    for t in tokens {
        super::emit(
            state,
            crate::events::Event::TokenRevoked(t.token_hash.clone()),
        );
    }
}

/// The token behind a bearer string, if it is one of ours.
pub fn authenticate_token(store: &Store, bearer: &str) -> OpResult<Option<Token>> {
    Ok(store.token(&token_hash(bearer))?)
}

/// The authorize page's request, carried through the form in hidden fields
/// and signed so the POST can't be forged from another site or altered.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// Why a signed authorize form was refused.
#[derive(Debug, PartialEq)]
pub enum FormRejection {
    BadSignature,
    Expired,
}

fn form_mac_input(req: &AuthorizeRequest, issued_at: i64) -> Vec<u8> {
    // Length-prefixed parts, so no two requests sign the same bytes.
    let mut out = Vec::new();
    for part in [
        req.client_id.as_str(),
        &req.redirect_uri,
        &req.scope,
        &req.state,
        &req.code_challenge,
        &req.code_challenge_method,
        &issued_at.to_string(),
    ] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// HMAC-SHA256 over the request and the moment the page was shown.
pub fn sign_form(secret: &[u8], req: &AuthorizeRequest, issued_at: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, &form_mac_input(req, issued_at));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
}

pub fn verify_form(
    secret: &[u8],
    req: &AuthorizeRequest,
    issued_at: i64,
    signature: &str,
    now_secs: i64,
) -> Result<(), FormRejection> {
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| FormRejection::BadSignature)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::verify(&key, &form_mac_input(req, issued_at), &tag)
        .map_err(|_| FormRejection::BadSignature)?;
    // A little slack for clock steps; never accept pages from the future.
    if issued_at > now_secs + 60 || now_secs - issued_at > FORM_LIFETIME_SECS {
        return Err(FormRejection::Expired);
    }
    Ok(())
}

/// `redirect_uri` with the query parameters appended (`&` when the URI
/// already has a query).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn scopes_cover_as_mastodon_defines() {
        assert!(scope_covers(&s(&["read"]), "read:accounts"));
        assert!(!scope_covers(&s(&["read"]), "write:accounts"));
        assert!(scope_covers(&s(&["write"]), "write:statuses"));
        assert!(scope_covers(&s(&["follow"]), "write:follows"));
        assert!(scope_covers(&s(&["follow"]), "read:blocks"));
        assert!(!scope_covers(&s(&["follow"]), "read:statuses"));
        assert!(scope_covers(&s(&["read:accounts"]), "read:accounts"));
        assert!(!scope_covers(&s(&["read:accounts"]), "read"));
        assert_eq!(parse_scopes("").unwrap(), s(&["read"]));
        assert_eq!(
            parse_scopes("read+write read").unwrap(),
            s(&["read", "write"])
        );
        assert!(parse_scopes("read sudo").is_err());
    }

    #[test]
    fn redirect_uris_as_apps_send_them() {
        for ok in [
            OOB,
            "icecubesapp://",
            "com.tapbots.Ivory.10217:/request_token",
            "https://elk.zone/api/x/oauth",
            "http://localhost:4000/callback?x=1",
        ] {
            validate_redirect_uri(ok).unwrap();
        }
        for bad in [
            "relative/path",
            "https://a.example/#frag",
            "javascript:alert(1)",
            "",
        ] {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
        assert_eq!(
            redirect_with("a://b?x=1", &[("code", "c d")]),
            "a://b?x=1&code=c+d"
        );
        assert_eq!(redirect_with("a://b", &[("code", "c")]), "a://b?code=c");
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, "S256", verifier));
        assert!(!pkce_matches(challenge, "S256", "other"));
        assert!(pkce_matches("abc", "plain", "abc"));
        assert!(!pkce_matches("abc", "weird", "abc"));
    }

    #[test]
    fn signed_form_rejects_changes_and_age() {
        let secret = [7u8; 32];
        let req = AuthorizeRequest {
            client_id: "c".into(),
            redirect_uri: OOB.into(),
            scope: "read".into(),
            ..Default::default()
        };
        let sig = sign_form(&secret, &req, 1000);
        assert_eq!(verify_form(&secret, &req, 1000, &sig, 1010), Ok(()));
        assert_eq!(
            verify_form(&secret, &req, 1000, &sig, 1000 + FORM_LIFETIME_SECS + 1),
            Err(FormRejection::Expired)
        );
        let mut changed = req.clone();
        changed.scope = "read write".into();
        assert_eq!(
            verify_form(&secret, &changed, 1000, &sig, 1010),
            Err(FormRejection::BadSignature)
        );
        assert_eq!(
            verify_form(&secret, &req, 1001, &sig, 1010),
            Err(FormRejection::BadSignature)
        );
        assert_eq!(
            verify_form(&[8u8; 32], &req, 1000, &sig, 1010),
            Err(FormRejection::BadSignature)
        );
    }
}
