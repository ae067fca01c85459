//! `/api/v1/accounts/verify_credentials` and `update_credentials`.
//! (Avatar and header uploads are not handled yet.)

use super::auth::Auth;
use super::entities::account::credential_account;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::profile::ProfileUpdate;
use crate::state::AppState;
use crate::store::preferences::FieldSource;
use crate::store::relations::Rel;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

fn owner_entity(state: &AppState) -> Result<Response, ApiError> {
    let account = state
        .store
        .owner_account()?
        .ok_or_else(|| ApiError::not_found("Record not found"))?;
    let prefs = state.store.preferences()?;
    // Counted rather than kept as a counter: pending requests are few (a
    // locked account answers them), and a count can never drift.
    let requests = state.store.relation_accounts(Rel::RequestedBy)?.len() as u64;
    Ok(Json(credential_account(&account, &prefs, requests, &state.urls)).into_response())
}

pub async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.user_any(&["profile", "read:accounts"])?;
    owner_entity(&state)
}

pub async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:accounts")?;
    let fields = p.objects("fields_attributes").map(|list| {
        list.iter()
            .map(|o| {
                let s = |k: &str| match o.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                FieldSource {
                    name: s("name"),
                    value: s("value"),
                }
            })
            .collect()
    });
    let update = ProfileUpdate {
        display_name: p.str("display_name"),
        note: p.str("note"),
        locked: p.bool("locked")?,
        bot: p.bool("bot")?,
        discoverable: p.bool("discoverable")?,
        fields,
        privacy: p.nested_str("source", "privacy"),
        sensitive: p.nested_bool("source", "sensitive")?,
        language: p.nested_str("source", "language"),
    };
    crate::ops::profile::update(&state, update).await?;
    state.store.flush().await?;
    owner_entity(&state)
}
