//! `/api/v1/bookmarks` and `/api/v1/favourites`: the owner's own lists,
//! newest first, paged by when each was added (the `Link` header carries
//! those entry ids, not status ids, as Mastodon's does).

use super::auth::Auth;
use super::entities::status::statuses;
use super::paging::{self, paged_at, Links};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::filters::Filters;
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use crate::store::relations::StatusRel;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/bookmarks", get(bookmarks))
        .route("/api/v1/favourites", get(favourites))
}

fn list(state: &AppState, rel: StatusRel, uri: &Uri, p: &Params) -> Result<Response, ApiError> {
    let page = paging::page(p, paging::STATUSES_LIMIT);
    let entries = state.store.owner_status_list(rel, page)?;
    let entry_ids: Vec<u64> = entries.iter().map(|(e, _)| *e).collect();
    let ids: Vec<u64> = entries.iter().map(|(_, sid)| *sid).collect();
    let out = statuses(state, &Viewer::Owner, &ids, &Filters::none())?;
    Ok(paged_at(
        state,
        uri,
        out,
        Links::if_full(&entry_ids, page.limit),
    ))
}

async fn bookmarks(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:bookmarks")?;
    list(&state, StatusRel::Bookmark, &uri, &p)
}

async fn favourites(
    State(state): State<AppState>,
    auth: Auth,
    uri: Uri,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("read:favourites")?;
    list(&state, StatusRel::Favourite, &uri, &p)
}
