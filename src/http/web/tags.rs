//! `/tags/TAG`: public posts with a hashtag, the same page for everyone.

use super::profile::PageQuery;
use super::view::{on_public_tag_page, Viewer};
use crate::http::error::PageError;
use crate::state::AppState;
use crate::store::timelines;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};

/// Longest tag read from a URL; Mastodon's own limit is far below this.
pub const MAX_TAG_CHARS: usize = 100;

pub async fn page(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tag = tag.trim_start_matches('#').to_lowercase();
    if tag.is_empty()
        || tag.chars().count() > MAX_TAG_CHARS
        || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(PageError::not_found(
            "That is not a hashtag: tags are letters, digits and _.",
        ));
    }
    let mut viewer = Viewer::visitor(&state);
    let (statuses, next) =
        viewer.timeline(&timelines::tag(&tag), q.max_id(), on_public_tag_page)?;
    let owner = crate::ops::owner_account(&state)?;
    let html = state
        .templates
        .render(
            "tag.html",
            minijinja::context! {
                tag => tag, statuses => statuses, next => next, base => state.urls.base,
                account => viewer.account_view(&owner),
            },
        )
        .map_err(PageError::internal)?;
    Ok(Html(html).into_response())
}
