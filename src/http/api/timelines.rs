//! Timelines: home, public (federated and local), hashtag, list, and one
//! account's statuses, paged the way Mastodon pages them.

use super::auth::{viewer, Auth};
use super::entities::status::statuses_read;
use super::paging::{self, paged_at, Links};
use super::params::Params;
use super::statuses::parse_id;
use crate::http::error::ApiError;
use crate::ops::filters::{Context, Filters};
use crate::ops::hiding;
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::relations::StatusRel;
use crate::store::statuses::Status;
use crate::store::timelines::{self, Page};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

/// Pins read at most for one request (Mastodon caps pins at 5 per
/// account; remote servers may send more, so keep a margin).
pub const MAX_PINS: usize = 40;
/// Extra hashtags (`any[]`, `all[]`, `none[]`) one request may name.
pub const MAX_EXTRA_TAGS: usize = 4;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{hashtag}", get(tag))
        .route("/api/v1/timelines/list/{list_id}", get(list))
        .route("/api/v1/accounts/{id}/statuses", get(account))
}

/// What a request keeps of the statuses it scans.
struct Filter {
    /// Who is looking: the visibility gate decides what they may see; the
    /// owner's own hiding and keyword filters apply only to the owner.
    viewer: Viewer,
    only_media: bool,
    local_only: bool,
    remote_only: bool,
    exclude_reblogs: bool,
    /// Hide replies except those to the author's own statuses (threads),
    /// as Mastodon's `exclude_replies` does.
    exclude_replies: bool,
    all_tags: Vec<String>,
    no_tags: Vec<String>,
    /// Already-hidden authors are not hidden on their own profile.
    keep_hidden_authors: bool,
    /// The owner's keyword filters for this timeline's context (none for
    /// anyone else): `hide` ones drop statuses while the page is filled,
    /// so pages stay full and the `Link` cursors stay right.
    words: Filters,
}

impl Filter {
    fn from_params(
        state: &AppState,
        p: &Params,
        viewer: Viewer,
        context: Context,
    ) -> Result<Filter, ApiError> {
        Ok(Filter {
            words: Filters::for_viewer(state, viewer.is_owner(), context)?,
            viewer,
            only_media: p.bool("only_media")?.unwrap_or(false),
            local_only: p.bool("local")?.unwrap_or(false),
            remote_only: p.bool("remote")?.unwrap_or(false),
            exclude_reblogs: false,
            exclude_replies: false,
            all_tags: Vec::new(),
            no_tags: Vec::new(),
            keep_hidden_authors: false,
        })
    }

    fn keep(&self, state: &AppState, s: &Status) -> bool {
        if !visibility::may_see(state, &self.viewer, s).unwrap_or(false) {
            return false;
        }
        if self.only_media && s.media_ids.is_empty() && s.remote_media.is_empty() {
            return false;
        }
        if (self.local_only && !s.local) || (self.remote_only && s.local) {
            return false;
        }
        if self.exclude_reblogs && s.reblog_of_id.is_some() {
            return false;
        }
        let is_reply = s.in_reply_to_id.is_some() || s.in_reply_to_uri.is_some();
        if self.exclude_replies && is_reply && s.in_reply_to_account_id != Some(s.account_id) {
            return false;
        }
        if !self.all_tags.iter().all(|t| s.tags.contains(t)) {
            return false;
        }
        if self.no_tags.iter().any(|t| s.tags.contains(t)) {
            return false;
        }
        if self.viewer.is_owner() {
            if !self.keep_hidden_authors && hiding::status_hidden(state, s).unwrap_or(true) {
                return false;
            }
            if self.words.hides(state, s) {
                return false;
            }
        }
        true
    }
}

/// One page of the named timelines (more than one for `any[]` tags,
/// merged), keeping what `filter` accepts: the statuses themselves, in
/// page order, so each is read and decoded once per request.
fn scan(
    state: &AppState,
    names: &[String],
    page: Page,
    filter: &Filter,
) -> Result<Vec<Status>, ApiError> {
    let mut kept: HashMap<u64, Status> = HashMap::new();
    let mut ids = Vec::new();
    for name in names {
        ids.extend(
            state
                .store
                .timeline_page(name, page, |id| match state.store.status(id) {
                    Ok(Some(s)) if filter.keep(state, &s) => {
                        kept.insert(id, s);
                        true
                    }
                    _ => false,
                })?,
        );
    }
    let ids = if names.len() > 1 {
        paging::page_ids(ids, page)
    } else {
        ids
    };
    Ok(ids.into_iter().filter_map(|id| kept.remove(&id)).collect())
}

/// The page with its `Link` header, whose cursors are the page's own
/// first and last ids (hidden statuses were skipped while scanning, so
/// nothing between them is lost to paging).
fn respond(
    state: &AppState,
    uri: &Uri,
    found: &[Status],
    filter: &Filter,
) -> Result<Response, ApiError> {
    let ids: Vec<u64> = found.iter().map(|s| s.id).collect();
    let body = statuses_read(state, &filter.viewer, found, &filter.words)?;
    Ok(paged_at(state, uri, body, Links::around(&ids)))
}

async fn home(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let filter = Filter::from_params(&state, &p, Viewer::Owner, Context::Home)?;
    let found = scan(&state, &[timelines::home()], page, &filter)?;
    respond(&state, &uri, &found, &filter)
}

async fn public(
    State(state): State<AppState>,
    auth: Option<Auth>,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let filter = Filter::from_params(&state, &p, viewer, Context::Public)?;
    let name = if filter.local_only {
        timelines::local()
    } else {
        timelines::public()
    };
    let found = scan(&state, &[name], page, &filter)?;
    respond(&state, &uri, &found, &filter)
}

fn tag_names(p: &Params, key: &str) -> Vec<String> {
    p.list(key)
        .into_iter()
        .map(|t| t.trim().trim_start_matches('#').to_lowercase())
        .filter(|t| !t.is_empty())
        .take(MAX_EXTRA_TAGS)
        .collect()
}

async fn tag(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(hashtag): Path<String>,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let mut filter = Filter::from_params(&state, &p, viewer, Context::Public)?;
    filter.all_tags = tag_names(&p, "all");
    filter.no_tags = tag_names(&p, "none");
    let mut names = vec![timelines::tag(hashtag.trim_start_matches('#'))];
    names.extend(tag_names(&p, "any").iter().map(|t| timelines::tag(t)));
    names.dedup();
    let found = scan(&state, &names, page, &filter)?;
    respond(&state, &uri, &found, &filter)
}

/// Lists are managed elsewhere; this reads the timeline they fill. An
/// unknown list is a 404, as on Mastodon, so an app drops a list deleted
/// from another device instead of showing it empty forever.
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(list_id): Path<String>,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:lists")?;
    let id = parse_id(&list_id)?;
    if state.store.list(id)?.is_none() {
        return Err(ApiError::not_found("Record not found"));
    }
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let filter = Filter::from_params(&state, &p, Viewer::Owner, Context::Home)?;
    let found = scan(&state, &[timelines::list(id)], page, &filter)?;
    respond(&state, &uri, &found, &filter)
}

async fn account(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let account = state
        .store
        .account(parse_id(&id)?)?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    let page = paging::page(&p, paging::STATUSES_LIMIT);
    let mut filter = Filter::from_params(&state, &p, viewer, Context::Account)?;
    filter.keep_hidden_authors = true;
    filter.exclude_replies = p.bool("exclude_replies")?.unwrap_or(false);
    filter.exclude_reblogs = p.bool("exclude_reblogs")?.unwrap_or(false) || filter.only_media;
    filter.all_tags = tag_names(&p, "tagged");
    if p.bool("pinned")?.unwrap_or(false) {
        let is_owner_account = state.store.owner_account_id()? == Some(account.id);
        let pinned = if is_owner_account {
            let pins = state.store.owner_status_list(
                StatusRel::Pin,
                Page {
                    limit: MAX_PINS,
                    ..Default::default()
                },
            )?;
            let kept: Vec<Status> = pins
                .iter()
                .filter_map(|(_, sid)| state.store.status(*sid).ok().flatten())
                .filter(|s| filter.keep(&state, s))
                .collect();
            // Newest pin first; cursors are status ids, as in Mastodon.
            let allowed = paging::page_ids(kept.iter().map(|s| s.id).collect(), page);
            kept.into_iter()
                .filter(|s| allowed.contains(&s.id))
                .collect()
        } else {
            Vec::new()
        };
        return respond(&state, &uri, &pinned, &filter);
    }
    let found = scan(&state, &[timelines::account(account.id)], page, &filter)?;
    respond(&state, &uri, &found, &filter)
}
