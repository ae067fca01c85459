//! `/api/v1/markers`: read positions shared between the owner's apps.

use super::auth::Auth;
use super::entities::marker::{marker, MarkerEntity};
use super::params::Params;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::markers::TIMELINES;
use crate::time_fmt::now_ms;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/markers", get(show).post(save))
}

fn markers(state: &AppState, names: &[&str]) -> Result<BTreeMap<String, MarkerEntity>, ApiError> {
    let mut out = BTreeMap::new();
    for name in names {
        if let Some(m) = state.store.marker(name)? {
            out.insert(name.to_string(), marker(&m));
        }
    }
    Ok(out)
}

/// `timeline[]=home&timeline[]=notifications`; unknown names are
/// ignored and markers never set are left out, as Mastodon does.
async fn show(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let asked = p.list("timeline");
    let names: Vec<&str> = TIMELINES
        .iter()
        .copied()
        .filter(|t| asked.iter().any(|a| a == t))
        .collect();
    Ok(Json(markers(&state, &names)?).into_response())
}

/// `home[last_read_id]=…`, `notifications[last_read_id]=…` (form or JSON).
async fn save(State(state): State<AppState>, auth: Auth, p: Params) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let mut updates = Vec::new();
    for name in TIMELINES {
        if let Some(raw) = p.nested_str(name, "last_read_id") {
            let id = raw.trim().parse::<u64>().map_err(|_| {
                ApiError::unprocessable(format!(
                    "`{name}[last_read_id]` must be an id, not `{raw}`"
                ))
            })?;
            updates.push((*name, id));
        }
    }
    if updates.is_empty() {
        return Err(ApiError::bad_request(
            "give `home[last_read_id]` or `notifications[last_read_id]`",
        ));
    }
    let now = now_ms();
    for (name, id) in &updates {
        state.store.set_marker(name, *id, now)?;
    }
    state.store.flush().await?;
    let names: Vec<&str> = updates.iter().map(|(n, _)| *n).collect();
    Ok(Json(markers(&state, &names)?).into_response())
}
