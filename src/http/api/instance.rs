//! `/api/v1/instance`, `/api/v2/instance` and their companions. None
//! needs a token: apps read them before anyone logs in.

use super::entities::account::account;
use super::entities::instance::{instance_v1, instance_v2, InstanceInfo};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time_fmt::iso8601_ms;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// How many weeks `/instance/activity` reports, as Mastodon does.
pub const ACTIVITY_WEEKS: i64 = 12;

fn info(state: &AppState) -> Result<InstanceInfo, ApiError> {
    let owner = state
        .store
        .owner_account()?
        .ok_or_else(|| ApiError::not_found("this server is not set up yet"))?;
    let prefs = state.store.preferences()?;
    let urls = &state.urls;
    let handle = format!("@{}@{}", owner.username, urls.host);
    let title = if owner.display_name.trim().is_empty() {
        urls.host.clone()
    } else {
        owner.display_name.clone()
    };
    let short_description = format!("The one-person fediverse server of {handle}.");
    let description = if owner.note.is_empty() {
        format!("<p>{}</p>", crate::content::escape(&short_description))
    } else {
        owner.note.clone()
    };
    let streaming_url = match urls.base.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some((_, rest)) => format!("ws://{rest}"),
        None => urls.base.clone(),
    };
    let language = if prefs.language.is_empty() {
        "en".to_string()
    } else {
        prefs.language.clone()
    };
    let thumbnail_url = if owner.header.is_empty() {
        urls.default_header()
    } else {
        owner.header.clone()
    };
    Ok(InstanceInfo {
        domain: urls.host.clone(),
        title,
        short_description,
        description,
        email: String::new(),
        streaming_url,
        thumbnail_url,
        icon: (urls.default_avatar(), "128x128".to_string()),
        languages: vec![language],
        status_count: owner.statuses_count,
        domain_count: 0,
        vapid_key: crate::push::vapid::public_key(&state.store)?,
        owner: account(&owner, urls),
    })
}

pub async fn v1(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(instance_v1(&info(&state)?)))
}

pub async fn v2(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(instance_v2(&info(&state)?)))
}

/// Domains this server federates with; none are tracked yet.
pub async fn peers() -> Json<Value> {
    Json(json!([]))
}

pub async fn rules() -> Json<Value> {
    Json(json!([]))
}

pub async fn custom_emojis() -> Json<Value> {
    Json(json!([]))
}

/// Weekly buckets, newest first, each starting Monday 00:00 UTC; counts
/// are strings, as Mastodon sends them.
pub async fn activity(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    const DAY: i64 = 86_400;
    let now = crate::time_fmt::now_ms() / 1000;
    let days = now.div_euclid(DAY);
    // 1970-01-01 was a Thursday: three days after a Monday.
    let monday = (days - (days + 3).rem_euclid(7)) * DAY;
    let created = state
        .store
        .owner_account()?
        .map(|a| a.created_at_ms / 1000)
        .unwrap_or(0);
    let weeks: Vec<Value> = (0..ACTIVITY_WEEKS)
        .map(|i| {
            let start = monday - i * 7 * DAY;
            let registered = (start..start + 7 * DAY).contains(&created);
            json!({
                "week": start.to_string(),
                "statuses": "0",
                "logins": "0",
                "registrations": if registered { "1" } else { "0" },
            })
        })
        .collect();
    Ok(Json(Value::Array(weeks)))
}

pub async fn extended_description(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let i = info(&state)?;
    let updated = state
        .store
        .owner_account()?
        .map(|a| a.created_at_ms)
        .unwrap_or(0);
    Ok(Json(json!({
        "updated_at": iso8601_ms(updated),
        "content": i.description,
    })))
}
