//! The owner's followers on the asking server (FEP-8fcf's partial
//! followers collection): only to a signed fetch, and only the followers
//! whose accounts live on the signer's own server.

use super::signed_fetch::SignedFetch;
use crate::activitypub::collection;
use crate::http::error::ApiError;
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

pub async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    mut fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let owner = state
        .store
        .owner_account()?
        .filter(|o| o.username.eq_ignore_ascii_case(&name))
        .ok_or_else(|| ApiError::not_found(format!("no user `{name}` here")))?;
    let Viewer::Remote(signer) = fetch.viewer(&state).await else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the followers on your server are listed only to a signed request from it",
        ));
    };
    let items = crate::federation::followers_sync::followers_on(&state, &signer.uri)?
        .into_iter()
        .map(serde_json::Value::String)
        .collect();
    Ok(super::activity_json(collection::inline(
        &state.urls.followers_synchronization(&owner.username),
        items,
    )))
}
