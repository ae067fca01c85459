//! `/api/v1/push/subscription`: one Web Push subscription per access
//! token (POST makes or replaces it, GET shows it, PUT changes what it
//! alerts on, DELETE removes it). Needs a user token with `push`.

use super::auth::Auth;
use super::entities::push::web_push_subscription;
use super::params::Params;
use crate::http::error::ApiError;
use crate::push::{ece, vapid};
use crate::state::AppState;
use crate::store::push::{PushAlerts, PushPolicy, PushSubscription};
use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

/// Real endpoints (FCM, Mozilla, Apple, ntfy) are a few hundred bytes;
/// this only bounds what one request can make us store and send to.
pub const MAX_ENDPOINT_LEN: usize = 2048;
const NOT_FOUND: &str = "Record not found";

fn server_key(state: &AppState) -> Result<String, ApiError> {
    Ok(vapid::public_key(&state.store)?)
}

/// Base64 as apps send it: url-safe or standard, padded or not.
fn lenient_base64(field: &str, s: &str) -> Result<Vec<u8>, ApiError> {
    let cleaned: String = s
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD
        .decode(cleaned)
        .map_err(|_| ApiError::unprocessable(format!("`{field}` is not valid base64")))
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// `data[alerts]` as given: names with dots (`admin.sign_up`) or nested
/// JSON (`{"admin": {"sign_up": true}}`); alerts not named are off.
fn parse_alerts(v: &Value) -> Result<PushAlerts, ApiError> {
    let Some(map) = v.as_object() else {
        return Err(ApiError::unprocessable(
            "`data[alerts]` must be a set of alert names with true or false",
        ));
    };
    let mut flat = Map::new();
    for (k, v) in map {
        match (k.as_str(), v) {
            ("admin", Value::Object(inner)) => {
                for (ik, iv) in inner {
                    flat.insert(format!("admin.{ik}"), iv.clone());
                }
            }
            _ => {
                flat.insert(k.clone(), v.clone());
            }
        }
    }
    let flat = Params(flat);
    let mut alerts = PushAlerts::default();
    for name in PushAlerts::NAMES {
        if let Some(on) = flat.bool(name)? {
            *alerts.get_mut(name).expect("NAMES are all known") = on;
        }
    }
    Ok(alerts)
}

/// `data[policy]` (or a top-level `policy`, as the PUT docs name it).
fn parse_policy(p: &Params) -> Result<Option<PushPolicy>, ApiError> {
    let raw = p.nested_str("data", "policy").or_else(|| p.str("policy"));
    match raw {
        None => Ok(None),
        Some(s) => PushPolicy::parse(s.trim()).map(Some).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "`data[policy]` must be all, followed, follower or none, not `{s}`"
            ))
        }),
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<Value>, ApiError> {
    auth.user("push")?;
    let sub = p.get("subscription");
    let endpoint = text(sub.and_then(|s| s.get("endpoint")))
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::unprocessable("`subscription[endpoint]` is required"))?;
    let keys = sub.and_then(|s| s.get("keys"));
    let p256dh = text(keys.and_then(|k| k.get("p256dh")))
        .ok_or_else(|| ApiError::unprocessable("`subscription[keys][p256dh]` is required"))?;
    let auth_secret = text(keys.and_then(|k| k.get("auth")))
        .ok_or_else(|| ApiError::unprocessable("`subscription[keys][auth]` is required"))?;
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(ApiError::unprocessable(format!(
            "`subscription[endpoint]` is longer than {MAX_ENDPOINT_LEN} bytes"
        )));
    }
    // RFC 8030 §8: push services are reached over TLS. Plain http only
    // where private networks are allowed (local setups, tests).
    if !endpoint.starts_with("https://") && !state.fetcher.allows_private() {
        return Err(ApiError::unprocessable(
            "`subscription[endpoint]` must be an https URL",
        ));
    }
    state.fetcher.check_url(&endpoint).map_err(|e| {
        ApiError::unprocessable(format!("`subscription[endpoint]` can't be used: {e}"))
    })?;
    let p256dh = lenient_base64("subscription[keys][p256dh]", &p256dh)?;
    if !ece::valid_public_key(&p256dh) {
        return Err(ApiError::unprocessable(
            "`subscription[keys][p256dh]` is not an uncompressed P-256 public key",
        ));
    }
    let auth_bytes = lenient_base64("subscription[keys][auth]", &auth_secret)?;
    if auth_bytes.len() != ece::AUTH_SECRET_LEN {
        return Err(ApiError::unprocessable(format!(
            "`subscription[keys][auth]` must decode to {} bytes, not {}",
            ece::AUTH_SECRET_LEN,
            auth_bytes.len()
        )));
    }
    let alerts = match p.get("data").and_then(|d| d.get("alerts")) {
        Some(a) => parse_alerts(a)?,
        None => PushAlerts::default(),
    };
    // Apps that read RFC 8291 say so; every other gets the legacy coding.
    let standard = p.nested_bool("subscription", "standard")?.unwrap_or(false);
    let record = PushSubscription {
        id: state.store.next_id(),
        token_hash: auth.token.token_hash.clone(),
        endpoint,
        p256dh,
        auth: auth_bytes,
        alerts,
        policy: parse_policy(&p)?.unwrap_or_default(),
        created_at_ms: crate::time_fmt::now_ms(),
        standard,
    };
    // One per token: this replaces any earlier subscription of the token.
    state.store.put_push_subscription(&record)?;
    state.store.flush().await?;
    Ok(Json(web_push_subscription(&record, &server_key(&state)?)))
}

pub async fn show(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("push")?;
    let sub = state
        .store
        .push_subscription(&auth.token.token_hash)?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    Ok(Json(web_push_subscription(&sub, &server_key(&state)?)))
}

/// Only what is given changes: `data[alerts]` replaces the alerts,
/// `data[policy]` the policy.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<Value>, ApiError> {
    auth.user("push")?;
    let mut sub = state
        .store
        .push_subscription(&auth.token.token_hash)?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    if let Some(a) = p.get("data").and_then(|d| d.get("alerts")) {
        sub.alerts = parse_alerts(a)?;
    }
    if let Some(policy) = parse_policy(&p)? {
        sub.policy = policy;
    }
    state.store.put_push_subscription(&sub)?;
    state.store.flush().await?;
    Ok(Json(web_push_subscription(&sub, &server_key(&state)?)))
}

/// Succeeds whether or not there was a subscription, as Mastodon does.
pub async fn destroy(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user("push")?;
    if state
        .store
        .delete_push_subscription(&auth.token.token_hash)?
    {
        state.store.flush().await?;
    }
    Ok(Json(json!({})))
}
