//! `POST /api/v1/apps` and `GET /api/v1/apps/verify_credentials`.

use super::auth::Auth;
use super::entities::application::{application, credential_application};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::oauth::{register_app, NewApp};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn create(State(state): State<AppState>, p: Params) -> Result<Response, ApiError> {
    // `redirect_uris` may be a string (newline-separated), an array or
    // `redirect_uris[]`; older apps send `redirect_uri`.
    let mut redirect_uris = p.list("redirect_uris");
    if redirect_uris.is_empty() {
        redirect_uris = p.list("redirect_uri");
    }
    let new = NewApp {
        name: p.str("client_name").unwrap_or_default(),
        website: p.str("website"),
        redirect_uris,
        scopes: p.str("scopes").or_else(|| {
            let l = p.list("scopes");
            (!l.is_empty()).then(|| l.join(" "))
        }),
    };
    let registered = register_app(&state.store, new)?;
    state.store.flush().await?;
    let mut entity = credential_application(&registered.app, &registered.client_secret);
    entity.app.vapid_key = crate::push::vapid::public_key(&state.store)?;
    Ok(Json(entity).into_response())
}

/// Any valid token may ask which app it belongs to, user or not.
pub async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, ApiError> {
    let app = state.store.app(&auth.token.client_id)?.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            super::auth::INVALID_TOKEN,
        )
    })?;
    let mut entity = application(&app);
    entity.vapid_key = crate::push::vapid::public_key(&state.store)?;
    Ok(Json(entity).into_response())
}
