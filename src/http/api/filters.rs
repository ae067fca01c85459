//! Filters: `/api/v2/filters` (titled filters with keywords) and the
//! read side of v1 (`/api/v1/filters`, one phrase per keyword).

use super::auth::Auth;
use super::entities::filter::filter_status;
use super::entities::filter::V1FilterEntity;
use super::entities::filter::{filter, keyword, v1_filters, FilterEntity, KeywordEntity};
use super::paging;
use super::params::path_id;
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::filters::{self, FilterInput, KeywordChange};
use crate::state::AppState;
use crate::store::filters::Filter;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/filters", get(index).post(create))
        .route(
            "/api/v2/filters/keywords/{id}",
            get(show_keyword)
                .put(update_keyword)
                .delete(destroy_keyword),
        )
        .route(
            "/api/v2/filters/statuses/{id}",
            get(show_status).delete(destroy_status),
        )
        .route(
            "/api/v2/filters/{id}",
            get(show).put(update).delete(destroy),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            get(keywords).post(add_keyword),
        )
        .route(
            "/api/v2/filters/{id}/statuses",
            get(statuses).post(add_status),
        )
        .route("/api/v1/filters", get(v1_index).post(v1_create))
        .route(
            "/api/v1/filters/{id}",
            get(v1_show).put(v1_update).delete(v1_destroy),
        )
}

fn not_found() -> ApiError {
    ApiError::not_found("Record not found")
}

fn find(state: &AppState, raw: &str) -> Result<Filter, ApiError> {
    state.store.filter(path_id(raw)?)?.ok_or_else(not_found)
}

fn expires_in(p: &Params) -> Result<Option<Option<i64>>, ApiError> {
    if !p.has("expires_in") {
        return Ok(None);
    }
    match p.get("expires_in") {
        Some(Value::Null) => Ok(Some(None)),
        _ => match p.str("expires_in").map(|s| s.trim().to_string()) {
            Some(s) if s.is_empty() => Ok(Some(None)),
            Some(s) => s.parse::<i64>().map(|n| Some(Some(n))).map_err(|_| {
                ApiError::unprocessable(format!(
                    "`expires_in` must be a number of seconds, or empty for never; not `{s}`"
                ))
            }),
            None => Ok(Some(None)),
        },
    }
}

/// `keywords_attributes[][keyword]`, `[whole_word]`, `[id]`, `[_destroy]`.
fn keyword_changes(p: &Params) -> Result<Vec<KeywordChange>, ApiError> {
    let Some(list) = p.objects("keywords_attributes") else {
        return Ok(Vec::new());
    };
    list.into_iter()
        .map(|o| {
            let k = Params(o);
            let id = match k.str("id").filter(|s| !s.trim().is_empty()) {
                Some(s) => Some(s.trim().parse::<u64>().map_err(|_| not_found())?),
                None => None,
            };
            Ok(KeywordChange {
                id,
                keyword: k.str("keyword"),
                whole_word: k.bool("whole_word")?,
                destroy: k.bool("_destroy")?.unwrap_or(false),
            })
        })
        .collect()
}

fn input(p: &Params) -> Result<FilterInput, ApiError> {
    Ok(FilterInput {
        title: p.str("title"),
        context: p.has("context").then(|| p.list("context")),
        action: p.str("filter_action"),
        expires_in: expires_in(p)?,
        keywords: keyword_changes(p)?,
    })
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<FilterEntity>>, ApiError> {
    auth.user("read:filters")?;
    Ok(Json(state.store.filters()?.iter().map(filter).collect()))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<FilterEntity>, ApiError> {
    auth.user("read:filters")?;
    Ok(Json(filter(&find(&state, &id)?)))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<FilterEntity>, ApiError> {
    auth.user("write:filters")?;
    let f = filters::create(&state, input(&p)?).await?;
    Ok(Json(filter(&f)))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<FilterEntity>, ApiError> {
    auth.user("write:filters")?;
    let id = find(&state, &id)?.id;
    let f = filters::update(&state, id, input(&p)?).await?;
    Ok(Json(filter(&f)))
}

async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:filters")?;
    let id = find(&state, &id)?.id;
    filters::delete(&state, id).await?;
    Ok(paging::empty_object())
}

async fn keywords(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<KeywordEntity>>, ApiError> {
    auth.user("read:filters")?;
    let f = find(&state, &id)?;
    Ok(Json(f.keywords.iter().map(keyword).collect()))
}

async fn add_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<KeywordEntity>, ApiError> {
    auth.user("write:filters")?;
    let f = find(&state, &id)?;
    let word = p.str("keyword").unwrap_or_default();
    let whole_word = p.bool("whole_word")?.unwrap_or(true);
    let k = filters::add_keyword(&state, f.id, &word, whole_word).await?;
    Ok(Json(keyword(&k)))
}

fn keyword_id(state: &AppState, raw: &str) -> Result<(Filter, u64), ApiError> {
    let id = path_id(raw)?;
    let f = state.store.filter_of_keyword(id)?.ok_or_else(not_found)?;
    Ok((f, id))
}

async fn show_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<KeywordEntity>, ApiError> {
    auth.user("read:filters")?;
    let (f, id) = keyword_id(&state, &id)?;
    let k = f
        .keywords
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(not_found)?;
    Ok(Json(keyword(k)))
}

async fn update_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<KeywordEntity>, ApiError> {
    auth.user("write:filters")?;
    let (_, id) = keyword_id(&state, &id)?;
    let k = filters::update_keyword(&state, id, p.str("keyword"), p.bool("whole_word")?).await?;
    Ok(Json(keyword(&k)))
}

async fn destroy_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:filters")?;
    let (_, id) = keyword_id(&state, &id)?;
    filters::delete_keyword(&state, id).await?;
    Ok(paging::empty_object())
}

async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    auth.user("read:filters")?;
    let f = find(&state, &id)?;
    Ok(Json(f.statuses.iter().map(filter_status).collect()))
}

async fn add_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<Value>, ApiError> {
    auth.user("write:filters")?;
    let f = find(&state, &id)?;
    let raw = p.str("status_id").unwrap_or_default();
    let status_id = raw
        .trim()
        .parse::<u64>()
        .map_err(|_| ApiError::not_found("Record not found"))?;
    let fs = filters::add_status(&state, f.id, status_id).await?;
    Ok(Json(filter_status(&fs)))
}

fn status_filter(state: &AppState, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw)?;
    let f = filters::filter_of_status(state, id)?.ok_or_else(not_found)?;
    f.statuses
        .iter()
        .find(|s| s.id == id)
        .map(filter_status)
        .ok_or_else(not_found)
}

async fn show_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth.user("read:filters")?;
    Ok(Json(status_filter(&state, &id)?))
}

/// Removing needs the write scope, as Mastodon checks it before looking:
/// a read-only token is told 403 (it may never do this), not 404.
async fn destroy_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:filters")?;
    status_filter(&state, &id)?;
    filters::remove_status(&state, path_id(&id)?).await?;
    Ok(paging::empty_object())
}

async fn v1_index(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<V1FilterEntity>>, ApiError> {
    auth.user("read:filters")?;
    Ok(Json(
        state.store.filters()?.iter().flat_map(v1_filters).collect(),
    ))
}

/// A v1 filter is one keyword, addressed by the keyword's id.
async fn v1_show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<V1FilterEntity>, ApiError> {
    auth.user("read:filters")?;
    let (f, id) = keyword_id(&state, &id)?;
    v1_filters(&f)
        .into_iter()
        .find(|v| v.id == id.to_string())
        .map(Json)
        .ok_or_else(not_found)
}

/// What a v1 write asks: one phrase, its contexts, whether it hides
/// (`irreversible`) or warns, whole-word matching and an expiry.
fn v1_input(p: &Params, keyword_id: Option<u64>) -> Result<FilterInput, ApiError> {
    let phrase = p.str("phrase");
    Ok(FilterInput {
        title: phrase.clone(),
        context: p.has("context").then(|| p.list("context")),
        action: p
            .bool("irreversible")?
            .map(|hide| if hide { "hide" } else { "warn" }.to_string()),
        expires_in: expires_in(p)?,
        keywords: vec![KeywordChange {
            id: keyword_id,
            keyword: phrase,
            whole_word: p.bool("whole_word")?,
            destroy: false,
        }],
    })
}

/// The v1 view of the filter holding keyword `id`.
fn v1_of(f: &Filter, id: u64) -> Result<Json<V1FilterEntity>, ApiError> {
    v1_filters(f)
        .into_iter()
        .find(|v| v.id == id.to_string())
        .map(Json)
        .ok_or_else(not_found)
}

/// A v1 filter is a v2 filter titled by its one keyword.
async fn v1_create(
    State(state): State<AppState>,
    auth: Auth,
    p: Params,
) -> Result<Json<V1FilterEntity>, ApiError> {
    auth.user("write:filters")?;
    let mut input = v1_input(&p, None)?;
    if input.action.is_none() {
        input.action = Some("warn".into());
    }
    let f = filters::create(&state, input).await?;
    let id = f.keywords.first().map(|k| k.id).ok_or_else(not_found)?;
    v1_of(&f, id)
}

async fn v1_update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<V1FilterEntity>, ApiError> {
    auth.user("write:filters")?;
    let (f, id) = keyword_id(&state, &id)?;
    if f.keywords.len() > 1 {
        return Err(ApiError::unprocessable(
            "this filter has several keywords; change it through /api/v2/filters",
        ));
    }
    let f = filters::update(&state, f.id, v1_input(&p, Some(id))?).await?;
    v1_of(&f, id)
}

/// Removes the keyword; a filter left with nothing to match goes too.
async fn v1_destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:filters")?;
    let (f, id) = keyword_id(&state, &id)?;
    if f.keywords.len() == 1 && f.statuses.is_empty() {
        filters::delete(&state, f.id).await?;
    } else {
        filters::delete_keyword(&state, id).await?;
    }
    Ok(paging::empty_object())
}
