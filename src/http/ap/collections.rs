//! The owner's collections: outbox, followers, following, featured posts
//! and featured tags. Summaries carry `totalItems` and link a first page.

use crate::activitypub::collection;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::accounts::Account;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// Mastodon pages followers with `?page=N` (from 1) and the outbox
    /// with `?page=true`; both are accepted everywhere.
    page: Option<String>,
}

impl PageQuery {
    /// `None` for the summary, otherwise the 1-based page number.
    fn number(&self) -> Option<usize> {
        match self.page.as_deref()? {
            "true" => Some(1),
            n => n.parse().ok().filter(|&n| n >= 1),
        }
    }
}

fn owner(state: &AppState, name: &str) -> Result<Account, ApiError> {
    match state.store.owner_account()? {
        Some(a) if a.username.eq_ignore_ascii_case(name) => Ok(a),
        _ => Err(ApiError::not_found(format!("no user `{name}` here"))),
    }
}

/// Answers a paged collection whose items are URIs or objects.
fn paged(
    id: &str,
    total: u64,
    q: &PageQuery,
    items: impl FnOnce(usize, usize) -> Vec<serde_json::Value>,
) -> Response {
    let doc = match q.number() {
        None => collection::summary(id, total, Some(format!("{id}?page=1"))),
        Some(n) => {
            let skip = (n - 1) * collection::PAGE_SIZE;
            let page_items = items(skip, collection::PAGE_SIZE);
            let more = (skip + page_items.len()) < total as usize;
            let next = more.then(|| format!("{id}?page={}", n + 1));
            let prev = (n > 1).then(|| format!("{id}?page={}", n - 1));
            collection::page(&format!("{id}?page={n}"), id, total, page_items, next, prev)
        }
    };
    super::activity_json(doc)
}

pub async fn outbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    Ok(paged(&a.outbox, a.statuses_count, &q, |_, _| Vec::new()))
}

pub async fn followers(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    Ok(paged(&a.followers_url, a.followers_count, &q, |_, _| {
        Vec::new()
    }))
}

pub async fn following(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    Ok(paged(&a.following_url, a.following_count, &q, |_, _| {
        Vec::new()
    }))
}

pub async fn featured(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    Ok(super::activity_json(collection::inline(
        &a.featured_url,
        Vec::new(),
    )))
}

pub async fn featured_tags(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    Ok(super::activity_json(collection::inline(
        &state.urls.featured_tags(&a.username),
        Vec::new(),
    )))
}
