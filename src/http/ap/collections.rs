//! The owner's collections: outbox, followers, following, featured posts
//! and featured tags. Summaries carry `totalItems` and link a first page.
//! Each is fetched through `SignedFetch` (so `authorized_fetch` covers
//! them all), and each status in them is one the visibility gate lets the
//! fetcher see.

use super::signed_fetch::SignedFetch;
use crate::activitypub::{activity, collection, note};
use crate::http::error::ApiError;
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::{Rel, StatusRel};
use crate::store::timelines::{self, Page};
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

/// Pinned posts shown at most (Mastodon allows five).
const MAX_PINS: usize = 5;

/// The owner's activities `viewer` may see, newest first: Create for
/// posts, Announce for boosts (Mastodon shows a signed follower the
/// followers-only ones too).
fn outbox_items(
    state: &AppState,
    viewer: &Viewer,
    a: &Account,
    skip: usize,
    take: usize,
) -> crate::store::Result<Vec<serde_json::Value>> {
    let store = &state.store;
    let page = Page {
        limit: skip + take,
        ..Default::default()
    };
    let ids = store.timeline_page(&timelines::account(a.id), page, |id| {
        matches!(visibility::visible_status(state, viewer, id), Ok(Some(_)))
    })?;
    let mut out = Vec::new();
    for id in ids.into_iter().skip(skip) {
        let Some(s) = store.status(id)? else { continue };
        match s.reblog_of_id.and_then(|o| store.status(o).ok().flatten()) {
            Some(orig) => {
                let author = store
                    .account(orig.account_id)?
                    .map(|x| x.uri)
                    .unwrap_or_default();
                out.push(activity::announce(
                    s.uri.clone(),
                    a,
                    &orig.uri,
                    &author,
                    true,
                    s.created_at_ms,
                ));
            }
            None => {
                let atts = crate::ops::statuses::attachments(state, &s.media_ids);
                let doc = note::note(&s, a, &state.urls, &atts);
                out.push(activity::wrap(
                    "Create",
                    format!("{}/activity", s.uri),
                    a,
                    doc,
                ));
            }
        }
    }
    for item in &mut out {
        if let Some(o) = item.as_object_mut() {
            o.remove("@context");
        }
    }
    Ok(out)
}

/// Actor URIs in a relation, newest first as Mastodon lists them.
fn relation_items(state: &AppState, rel: Rel, skip: usize, take: usize) -> Vec<serde_json::Value> {
    let page = Page {
        limit: skip + take,
        ..Default::default()
    };
    let ids = state.store.relation_page(rel, page).unwrap_or_default();
    ids.into_iter()
        .skip(skip)
        .take(take)
        .filter_map(|(_, acct)| state.store.account(acct).ok().flatten())
        .map(|a| serde_json::json!(a.uri))
        .collect()
}

pub async fn outbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
    mut fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    // Only a page lists statuses; the summary needs no signer.
    let viewer = match q.number() {
        Some(_) => fetch.viewer(&state).await,
        None => Viewer::Anonymous,
    };
    Ok(paged(&a.outbox, a.statuses_count, &q, |skip, take| {
        outbox_items(&state, &viewer, &a, skip, take).unwrap_or_else(|e| {
            tracing::error!("outbox page: {e}");
            Vec::new()
        })
    }))
}

/// With `hide_collections`, followers and following answer their count
/// and nothing more, and a page is refused, as Mastodon does.
fn hidden(id: &str, total: u64, q: &PageQuery) -> Result<Response, ApiError> {
    if q.number().is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "This account hides whom it follows and who follows it",
        ));
    }
    Ok(super::activity_json(collection::summary(id, total, None)))
}

pub async fn followers(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
    _fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    if a.hide_collections {
        return hidden(&a.followers_url, a.followers_count, &q);
    }
    Ok(paged(
        &a.followers_url,
        a.followers_count,
        &q,
        |skip, take| relation_items(&state, Rel::FollowedBy, skip, take),
    ))
}

pub async fn following(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
    _fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    if a.hide_collections {
        return hidden(&a.following_url, a.following_count, &q);
    }
    Ok(paged(
        &a.following_url,
        a.following_count,
        &q,
        |skip, take| relation_items(&state, Rel::Following, skip, take),
    ))
}

pub async fn featured(
    State(state): State<AppState>,
    Path(name): Path<String>,
    mut fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    let page = Page {
        limit: MAX_PINS,
        ..Default::default()
    };
    let mut items = Vec::new();
    for (_, id) in state.store.owner_status_list(StatusRel::Pin, page)? {
        let Some(s) = state.store.status(id)? else {
            continue;
        };
        if fetch.may_see(&state, &s).await? {
            let atts = crate::ops::statuses::attachments(&state, &s.media_ids);
            items.push(note::note(&s, &a, &state.urls, &atts));
        }
    }
    Ok(super::activity_json(collection::inline(
        &a.featured_url,
        items,
    )))
}

pub async fn featured_tags(
    State(state): State<AppState>,
    Path(name): Path<String>,
    _fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let a = owner(&state, &name)?;
    let items = state
        .store
        .featured_tags()?
        .into_iter()
        .map(|f| {
            let key = f.display_name.to_lowercase();
            serde_json::json!({
                "type": "Hashtag",
                "href": state.urls.tag(&key),
                "name": format!("#{}", f.display_name),
            })
        })
        .collect();
    Ok(super::activity_json(collection::inline(
        &state.urls.featured_tags(&a.username),
        items,
    )))
}
