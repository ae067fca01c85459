//! The owner's blocks, mutes and blocked domains.

use super::accounts_read::relation_list;
use super::auth::Auth;
use super::entities::account::{account, AccountEntity};
use super::paging::{self, ACCOUNTS_LIMIT, NAMES_LIMIT};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::domain_blocks;
use crate::state::AppState;
use crate::store::relations::Rel;
use crate::time_fmt::{iso8601_ms, now_ms};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/mutes", get(mutes))
        .route(
            "/api/v1/domain_blocks",
            get(domain_blocks_list)
                .post(domain_block)
                .delete(domain_unblock),
        )
}

async fn blocks(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:blocks")?;
    relation_list(&state, Rel::Blocking, "/api/v1/blocks", &p)
}

/// A muted account, with when the mute ends (Mastodon's `MutedAccount`).
#[derive(Serialize)]
struct Muted {
    #[serde(flatten)]
    account: AccountEntity,
    mute_expires_at: Option<String>,
}

async fn mutes(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("read:mutes")?;
    let page = paging::page(&p, ACCOUNTS_LIMIT);
    let rows = state.store.relation_page(Rel::Muting, page)?;
    let now = now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for (_, id) in &rows {
        let Some(m) = state.store.relation(Rel::Muting, *id)? else {
            continue;
        };
        if m.expires_at_ms.is_some_and(|e| e <= now) {
            continue;
        }
        if let Some(a) = state.store.account(*id)? {
            out.push(Muted {
                account: account(&a, &state.urls),
                mute_expires_at: m.expires_at_ms.map(iso8601_ms),
            });
        }
    }
    let ids: Vec<u64> = rows.iter().map(|(rid, _)| *rid).collect();
    let link = paging::list_link_header(&state, "/api/v1/mutes", &p, &ids, page.limit);
    Ok(paging::paged(out, link))
}

async fn domain_blocks_list(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:blocks")?;
    let page = paging::page(&p, NAMES_LIMIT);
    let rows = state.store.domain_block_page(page)?;
    let ids: Vec<u64> = rows.iter().map(|(id, _)| *id).collect();
    let names: Vec<String> = rows.into_iter().map(|(_, d)| d).collect();
    let link = paging::list_link_header(&state, "/api/v1/domain_blocks", &p, &ids, page.limit);
    Ok(paging::paged(names, link))
}

fn domain_param(p: &Params) -> Result<String, ApiError> {
    p.str("domain")
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable("`domain` is missing; give a domain like example.social")
        })
}

async fn domain_block(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:blocks")?;
    domain_blocks::block(&state, &domain_param(&p)?).await?;
    Ok(paging::empty_object())
}

async fn domain_unblock(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:blocks")?;
    domain_blocks::unblock(&state, &domain_param(&p)?).await?;
    Ok(paging::empty_object())
}
