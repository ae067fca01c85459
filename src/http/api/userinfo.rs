//! `GET`/`POST /oauth/userinfo`: who the token acts for, in the OpenID
//! Connect shape Mastodon 4.3 answers (issuer, subject = the actor URI,
//! names, profile page and avatar), for apps that sign people in.

use super::auth::Auth;
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth/userinfo", get(show).post(show))
}

async fn show(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.user_any(&["profile", "read:accounts"])?;
    let owner = crate::ops::owner_account(&state)?;
    let picture = if owner.avatar.is_empty() {
        state.urls.default_avatar()
    } else {
        owner.avatar.clone()
    };
    Ok(Json(json!({
        "iss": format!("{}/", state.urls.base),
        "sub": owner.uri,
        "name": owner.display_name,
        "preferred_username": owner.username,
        "profile": owner.url,
        "picture": picture,
    })))
}
