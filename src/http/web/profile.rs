//! The owner's public face: the profile `/@NAME` (and `/users/NAME` for
//! browsers), each post's permalink `/@NAME/ID` with its thread, and the
//! Atom and RSS feeds `/@NAME.atom`, `/@NAME.rss`. ActivityPub clients
//! asking `/@NAME` get the actor document.
//!
//! These pages show only public and unlisted posts, to everyone. The one
//! difference for the logged-in owner on their own profile: "Edit
//! profile" instead of the visitor's "Follow" help and "Log in" link.

use super::view::{on_public_profile, Viewer};
use crate::http::error::PageError;
use crate::http::wants_activity_json;
use crate::ops::visibility;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::StatusRel;
use crate::store::timelines::{self, Page};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Entries in a feed: what a feed reader polls for, kept small.
pub const FEED_SIZE: usize = 20;
/// Pinned posts shown on the profile at most (Mastodon allows 5).
pub const MAX_PINNED: usize = 5;

pub fn owner_named(state: &AppState, name: &str) -> Result<Account, PageError> {
    match state.store.owner_account()? {
        Some(a) if a.username.eq_ignore_ascii_case(name) => Ok(a),
        _ => Err(PageError::not_found(format!(
            "There is nobody called @{name} on this server."
        ))),
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub max_id: Option<String>,
}

impl PageQuery {
    pub fn max_id(&self) -> Option<u64> {
        self.max_id.as_deref().and_then(crate::store::ids::parse_id)
    }
}

pub fn render(state: &AppState, name: &str, headers: &HeaderMap) -> Result<Response, PageError> {
    render_page(state, name, None, headers)
}

fn render_page(
    state: &AppState,
    name: &str,
    max_id: Option<u64>,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let account = owner_named(state, name)?;
    // There is one account, so any live session is its owner's.
    let is_owner = super::session::current(state, headers).is_some();
    let mut viewer = Viewer::visitor(state);
    let me = viewer.account_view(&account);
    let pinned = if max_id.is_none() {
        state
            .store
            .owner_status_list(
                StatusRel::Pin,
                Page {
                    limit: MAX_PINNED,
                    ..Default::default()
                },
            )?
            .into_iter()
            .filter_map(|(_, id)| viewer.status_by_id(id))
            .collect()
    } else {
        Vec::new()
    };
    let (statuses, next) =
        viewer.timeline(&timelines::account(account.id), max_id, on_public_profile)?;
    let html = state
        .templates
        .render(
            "profile.html",
            minijinja::context! {
                account => me, pinned => pinned, statuses => statuses, next => next,
                older => max_id.is_some(), base => state.urls.base, uri => account.uri,
                is_owner => is_owner,
                title => format!("{} (@{}@{})", if account.display_name.is_empty() { &account.username } else { &account.display_name }, account.username, state.urls.host),
            },
        )
        .map_err(PageError::internal)?;
    // The owner's view differs: caches must key on the cookie, and never
    // keep the owner's copy.
    let mut res = ([(header::VARY, "Accept, Cookie")], Html(html)).into_response();
    if is_owner {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(res)
}

pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(n) = name.strip_suffix(".atom") {
        return feed(&state, n, Feed::Atom);
    }
    if let Some(n) = name.strip_suffix(".rss") {
        return feed(&state, n, Feed::Rss);
    }
    if wants_activity_json(&headers) {
        let account = owner_named(&state, &name)?;
        return Ok(crate::http::ap::activity_json(
            crate::activitypub::actor::person(&account, &state.urls),
        ));
    }
    render_page(&state, &name, q.max_id(), &headers)
}

/// `/@NAME/ID`: one public post with its thread. A boost leads to what it
/// boosted.
pub async fn status(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let account = owner_named(&state, &name)?;
    let gone = || PageError::not_found("This post does not exist, or is not public.");
    let id = crate::store::ids::parse_id(&id).ok_or_else(gone)?;
    let s = visibility::visible_status(&state, &visibility::Viewer::Anonymous, id)?
        .filter(|s| s.account_id == account.id)
        .ok_or_else(gone)?;
    if let Some(inner) = s.reblog_of_id {
        let o = state.store.status(inner)?.ok_or_else(gone)?;
        let target = if o.local {
            format!("/@{}/{}", account.username, o.id)
        } else {
            crate::content::links::link_to(&o.url, &o.uri).ok_or_else(gone)?
        };
        return Ok(Redirect::to(&target).into_response());
    }
    if wants_activity_json(&headers) {
        return Ok(Redirect::to(&s.uri).into_response());
    }
    let mut viewer = Viewer::visitor(&state);
    let view = viewer.status(&s).ok_or_else(gone)?;
    let (ancestors, descendants) = viewer.thread(&s);
    let html = state
        .templates
        .render(
            "status.html",
            minijinja::context! {
                s => view, ancestors => ancestors, descendants => descendants,
                uri => s.uri, base => state.urls.base,
                account => viewer.account_view(&account),
            },
        )
        .map_err(PageError::internal)?;
    Ok(([(header::VARY, "Accept")], Html(html)).into_response())
}

#[derive(Clone, Copy)]
enum Feed {
    Atom,
    Rss,
}

fn feed(state: &AppState, name: &str, kind: Feed) -> Result<Response, PageError> {
    let account = owner_named(state, name)?;
    let mut viewer = Viewer::visitor(state);
    let ids = state.store.timeline_page(
        &timelines::account(account.id),
        Page {
            limit: FEED_SIZE,
            ..Default::default()
        },
        |id| {
            matches!(state.store.status(id), Ok(Some(s)) if s.visibility == crate::store::statuses::Visibility::Public && s.reblog_of_id.is_none())
        },
    )?;
    let entries: Vec<_> = ids
        .into_iter()
        .filter_map(|id| viewer.status_by_id(id))
        .map(|s| {
            let ms = crate::store::ids::id_time_ms(s.id.parse().unwrap_or(0));
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
            minijinja::context! { s => s, date => httpdate::fmt_http_date(when) }
        })
        .collect();
    let (template, content_type) = match kind {
        Feed::Atom => ("atom.xml", "application/atom+xml; charset=utf-8"),
        Feed::Rss => ("rss.xml", "application/rss+xml; charset=utf-8"),
    };
    let newest = account.last_status_at_ms.unwrap_or(account.created_at_ms);
    let updated = crate::time_fmt::iso8601_ms(newest);
    let body = state
        .templates
        .render(
            template,
            minijinja::context! {
                account => viewer.account_view(&account), entries => entries,
                base => state.urls.base, updated => updated,
            },
        )
        .map_err(PageError::internal)?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
