//! The owner's public profile page, `/@NAME` (and `/users/NAME` for
//! browsers). ActivityPub clients asking `/@NAME` get the actor document.

use crate::http::error::PageError;
use crate::http::wants_activity_json;
use crate::state::AppState;
use crate::store::accounts::Account;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

pub fn owner_named(state: &AppState, name: &str) -> Result<Account, PageError> {
    match state.store.owner_account()? {
        Some(a) if a.username.eq_ignore_ascii_case(name) => Ok(a),
        _ => Err(PageError::not_found(format!(
            "There is nobody called @{name} on this server."
        ))),
    }
}

pub fn render(state: &AppState, name: &str) -> Result<Response, PageError> {
    let account = owner_named(state, name)?;
    let avatar = if account.avatar.is_empty() {
        state.urls.default_avatar()
    } else {
        account.avatar.clone()
    };
    let html = state
        .templates
        .render(
            "profile.html",
            minijinja::context! { account => account, host => state.urls.host, avatar => avatar },
        )
        .map_err(PageError::internal)?;
    Ok(([(axum::http::header::VARY, "Accept")], Html(html)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if wants_activity_json(&headers) {
        let account = owner_named(&state, &name)?;
        return Ok(crate::http::ap::activity_json(
            crate::activitypub::actor::person(&account, &state.urls),
        ));
    }
    render(&state, &name)
}
