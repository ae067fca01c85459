//! Discovery: WebFinger, host-meta and NodeInfo, as Mastodon peers expect.

// `resource` comes from anyone: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::error::ApiError;
use crate::state::AppState;
use crate::store::accounts::Account;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/host-meta.json", get(host_meta_json))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// The local username a WebFinger `resource` names, if it names one of
/// ours: `acct:name@host`, `name@host`, or one of our actor/profile URLs.
/// Public for the fuzz target, which feeds it arbitrary text.
pub fn resource_username(state: &AppState, resource: &str) -> Result<String, ApiError> {
    let urls = &state.urls;
    let malformed = || {
        ApiError::bad_request(format!(
            "resource `{resource}` is neither acct:user@{} nor a URL on this server",
            urls.host
        ))
    };
    if resource.starts_with("https://") || resource.starts_with("http://") {
        let rest = resource
            .strip_prefix(&urls.base)
            .ok_or_else(|| ApiError::not_found("that URL is not on this server"))?;
        let name = rest
            .strip_prefix("/users/")
            .or_else(|| rest.strip_prefix("/@"))
            .ok_or_else(|| ApiError::not_found("that URL is not a person on this server"))?;
        return Ok(name.trim_end_matches('/').to_string());
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (user, host) = acct.rsplit_once('@').ok_or_else(malformed)?;
    if user.is_empty() || host.is_empty() {
        return Err(malformed());
    }
    if !host.eq_ignore_ascii_case(&urls.host) {
        return Err(ApiError::not_found(format!(
            "{host} is not this server ({})",
            urls.host
        )));
    }
    Ok(user.to_string())
}

fn owner_named(state: &AppState, username: &str) -> Result<Account, ApiError> {
    match state.store.owner_account()? {
        Some(a) if a.username.eq_ignore_ascii_case(username) => Ok(a),
        _ => Err(ApiError::not_found(format!("no user `{username}` here"))),
    }
}

async fn webfinger(
    State(state): State<AppState>,
    Query(q): Query<WebfingerQuery>,
) -> Result<Response, ApiError> {
    let resource = q.resource.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request("the `resource` parameter is required, e.g. ?resource=acct:user@host")
    })?;
    let username = resource_username(&state, resource.trim())?;
    let account = owner_named(&state, &username)?;
    let urls = &state.urls;
    let body = json!({
        "subject": format!("acct:{}@{}", account.username, urls.host),
        "aliases": [account.url, account.uri],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": account.url },
            { "rel": "self", "type": "application/activity+json", "href": account.uri },
            { "rel": "http://ostatus.org/schema/1.0/subscribe", "template": urls.authorize_interaction_template() },
        ]
    });
    Ok((
        [(header::CONTENT_TYPE, "application/jrd+json; charset=utf-8")],
        body.to_string(),
    )
        .into_response())
}

fn lrdd_template(state: &AppState) -> String {
    format!("{}/.well-known/webfinger?resource={{uri}}", state.urls.base)
}

async fn host_meta(State(state): State<AppState>) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        crate::content::escape(&lrdd_template(&state))
    );
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn host_meta_json(State(state): State<AppState>) -> Response {
    let body = json!({ "links": [{ "rel": "lrdd", "template": lrdd_template(&state) }] });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let base = &state.urls.base;
    let body = json!({ "links": [
        { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0") },
        { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1") },
    ]});
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn nodeinfo(state: &AppState, version: &str) -> Result<Response, ApiError> {
    let account = state.store.owner_account()?.unwrap_or_default();
    let software = json!({ "name": "burrow", "version": env!("CARGO_PKG_VERSION") });
    let body = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": { "total": 1, "activeMonth": 1, "activeHalfyear": 1 },
            "localPosts": account.statuses_count,
        },
        "openRegistrations": false,
        "metadata": { "nodeName": account.display_name },
    });
    let content_type = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    Ok(([(header::CONTENT_TYPE, content_type)], body.to_string()).into_response())
}

async fn nodeinfo_20(State(state): State<AppState>) -> Result<Response, ApiError> {
    nodeinfo(&state, "2.0")
}

async fn nodeinfo_21(State(state): State<AppState>) -> Result<Response, ApiError> {
    nodeinfo(&state, "2.1")
}
