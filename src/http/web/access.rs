//! Settings sections about who may reach the owner: apps holding access
//! tokens (with Revoke) and blocked servers (block, unblock). Both are
//! plain forms over the same operations as the Mastodon API.

use super::session::Post;
use crate::content::links::safe_url;
use crate::http::error::PageError;
use crate::ops::{authorized_apps, domain_blocks};
use crate::state::AppState;
use crate::store::timelines::Page;
use crate::time_fmt::iso8601_ms;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

/// Blocked servers listed on the settings page. A one-person server
/// blocks a few dozen at most; more stay blocked, just unlisted here
/// (the API pages through all of them).
pub const DOMAIN_BLOCKS_SHOWN: usize = 200;

/// An authorized app as the settings page shows it.
#[derive(Serialize)]
pub struct AppView {
    client_id: String,
    name: String,
    website: Option<String>,
    scopes: String,
    tokens: usize,
    granted: String,
    granted_at: String,
    last_granted: String,
}

fn date(ms: i64) -> String {
    let iso = iso8601_ms(ms);
    format!("{} {}", &iso[..10], &iso[11..16])
}

pub fn apps(state: &AppState) -> Result<Vec<AppView>, PageError> {
    Ok(authorized_apps::list(state)?
        .into_iter()
        .map(|a| AppView {
            client_id: a.client_id,
            name: a.name,
            // Only web links become links: a registered website is
            // whatever the app claimed.
            website: a.website.as_deref().and_then(safe_url),
            scopes: a.scopes.join(" "),
            tokens: a.tokens,
            granted: date(a.first_granted_ms),
            granted_at: iso8601_ms(a.first_granted_ms),
            last_granted: date(a.last_granted_ms),
        })
        .collect())
}

pub fn blocked_domains(state: &AppState) -> Result<Vec<String>, PageError> {
    let page = Page {
        limit: DOMAIN_BLOCKS_SHOWN,
        ..Default::default()
    };
    Ok(state
        .store
        .domain_block_page(page)?
        .into_iter()
        .map(|(_, d)| d)
        .collect())
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    client_id: String,
}

pub async fn revoke_app(
    State(state): State<AppState>,
    post: Post<RevokeForm>,
) -> Result<Response, PageError> {
    authorized_apps::revoke(&state, &post.form.client_id).await?;
    Ok(Redirect::to("/web/settings?done=revoked#apps").into_response())
}

#[derive(Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    r#do: String,
}

pub async fn domain_block(
    State(state): State<AppState>,
    post: Post<DomainForm>,
) -> Result<Response, PageError> {
    let f = post.form;
    let done = match f.r#do.as_str() {
        "unblock" => {
            domain_blocks::unblock(&state, &f.domain).await?;
            "unblocked"
        }
        _ => {
            domain_blocks::block(&state, &f.domain).await?;
            "blocked"
        }
    };
    Ok(Redirect::to(&format!("/web/settings?done={done}#domains")).into_response())
}
