//! Local statuses as ActivityPub objects: the Note at its id, its Create
//! activity (its replies are in `replies`). Who may fetch each is the visibility gate's
//! decision, asked through `SignedFetch`: followers-only and direct
//! statuses go only to signed requests from actors allowed to see them.

use super::signed_fetch::SignedFetch;
use crate::activitypub::{activity, note};
use crate::http::error::ApiError;
use crate::http::wants_activity_json;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::statuses::Status;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

/// The owner's status if the one fetching may see it; 404 otherwise
/// (never 403, which would confirm that a private post exists).
pub(super) async fn visible(
    state: &AppState,
    name: &str,
    id: &str,
    fetch: &mut SignedFetch,
) -> Result<(Status, Account), ApiError> {
    let not_found = || ApiError::not_found("Record not found");
    let owner = state.store.owner_account()?.ok_or_else(not_found)?;
    if !owner.username.eq_ignore_ascii_case(name) {
        return Err(not_found());
    }
    let id = crate::store::ids::parse_id(id).ok_or_else(not_found)?;
    let status = state
        .store
        .status(id)?
        .filter(|s| s.account_id == owner.id && s.reblog_of_id.is_none())
        .ok_or_else(not_found)?;
    if !fetch.may_see(state, &status).await? {
        return Err(not_found());
    }
    Ok((status, owner))
}

/// Browsers asking for a status are sent to its page, before any
/// signature is asked for; peers get the Note.
pub async fn note(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    fetch: Result<SignedFetch, ApiError>,
) -> Result<Response, ApiError> {
    if !wants_activity_json(&headers) {
        return Ok(Redirect::to(&format!("/@{name}/{id}")).into_response());
    }
    let mut fetch = fetch?;
    let (status, owner) = visible(&state, &name, &id, &mut fetch).await?;
    let atts = crate::ops::statuses::attachments(&state, &status.media_ids);
    Ok(super::activity_json(note::note_document(
        &status,
        &owner,
        &state.urls,
        &atts,
    )))
}

pub async fn create_activity(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    mut fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let (status, owner) = visible(&state, &name, &id, &mut fetch).await?;
    let atts = crate::ops::statuses::attachments(&state, &status.media_ids);
    let doc = note::note(&status, &owner, &state.urls, &atts);
    Ok(super::activity_json(activity::wrap(
        "Create",
        format!("{}/activity", status.uri),
        &owner,
        doc,
    )))
}
