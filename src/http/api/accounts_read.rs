//! Reading accounts: one account, its followers and following, lookup,
//! search, relationships, familiar followers, the lists an account is in
//! and its featured tags.

use super::auth::{viewer, Auth};
use super::entities::account::{account, AccountEntity};
use super::entities::list::{list, ListEntity};
use super::entities::relationship::{relationship, RelationshipEntity};
use super::paging::{self, ACCOUNTS_LIMIT};
use super::params::path_id;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::search::{self, Resolved};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// Ids answered at most in one relationships or familiar-followers call;
/// apps ask for a screenful at a time.
pub const MAX_IDS_PER_CALL: usize = 200;

/// Account search results: Mastodon's default (the ceiling is twice it).
pub const SEARCH_DEFAULT_LIMIT: usize = 40;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/search", get(search_accounts))
        .route(
            "/api/v1/accounts/familiar_followers",
            get(familiar_followers),
        )
        .route("/api/v1/accounts", get(many))
        .route("/api/v1/accounts/{id}", get(show))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/lists", get(account_lists))
        .route("/api/v1/accounts/{id}/featured_tags", get(featured_tags))
}

/// Public endpoints still check a token's scope when one is sent, as
/// Mastodon does.
fn check_optional(auth: &Option<Auth>, scope: &str) -> Result<(), ApiError> {
    match auth {
        Some(a) => a.require(scope),
        None => Ok(()),
    }
}

pub fn known_account(state: &AppState, raw_id: &str) -> Result<Account, ApiError> {
    let id = path_id(raw_id)?;
    state
        .store
        .account(id)?
        .ok_or_else(|| ApiError::not_found("Record not found"))
}

async fn show(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Json<AccountEntity>, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let a = known_account(&state, &id)?;
    Ok(Json(account(&a, &state.urls)))
}

/// A page of a relation as accounts with a `Link` header.
pub fn relation_list(
    state: &AppState,
    rel: Rel,
    path: &str,
    p: &Params,
) -> Result<Response, ApiError> {
    let page = paging::page(p, ACCOUNTS_LIMIT);
    let rows = state.store.relation_page(rel, page)?;
    let mut out = Vec::with_capacity(rows.len());
    for (_, id) in &rows {
        if let Some(a) = state.store.account(*id)? {
            out.push(account(&a, &state.urls));
        }
    }
    let ids: Vec<u64> = rows.iter().map(|(rid, _)| *rid).collect();
    let link = paging::list_link_header(state, path, p, &ids, page.limit);
    Ok(paging::paged(out, link))
}

/// `GET /api/v1/accounts?id[]=…`: the accounts known among the ids, in
/// the order asked, unknown ones left out (Mastodon 4.3); at most a
/// page of them.
async fn many(
    State(state): State<AppState>,
    auth: Option<Auth>,
    p: Params,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let mut out = Vec::new();
    for id in ids_param(&p).into_iter().take(ACCOUNTS_LIMIT) {
        if let Some(a) = state.store.account(id)? {
            out.push(account(&a, &state.urls));
        }
    }
    Ok(Json(out))
}

/// Whether the owner's `hide_collections` keeps their followers and
/// following from whoever asks: everyone but the owner themself.
fn hidden_from(auth: &Option<Auth>, a: &Account) -> bool {
    a.hide_collections && !auth.as_ref().is_some_and(|t| t.account_id() == Some(a.id))
}

/// Followers and following are known for the owner only; for anyone
/// else Burrow shows what it knows, which is nobody.
async fn followers(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let a = known_account(&state, &id)?;
    if !a.is_local() || hidden_from(&auth, &a) {
        return Ok(Json(Vec::<AccountEntity>::new()).into_response());
    }
    let path = format!("/api/v1/accounts/{}/followers", a.id);
    relation_list(&state, Rel::FollowedBy, &path, &p)
}

async fn following(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let a = known_account(&state, &id)?;
    if !a.is_local() || hidden_from(&auth, &a) {
        return Ok(Json(Vec::<AccountEntity>::new()).into_response());
    }
    let path = format!("/api/v1/accounts/{}/following", a.id);
    relation_list(&state, Rel::Following, &path, &p)
}

/// Ids from `id[]=…` (or `id=…`) that are numbers, bounded.
fn ids_param(p: &Params) -> Vec<u64> {
    let mut ids: Vec<u64> = p
        .list("id")
        .iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    ids.dedup();
    ids.truncate(MAX_IDS_PER_CALL);
    ids
}

async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<Vec<RelationshipEntity>>, ApiError> {
    auth.user("read:follows")?;
    let mut out = Vec::new();
    for id in ids_param(&p) {
        // Unknown ids are left out, as Mastodon does.
        if state.store.account(id)?.is_some() {
            out.push(relationship(&state, id)?);
        }
    }
    Ok(Json(out))
}

#[derive(Serialize)]
struct FamiliarFollowers {
    id: String,
    accounts: Vec<AccountEntity>,
}

/// Who among the owner's follows also follows each account. Burrow does
/// not keep remote accounts' follower lists, so the answer is honest but
/// empty.
async fn familiar_followers(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<Vec<FamiliarFollowers>>, ApiError> {
    auth.user("read:follows")?;
    let mut out = Vec::new();
    for id in ids_param(&p) {
        if state.store.account(id)?.is_some() {
            out.push(FamiliarFollowers {
                id: id.to_string(),
                accounts: Vec::new(),
            });
        }
    }
    Ok(Json(out))
}

/// Finds an account by handle. Unknown remote handles are looked up on
/// their server only for the owner: an anonymous request, or one with an
/// app-only token, must not make this small server fetch from anywhere
/// it names.
async fn lookup(
    State(state): State<AppState>,
    auth: Option<Auth>,
    p: Params,
) -> Result<Json<AccountEntity>, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let acct = p
        .str("acct")
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable("`acct` is missing; give a handle like user@host")
        })?;
    let found = match search::known_handle(&state, &acct)? {
        Some(a) => Some(a),
        None if viewer(&auth, "read:accounts")?.may_fetch_remote()
            && search::split_handle(&acct).is_some() =>
        {
            match search::resolve(&state, &acct).await? {
                Resolved::Account(a) => Some(a),
                _ => None,
            }
        }
        None => None,
    };
    let a = found.ok_or_else(|| ApiError::not_found("Record not found"))?;
    Ok(Json(account(&a, &state.urls)))
}

async fn search_accounts(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<Vec<AccountEntity>>, ApiError> {
    auth.user("read:accounts")?;
    let q = p.str("q").unwrap_or_default();
    let limit = paging::limit(&p, SEARCH_DEFAULT_LIMIT);
    let offset = p
        .str("offset")
        .and_then(|o| o.trim().parse().ok())
        .unwrap_or(0usize);
    let following_only = p.bool("following")?.unwrap_or(false);
    let mut found = Vec::new();
    if p.bool("resolve")?.unwrap_or(false) && offset == 0 && search::split_handle(&q).is_some() {
        if let Resolved::Account(a) = search::resolve(&state, &q).await? {
            found.push(a);
        }
    }
    for a in search::find_accounts(&state, &q, offset, limit)? {
        if !found.iter().any(|f| f.id == a.id) {
            found.push(a);
        }
    }
    let mut out = Vec::new();
    for a in found {
        if following_only && !state.store.has_relation(Rel::Following, a.id)? {
            continue;
        }
        out.push(account(&a, &state.urls));
    }
    out.truncate(limit);
    Ok(Json(out))
}

async fn account_lists(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<ListEntity>>, ApiError> {
    auth.user("read:lists")?;
    let a = known_account(&state, &id)?;
    let mut out = Vec::new();
    for lid in state.store.lists_for_account(a.id)? {
        if let Some(l) = state.store.list(lid)? {
            out.push(list(&l));
        }
    }
    Ok(Json(out))
}

/// Only the owner's featured tags are kept; remote accounts show none.
async fn featured_tags(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Json<Vec<super::entities::featured_tag::FeaturedTagEntity>>, ApiError> {
    check_optional(&auth, "read:accounts")?;
    let a = known_account(&state, &id)?;
    Ok(Json(super::featured_tags::entities(&state, a.id)?))
}
