//! The owner's quote approval stamps (`QuoteAuthorization`), at the URL
//! an Accept names, so the quoting post's server and everyone who sees
//! the quote can check the approval at its origin. A revoked stamp is
//! gone (404).

use super::signed_fetch::SignedFetch;
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

pub async fn show(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    _fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("Record not found");
    let owner = state.store.owner_account()?.ok_or_else(not_found)?;
    if !owner.username.eq_ignore_ascii_case(&name) {
        return Err(not_found());
    }
    let id = crate::store::ids::parse_id(&id).ok_or_else(not_found)?;
    let doc = crate::ops::quotes::stamp_document(&state, id)?.ok_or_else(not_found)?;
    Ok(super::activity_json(doc))
}
