//! `/api/v2/search`: accounts, statuses and hashtags in one answer.
//! Statuses are searched, and handles or URLs resolved remotely, only for
//! the owner: without a token, or with an app-only one, only accounts and
//! hashtags are searched (Mastodon answers 401 to `resolve` or `offset`).

use super::auth::{viewer, Auth};
use super::entities::account::{account, AccountEntity};
use super::entities::status::{statuses, StatusEntity};
use super::entities::tag::{tag, Tag};
use super::paging;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::filters::Filters;
use crate::ops::search::{self, Resolved};
use crate::state::AppState;
use crate::store::relations::Rel;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// Results per type: Mastodon's default (the ceiling is twice it).
pub const DEFAULT_LIMIT: usize = 20;
/// Deepest offset served: paging further through a search that has no
/// index would only rescan the same bounded window.
pub const MAX_OFFSET: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/search", get(search))
}

#[derive(Serialize, Default)]
struct Results {
    accounts: Vec<AccountEntity>,
    statuses: Vec<StatusEntity>,
    hashtags: Vec<Tag>,
}

async fn search(
    State(state): State<AppState>,
    auth: Option<Auth>,
    p: Params,
) -> Result<Json<Results>, ApiError> {
    let viewer = viewer(&auth, "read:search")?;
    let q = p
        .str("q")
        .ok_or_else(|| ApiError::bad_request("`q` is missing; give something to search for"))?;
    let kind = p.str("type").unwrap_or_default();
    let wants = |t: &str| kind.is_empty() || kind == t;
    let resolve = p.bool("resolve")?.unwrap_or(false);
    let limit = paging::limit(&p, DEFAULT_LIMIT);
    let offset = match p.str("offset").filter(|o| !o.trim().is_empty()) {
        Some(o) => o.trim().parse::<usize>().map_err(|_| {
            ApiError::unprocessable(format!("`offset` must be a number, not `{o}`"))
        })?,
        None => 0,
    };
    if resolve && !viewer.may_fetch_remote() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Search queries that resolve remote resources are not supported without authentication",
        ));
    }
    if !viewer.is_owner() && offset > 0 {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Search queries with offset are not supported without authentication",
        ));
    }
    let mut out = Results::default();
    if offset > MAX_OFFSET || q.trim().is_empty() {
        return Ok(Json(out));
    }
    let mut found_accounts = Vec::new();
    let mut found_statuses = Vec::new();
    if resolve && offset == 0 {
        match search::resolve(&state, &q).await? {
            Resolved::Account(a) if wants("accounts") => found_accounts.push(a),
            Resolved::Status(s) if wants("statuses") => found_statuses.push(s.id),
            _ => {}
        }
    }
    if wants("accounts") {
        let following_only = viewer.is_owner() && p.bool("following")?.unwrap_or(false);
        for a in search::find_accounts(&state, &q, offset, limit)? {
            if !found_accounts.iter().any(|f| f.id == a.id) {
                found_accounts.push(a);
            }
        }
        for a in found_accounts.into_iter().take(limit) {
            if following_only && !state.store.has_relation(Rel::Following, a.id)? {
                continue;
            }
            out.accounts.push(account(&a, &state.urls));
        }
    }
    if wants("statuses") && viewer.is_owner() {
        for id in search::find_statuses(&state, &q, offset, limit)? {
            if !found_statuses.contains(&id) {
                found_statuses.push(id);
            }
        }
        found_statuses.truncate(limit);
        out.statuses = statuses(&state, &viewer, &found_statuses, &Filters::none())?;
    }
    if wants("hashtags") {
        for name in search::find_tags(&state, &q, offset, limit)? {
            out.hashtags.push(tag(&state, &name)?);
        }
    }
    Ok(Json(out))
}
