//! Local statuses as ActivityPub objects: the Note at its id, its Create
//! activity, its replies. Followers-only and direct statuses are served
//! only to signed requests from actors allowed to see them.

use crate::activitypub::{activity, collection, note};
use crate::federation::keys;
use crate::http::error::ApiError;
use crate::http::wants_activity_json;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use crate::store::statuses::{Status, Visibility};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};

/// The status if `headers` may see it; 404 otherwise (never 403, which
/// would confirm that a private post exists).
async fn visible(
    state: &AppState,
    name: &str,
    id: &str,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
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
    let needs_signature =
        !status.visibility.is_public() || state.config.federation.authorized_fetch;
    if needs_signature {
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let signer = keys::verify_request(state, method, path, headers, b"")
            .await
            .map_err(|_| not_found())?;
        let allowed = match status.visibility {
            Visibility::Public | Visibility::Unlisted => {
                !state.store.has_relation(Rel::Blocking, signer.id)?
            }
            Visibility::Private => {
                state.store.has_relation(Rel::FollowedBy, signer.id)?
                    || status.mentions.iter().any(|m| m.account_id == signer.id)
            }
            Visibility::Direct => status.mentions.iter().any(|m| m.account_id == signer.id),
        };
        if !allowed {
            return Err(not_found());
        }
    }
    Ok((status, owner))
}

pub async fn note(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !wants_activity_json(&headers) {
        return Ok(Redirect::to(&format!("/@{name}/{id}")).into_response());
    }
    let (status, owner) = visible(&state, &name, &id, &method, &uri, &headers).await?;
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
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (status, owner) = visible(&state, &name, &id, &method, &uri, &headers).await?;
    let atts = crate::ops::statuses::attachments(&state, &status.media_ids);
    let doc = note::note(&status, &owner, &state.urls, &atts);
    Ok(super::activity_json(activity::wrap(
        "Create",
        format!("{}/activity", status.uri),
        &owner,
        doc,
    )))
}

pub async fn replies(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (status, _) = visible(&state, &name, &id, &method, &uri, &headers).await?;
    let mut items = Vec::new();
    for rid in state
        .store
        .replies(status.id)?
        .into_iter()
        .take(collection::PAGE_SIZE * 5)
    {
        if let Some(r) = state.store.status(rid)? {
            if r.visibility.is_public() {
                items.push(serde_json::json!(r.uri));
            }
        }
    }
    Ok(super::activity_json(collection::inline(
        &format!("{}/replies", status.uri),
        items,
    )))
}
