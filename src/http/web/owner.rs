//! The owner's reading pages: timelines, notifications, one status with
//! its thread. Every page carries the session's CSRF token and its own
//! path, so each form on it can come back here.

use super::profile::PageQuery;
use super::session::Session;
use super::view::{hidden_author, AccountView, Viewer};
use crate::http::error::PageError;
use crate::ops::filters::{Context, Filters};
use crate::ops::{hiding, owner_account};
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::timelines::{self, Page};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

/// Notifications on one page.
pub const NOTIFICATIONS_PAGE: usize = 30;

/// Renders an owner page with what every owner page needs.
pub fn render(
    state: &AppState,
    session: &Session,
    template: &str,
    nav: &str,
    back: &str,
    ctx: minijinja::Value,
) -> Result<Response, PageError> {
    let owner = owner_account(state)?;
    let me = Viewer::owner(state, &owner).account_view(&owner);
    let html = state
        .templates
        .render(
            template,
            minijinja::context! {
                csrf => session.csrf, back => back, nav => nav, me => me,
                host => state.urls.host, owner_mode => true,
                compose_limits => super::actions::compose_limits(), ..ctx
            },
        )
        .map_err(PageError::internal)?;
    let mut res = Html(html).into_response();
    // Owner pages are personal: never kept by shared caches.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// The path and query of this request: where forms return to.
pub fn back_of(uri: &OriginalUri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/web/home".into())
}

fn timeline_page(
    state: &AppState,
    session: &Session,
    uri: &OriginalUri,
    which: &str,
    max_id: Option<u64>,
) -> Result<Response, PageError> {
    let owner = owner_account(state)?;
    let mut viewer = Viewer::owner(state, &owner);
    let (name, title, context) = match which {
        "home" => (timelines::home(), "Home", Context::Home),
        "local" => (timelines::local(), "Local", Context::Public),
        _ => (timelines::public(), "Federated", Context::Public),
    };
    viewer.filtered_by(context)?;
    let (statuses, next) = viewer.timeline(&name, max_id, |s| {
        !hiding::status_hidden(state, s).unwrap_or(true)
    })?;
    render(
        state,
        session,
        "timeline.html",
        which,
        &back_of(uri),
        minijinja::context! {
            title => title, statuses => statuses, next => next,
            next_base => format!("/web/{which}"), compose => which == "home",
            default_visibility => state.store.preferences()?.privacy,
        },
    )
}

pub async fn home(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    timeline_page(&state, &session, &uri, "home", q.max_id())
}

pub async fn local(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    timeline_page(&state, &session, &uri, "local", q.max_id())
}

pub async fn federated(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    timeline_page(&state, &session, &uri, "federated", q.max_id())
}

/// Bookmarks and favourites: the owner's own lists.
pub async fn saved(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(which): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (rel, title) = match which.as_str() {
        "bookmarks" => (crate::store::relations::StatusRel::Bookmark, "Bookmarks"),
        "favourites" => (crate::store::relations::StatusRel::Favourite, "Favourites"),
        _ => return Err(PageError::not_found("There is no such page.")),
    };
    let owner = owner_account(&state)?;
    let mut viewer = Viewer::owner(&state, &owner);
    let entries = state.store.owner_status_list(
        rel,
        Page {
            max_id: q.max_id(),
            limit: super::view::PAGE_SIZE,
            ..Default::default()
        },
    )?;
    let next = (entries.len() >= super::view::PAGE_SIZE)
        .then(|| entries.last().map(|(e, _)| e.to_string()))
        .flatten();
    let statuses: Vec<_> = entries
        .iter()
        .filter_map(|(_, id)| viewer.status_by_id(*id))
        .collect();
    render(
        &state,
        &session,
        "timeline.html",
        &which,
        &back_of(&uri),
        minijinja::context! {
            title => title, statuses => statuses, next => next,
            next_base => format!("/web/{which}"), compose => false,
        },
    )
}

/// A notification as shown.
#[derive(serde::Serialize)]
struct NotificationView {
    id: String,
    kind: String,
    /// What happened, in words.
    text: &'static str,
    account: Option<AccountView>,
    status: Option<super::view::StatusView>,
    created: String,
}

fn describe(kind: &str) -> &'static str {
    match kind {
        "mention" => "mentioned you",
        "status" => "posted",
        "reblog" => "boosted your post",
        "follow" => "followed you",
        "follow_request" => "asked to follow you",
        "favourite" => "favourited your post",
        "poll" => "A poll has ended",
        "update" => "edited a post",
        "admin.report" => "reported",
        "moved" => "moved to a new account",
        _ => "did something",
    }
}

pub async fn notifications(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let mut viewer = Viewer::owner(&state, &owner);
    viewer.filtered_by(Context::Notifications)?;
    let words = Filters::load(&state, Context::Notifications)?;
    let list: Vec<Notification> = state.store.notification_page(
        Page {
            max_id: q.max_id(),
            limit: NOTIFICATIONS_PAGE,
            ..Default::default()
        },
        |n| !hidden_author(&state, n.account_id) && !words.hides_notification(&state, n),
    )?;
    let next = (list.len() >= NOTIFICATIONS_PAGE)
        .then(|| list.last().map(|n| n.id.to_string()))
        .flatten();
    let items: Vec<NotificationView> = list
        .iter()
        .map(|n| NotificationView {
            id: n.id.to_string(),
            kind: n.kind.clone(),
            text: describe(&n.kind),
            account: viewer.account(n.account_id),
            status: n.status_id.and_then(|id| viewer.status_by_id(id)),
            created: crate::time_fmt::iso8601_ms(n.created_at_ms)[..16].replace('T', " "),
        })
        .collect();
    render(
        &state,
        &session,
        "notifications.html",
        "notifications",
        &back_of(&uri),
        minijinja::context! { items => items, next => next },
    )
}

/// Any stored status with its thread, for the owner.
pub async fn status(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let gone = || PageError::not_found("This post is not stored here (it may have been deleted).");
    let id = crate::store::ids::parse_id(&id).ok_or_else(gone)?;
    let s = state.store.status(id)?.ok_or_else(gone)?;
    let s = match s.reblog_of_id {
        Some(inner) => state.store.status(inner)?.ok_or_else(gone)?,
        None => s,
    };
    let mut viewer = Viewer::owner(&state, &owner);
    let view = viewer.status(&s).ok_or_else(gone)?;
    // The post asked for is shown whatever the filters say; its thread
    // is filtered as Mastodon filters threads.
    viewer.filtered_by(Context::Thread)?;
    let (ancestors, descendants) = viewer.thread(&s);
    crate::federation::replies::thread_opened(&state, &crate::ops::visibility::Viewer::Owner, &s);
    render(
        &state,
        &session,
        "thread.html",
        "",
        &back_of(&uri),
        minijinja::context! { s => view, ancestors => ancestors, descendants => descendants },
    )
}
