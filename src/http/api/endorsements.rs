//! Endorsed accounts: `POST /api/v1/accounts/:id/pin` and `/unpin`
//! (Mastodon for Android's "Feature on profile"), `GET
//! /api/v1/endorsements`, and the featured accounts of an account.

use super::accounts_read::known_account;
use super::auth::Auth;
use super::entities::account::{account, AccountEntity};
use super::entities::relationship::{relationship, RelationshipEntity};
use super::paging::{self, ACCOUNTS_LIMIT};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::endorsements;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/{id}/pin", post(pin))
        .route("/api/v1/accounts/{id}/unpin", post(unpin))
        .route("/api/v1/endorsements", get(index))
        .route("/api/v1/accounts/{id}/endorsements", get(of_account))
}

async fn pin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    auth.user("write:accounts")?;
    let a = known_account(&state, &id)?;
    endorsements::endorse(&state, a.id).await?;
    Ok(Json(relationship(&state, a.id)?))
}

async fn unpin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RelationshipEntity>, ApiError> {
    auth.user("write:accounts")?;
    let a = known_account(&state, &id)?;
    endorsements::unendorse(&state, a.id).await?;
    Ok(Json(relationship(&state, a.id)?))
}

/// The owner's endorsements, newest first, paged by endorsement id.
fn list(state: &AppState, path: &str, p: &Params) -> Result<Response, ApiError> {
    let page = paging::page(p, ACCOUNTS_LIMIT);
    let all = endorsements::current(state)?;
    let ids = paging::page_ids(all.iter().map(|(id, _)| *id).collect(), page);
    let mut out: Vec<AccountEntity> = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some((_, account_id)) = all.iter().find(|(e, _)| e == id) else {
            continue;
        };
        if let Some(a) = state.store.account(*account_id)? {
            out.push(account(&a, &state.urls));
        }
    }
    let link = paging::list_link_header(state, path, p, &ids, page.limit);
    Ok(paging::paged(out, link))
}

async fn index(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("read:accounts")?;
    list(&state, "/api/v1/endorsements", &p)
}

/// The accounts an account features: the owner's endorsements are
/// public, as on their profile; Burrow knows no one else's.
async fn of_account(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    if let Some(a) = &auth {
        a.require("read:accounts")?;
    }
    let a = known_account(&state, &id)?;
    if !a.is_local() {
        return Ok(Json(Vec::<AccountEntity>::new()).into_response());
    }
    list(
        &state,
        &format!("/api/v1/accounts/{}/endorsements", a.id),
        &p,
    )
}
