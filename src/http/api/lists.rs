//! `/api/v1/lists`: the owner's lists and their members.

use super::auth::Auth;
use super::entities::account::account;
use super::entities::list::{list, ListEntity};
use super::paging::{self, ACCOUNTS_LIMIT};
use super::params::path_id;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::lists::{self, ListInput};
use crate::state::AppState;
use crate::store::lists::List;
use crate::store::timelines::Page;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

/// Ids accepted in one add or remove call.
pub const MAX_ACCOUNTS_PER_CALL: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lists", get(index).post(create))
        .route("/api/v1/lists/{id}", get(show).put(update).delete(destroy))
        .route(
            "/api/v1/lists/{id}/accounts",
            get(members).post(add_members).delete(remove_members),
        )
}

fn find(state: &AppState, raw: &str) -> Result<List, ApiError> {
    state
        .store
        .list(path_id(raw)?)?
        .ok_or_else(|| ApiError::not_found("Record not found"))
}

fn input(p: &Params) -> Result<ListInput, ApiError> {
    Ok(ListInput {
        title: p.str("title"),
        replies_policy: p.str("replies_policy"),
        exclusive: p.bool("exclusive")?,
    })
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<ListEntity>>, ApiError> {
    auth.user("read:lists")?;
    let mut all = state.store.lists()?;
    all.sort_by_key(|l| l.title.to_lowercase());
    Ok(Json(all.iter().map(list).collect()))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ListEntity>, ApiError> {
    auth.user("read:lists")?;
    Ok(Json(list(&find(&state, &id)?)))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<ListEntity>, ApiError> {
    auth.user("write:lists")?;
    let l = lists::create(&state, input(&p)?).await?;
    Ok(Json(list(&l)))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<ListEntity>, ApiError> {
    auth.user("write:lists")?;
    let id = find(&state, &id)?.id;
    let l = lists::update(&state, id, input(&p)?).await?;
    Ok(Json(list(&l)))
}

async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:lists")?;
    let id = find(&state, &id)?.id;
    lists::delete(&state, id).await?;
    Ok(paging::empty_object())
}

/// Members, paged by when they were added; `limit=0` gives them all, as
/// Mastodon does.
async fn members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:lists")?;
    let l = find(&state, &id)?;
    let everything = p.str("limit").is_some_and(|v| v.trim() == "0");
    let page = if everything {
        Page {
            limit: usize::MAX,
            ..Default::default()
        }
    } else {
        paging::page(&p, ACCOUNTS_LIMIT)
    };
    let rows = if everything {
        let mut all = state.store.list_members_all(l.id)?;
        all.reverse();
        all
    } else {
        state.store.list_members_page(l.id, page)?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (_, aid) in &rows {
        if let Some(a) = state.store.account(*aid)? {
            out.push(account(&a, &state.urls));
        }
    }
    let link = if everything {
        None
    } else {
        let ids: Vec<u64> = rows.iter().map(|(e, _)| *e).collect();
        let path = format!("/api/v1/lists/{}/accounts", l.id);
        paging::list_link_header(&state, &path, &p, &ids, page.limit)
    };
    Ok(paging::paged(out, link))
}

fn account_ids(p: &Params) -> Result<Vec<u64>, ApiError> {
    let raw = p.list("account_ids");
    if raw.is_empty() {
        return Err(ApiError::unprocessable(
            "`account_ids` is missing; give the accounts as account_ids[]",
        ));
    }
    if raw.len() > MAX_ACCOUNTS_PER_CALL {
        return Err(ApiError::unprocessable(format!(
            "at most {MAX_ACCOUNTS_PER_CALL} accounts can be changed at once"
        )));
    }
    raw.iter()
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| ApiError::not_found("Record not found"))
        })
        .collect()
}

async fn add_members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:lists")?;
    let l = find(&state, &id)?;
    lists::add_accounts(&state, l.id, &account_ids(&p)?).await?;
    Ok(paging::empty_object())
}

async fn remove_members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:lists")?;
    let l = find(&state, &id)?;
    lists::remove_accounts(&state, l.id, &account_ids(&p)?).await?;
    Ok(paging::empty_object())
}
