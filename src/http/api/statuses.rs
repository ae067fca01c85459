//! `/api/v1/statuses`: post, read, edit, delete a status; its history,
//! source, thread context, who favourited or boosted it; and the owner's
//! favourite, boost, bookmark, pin and mute of it.

use super::auth::{viewer, Auth};
use super::entities::context::ContextEntity;
use super::entities::status::{filtered_status, status, statuses, StatusEntity};
use super::entities::status_edit;
use super::paging::{self, link_header, paged, Links};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::filters::{Context, Filters};
use crate::ops::interactions;
use crate::ops::statuses::{EditStatus, MediaChange, NewPoll, NewStatus};
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::relations::StatusRel;
use crate::store::statuses::{Status, Visibility};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// Ancestors and descendants shown without a token, as Mastodon bounds
/// them for anonymous visitors.
pub const PUBLIC_CONTEXT_ANCESTORS: usize = 40;
pub const PUBLIC_CONTEXT_DESCENDANTS: usize = 60;
/// Reply depth followed for anonymous visitors.
pub const PUBLIC_CONTEXT_DEPTH: usize = 20;
/// The owner sees long threads whole, up to Mastodon's own limit; this
/// still bounds the work of one request on a small machine.
pub const OWNER_CONTEXT_LIMIT: usize = 4096;
/// Ids one `GET /api/v1/statuses?id[]=…` may ask for (Mastodon's limit).
pub const MAX_MULTIPLE_IDS: usize = 20;
/// The header apps send so a retried post is stored once.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Longest idempotency key kept; longer ones are refused, not truncated,
/// so two different keys never collide.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 256;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statuses", post(create).get(multiple))
        .route(
            "/api/v1/statuses/{id}",
            get(show).delete(destroy).put(update),
        )
        .route("/api/v1/statuses/{id}/history", get(history))
        .route("/api/v1/statuses/{id}/source", get(source))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/reblogged_by", get(reblogged_by))
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
        .route("/api/v1/statuses/{id}/pin", post(pin))
        .route("/api/v1/statuses/{id}/unpin", post(unpin))
        .route("/api/v1/statuses/{id}/mute", post(mute))
        .route("/api/v1/statuses/{id}/unmute", post(unmute))
}

/// Mastodon answers 404 for ids it cannot find, whatever their shape.
pub(crate) fn parse_id(raw: &str) -> Result<u64, ApiError> {
    raw.trim()
        .parse::<u64>()
        .map_err(|_| ApiError::not_found("Record not found"))
}

/// A status `viewer` may see, or 404 (never 403: Mastodon does not
/// reveal that a private status exists).
pub(crate) fn find(state: &AppState, raw: &str, viewer: &Viewer) -> Result<Status, ApiError> {
    visibility::visible_status(state, viewer, parse_id(raw)?)?
        .ok_or_else(|| ApiError::not_found("Record not found"))
}

/// Whether the owner muted or blocked the author or their domain, so
/// lists hide it.
pub(crate) fn hidden_author(state: &AppState, account_id: u64) -> Result<bool, ApiError> {
    Ok(crate::ops::hiding::account_hidden(state, account_id)?)
}

fn json(e: StatusEntity) -> Response {
    Json(e).into_response()
}

fn ids(p: &Params, key: &str) -> Result<Vec<u64>, ApiError> {
    p.list(key)
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                ApiError::unprocessable(format!("`{key}` must be a list of ids, not `{v}`"))
            })
        })
        .collect()
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, from a form or
/// a JSON object. No options means no poll.
fn poll(p: &Params) -> Result<Option<NewPoll>, ApiError> {
    let obj = match p.get("poll") {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Object(o)) => Params(o.clone()),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "`poll` must be an object with `options` and `expires_in`",
            ))
        }
    };
    let options = obj.list("options");
    if options.is_empty() {
        return Ok(None);
    }
    let expires = obj.str("expires_in").ok_or_else(|| {
        ApiError::unprocessable("Validation failed: `poll[expires_in]` is required")
    })?;
    let expires_in_secs = expires
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "`poll[expires_in]` must be a number of seconds, not `{expires}`"
            ))
        })? as i64;
    Ok(Some(NewPoll {
        options,
        expires_in_secs,
        multiple: obj.bool("multiple")?.unwrap_or(false),
    }))
}

/// `media_attributes[][id]`, `[description]`, `[focus]`: how apps change
/// alt text of media already posted.
fn media_attributes(p: &Params) -> Result<Vec<MediaChange>, ApiError> {
    let mut out = Vec::new();
    for obj in p.objects("media_attributes").unwrap_or_default() {
        let obj = Params(obj);
        let raw = obj.str("id").unwrap_or_default();
        let id = crate::store::ids::parse_id(&raw).ok_or_else(|| {
            ApiError::unprocessable(format!("media_attributes: `{raw}` is not a media id"))
        })?;
        let focus = match obj.str("focus").filter(|f| !f.is_empty()) {
            Some(f) => Some(super::media::parse_focus(&f)?),
            None => None,
        };
        out.push(MediaChange {
            id,
            description: obj.str("description"),
            focus,
        });
    }
    Ok(out)
}

fn language(p: &Params) -> Option<String> {
    p.str("language")
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    // A time already past posts now, as Mastodon does; a later one
    // schedules the post (`ops::scheduled`).
    let scheduled_at = match p.str("scheduled_at").filter(|v| !v.trim().is_empty()) {
        Some(raw) => Some(super::scheduled_statuses::parse_time(&raw)?)
            .filter(|at| *at > crate::time_fmt::now_ms()),
        None => None,
    };
    let prefs = state.store.preferences()?;
    let visibility = match p.str("visibility").filter(|v| !v.is_empty()) {
        Some(v) => Visibility::parse(&v).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: Visibility `{v}` is not one of public, unlisted, private, direct"
            ))
        })?,
        None => Visibility::parse(&prefs.privacy).unwrap_or_default(),
    };
    let in_reply_to_id = match p.str("in_reply_to_id").filter(|v| !v.trim().is_empty()) {
        Some(raw) => Some(raw.trim().parse::<u64>().map_err(|_| {
            ApiError::not_found("The post you are trying to reply to does not appear to exist.")
        })?),
        None => None,
    };
    let idempotency_key = match headers.get(IDEMPOTENCY_HEADER) {
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| ApiError::unprocessable("the Idempotency-Key header must be text"))?;
            if v.len() > MAX_IDEMPOTENCY_KEY_BYTES {
                return Err(ApiError::unprocessable(format!(
                    "the Idempotency-Key header is longer than {MAX_IDEMPOTENCY_KEY_BYTES} bytes"
                )));
            }
            Some(v.to_string()).filter(|v| !v.is_empty())
        }
        None => None,
    };
    let application = state.store.app(&auth.token.client_id)?.map(|a| a.name);
    let new = NewStatus {
        text: p.str("status").unwrap_or_default(),
        spoiler_text: p.str("spoiler_text").unwrap_or_default(),
        sensitive: p.bool("sensitive")?.unwrap_or(prefs.sensitive),
        visibility,
        language: language(&p).or_else(|| Some(prefs.language.clone()).filter(|l| !l.is_empty())),
        in_reply_to_id,
        media_ids: ids(&p, "media_ids")?,
        poll: poll(&p)?,
        idempotency_key,
        application,
        quoted_status_id: super::quotes::quoted_status_id(&p)?,
        quote_policy: super::quotes::quote_policy(&p)?,
    };
    if in_reply_to_id.is_some_and(|id| state.store.status(id).ok().flatten().is_none()) {
        return Err(ApiError::not_found(
            "The post you are trying to reply to does not appear to exist.",
        ));
    }
    if let Some(at) = scheduled_at {
        let s = crate::ops::scheduled::schedule(&state, new, at).await?;
        return Ok(Json(super::entities::scheduled_status::scheduled_status(
            &state, &s,
        ))
        .into_response());
    }
    let s = crate::ops::statuses::post(&state, new).await?;
    Ok(json(status(&state, &s)?))
}

async fn multiple(
    State(state): State<AppState>,
    auth: Option<Auth>,
    p: Params,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let wanted: Vec<u64> = p
        .list("id")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .take(MAX_MULTIPLE_IDS)
        .collect();
    let out = statuses(&state, &viewer, &wanted, &Filters::none())?;
    Ok(Json(out).into_response())
}

async fn show(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = find(&state, &id, &viewer(&auth, "read:statuses")?)?;
    Ok(json(status(&state, &s)?))
}

async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let s = crate::ops::statuses::delete(&state, parse_id(&id)?).await?;
    let mut e = status(&state, &s)?;
    e.text = Some(s.source_text.clone());
    Ok(json(e))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    auth.user("write:statuses")?;
    let id = parse_id(&id)?;
    let edit = EditStatus {
        text: p.str("status").unwrap_or_default(),
        spoiler_text: p.str("spoiler_text").unwrap_or_default(),
        sensitive: p.bool("sensitive")?.unwrap_or(false),
        language: language(&p),
        media_ids: ids(&p, "media_ids")?,
        poll: poll(&p)?,
        media_attributes: media_attributes(&p)?,
    };
    let s = crate::ops::statuses::edit(&state, id, edit).await?;
    Ok(json(status(&state, &s)?))
}

async fn history(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = find(&state, &id, &viewer(&auth, "read:statuses")?)?;
    Ok(Json(status_edit::history(&state, &s)?).into_response())
}

async fn source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    auth.user("read:statuses")?;
    let s = find(&state, &id, &Viewer::Owner)?;
    Ok(Json(status_edit::source(&s)).into_response())
}

async fn context(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let viewer = viewer(&auth, "read:statuses")?;
    let owner = viewer.is_owner();
    let s = find(&state, &id, &viewer)?;
    // Replies stored elsewhere are fetched in the background; this answer
    // shows what is here, and what arrives is streamed.
    crate::federation::replies::thread_opened(&state, &viewer, &s);
    let (max_up, max_down, max_depth) = if owner {
        (
            OWNER_CONTEXT_LIMIT,
            OWNER_CONTEXT_LIMIT,
            OWNER_CONTEXT_LIMIT,
        )
    } else {
        (
            PUBLIC_CONTEXT_ANCESTORS,
            PUBLIC_CONTEXT_DESCENDANTS,
            PUBLIC_CONTEXT_DEPTH,
        )
    };
    let shown = |x: &Status| -> Result<bool, ApiError> {
        Ok(visibility::may_see(&state, &viewer, x)?
            && !(owner && hidden_author(&state, x.account_id)?))
    };
    // Up the thread, parent by parent.
    let mut ancestors = Vec::new();
    let mut next = s.in_reply_to_id;
    let mut steps = 0;
    while let Some(pid) = next {
        steps += 1;
        if steps > max_up {
            break;
        }
        let Some(parent) = state.store.status(pid)? else {
            break;
        };
        next = parent.in_reply_to_id;
        if shown(&parent)? {
            ancestors.push(parent);
        }
    }
    ancestors.reverse();
    // Down the thread in reading order: each reply, then its replies.
    let mut descendants = Vec::new();
    let mut stack: Vec<(u64, usize)> = state
        .store
        .replies(s.id)?
        .into_iter()
        .rev()
        .map(|c| (c, 1))
        .collect();
    let mut visited = 0;
    while let Some((cid, depth)) = stack.pop() {
        visited += 1;
        if descendants.len() >= max_down || visited > OWNER_CONTEXT_LIMIT {
            break;
        }
        let Some(child) = state.store.status(cid)? else {
            continue;
        };
        if shown(&child)? {
            descendants.push(child);
        }
        if depth < max_depth {
            stack.extend(
                state
                    .store
                    .replies(cid)?
                    .into_iter()
                    .rev()
                    .map(|c| (c, depth + 1)),
            );
        }
    }
    let words = Filters::for_viewer(&state, owner, Context::Thread)?;
    let entities = |list: Vec<Status>| -> Result<Vec<StatusEntity>, ApiError> {
        let mut out = Vec::with_capacity(list.len());
        for x in &list {
            out.extend(filtered_status(&state, &viewer, x, &words)?);
        }
        Ok(out)
    };
    Ok(Json(ContextEntity {
        ancestors: entities(ancestors)?,
        descendants: entities(descendants)?,
    })
    .into_response())
}

/// Accounts that favourited or boosted a status, newest first, paged by
/// the id of their favourite or boost (which the `Link` header carries).
async fn rel_accounts(
    state: AppState,
    auth: Option<Auth>,
    id: String,
    rel: StatusRel,
    query: Option<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let s = find(&state, &id, &viewer(&auth, "read:accounts")?)?;
    let page = paging::page(&p, paging::ACCOUNTS_LIMIT);
    let mut by_rel = Vec::new();
    for acct in state.store.status_rel_accounts(rel, s.id)? {
        if let Some(r) = state.store.status_rel(rel, s.id, acct)? {
            by_rel.push((r.id, acct));
        }
    }
    let rel_ids = paging::page_ids(by_rel.iter().map(|(r, _)| *r).collect(), page);
    let mut out = Vec::new();
    for rid in &rel_ids {
        let Some((_, acct)) = by_rel.iter().find(|(r, _)| r == rid) else {
            continue;
        };
        if let Some(a) = state.store.account(*acct)? {
            out.push(super::entities::account::account(&a, &state.urls));
        }
    }
    let kind = if rel == StatusRel::Reblog {
        "reblogged_by"
    } else {
        "favourited_by"
    };
    let link = link_header(
        &state,
        &format!("/api/v1/statuses/{}/{kind}", s.id),
        query.as_deref(),
        Links::if_full(&rel_ids, page.limit),
    );
    Ok(paged(out, link))
}

async fn reblogged_by(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    p: Params,
) -> Result<Response, ApiError> {
    rel_accounts(state, auth, id, StatusRel::Reblog, query, p).await
}

async fn favourited_by(
    State(state): State<AppState>,
    auth: Option<Auth>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    p: Params,
) -> Result<Response, ApiError> {
    rel_accounts(state, auth, id, StatusRel::Favourite, query, p).await
}

/// The owner acts on a status they can see (404 otherwise).
fn target(state: &AppState, auth: &Auth, scope: &str, id: &str) -> Result<u64, ApiError> {
    auth.user(scope)?;
    Ok(find(state, id, &Viewer::Owner)?.id)
}

async fn favourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = target(&state, &auth, "write:favourites", &id)?;
    let s = interactions::favourite(&state, id).await?;
    Ok(json(status(&state, &s)?))
}

async fn unfavourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = target(&state, &auth, "write:favourites", &id)?;
    let s = interactions::unfavourite(&state, id).await?;
    Ok(json(status(&state, &s)?))
}

async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let id = target(&state, &auth, "write:statuses", &id)?;
    let visibility = match p.str("visibility").filter(|v| !v.is_empty()) {
        Some(v) => Some(Visibility::parse(&v).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: Visibility `{v}` is not one of public, unlisted, private"
            ))
        })?),
        None => None,
    };
    let s = interactions::reblog(&state, id, visibility).await?;
    Ok(json(status(&state, &s)?))
}

async fn unreblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = target(&state, &auth, "write:statuses", &id)?;
    let s = interactions::unreblog(&state, id).await?;
    Ok(json(status(&state, &s)?))
}

async fn flag(
    state: AppState,
    auth: Auth,
    id: String,
    scope: &str,
    kind: StatusRel,
    on: bool,
) -> Result<Response, ApiError> {
    let id = target(&state, &auth, scope, &id)?;
    let s = interactions::set_flag(&state, id, kind, on).await?;
    Ok(json(status(&state, &s)?))
}

async fn bookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(
        state,
        auth,
        id,
        "write:bookmarks",
        StatusRel::Bookmark,
        true,
    )
    .await
}

async fn unbookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(
        state,
        auth,
        id,
        "write:bookmarks",
        StatusRel::Bookmark,
        false,
    )
    .await
}

async fn pin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(state, auth, id, "write:accounts", StatusRel::Pin, true).await
}

async fn unpin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(state, auth, id, "write:accounts", StatusRel::Pin, false).await
}

async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(state, auth, id, "write:mutes", StatusRel::Mute, true).await
}

async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    flag(state, auth, id, "write:mutes", StatusRel::Mute, false).await
}
