//! The owner's inbox and the shared inbox: verify, persist, answer 202.
//! Processing happens later in the inbox worker, off the request path.
//!
//! The door's checks, cheapest first: a readable activity with a bounded
//! id; a valid signature by the activity's actor (its key fetched only
//! within the host's allowance), or, for a forwarded Create, by the
//! server passing it on; an id on the actor's own server; room
//! in the signer's, its server's and the whole queue's quotas. Only then
//! is the activity stored, de-duplicated by its id and the signer's host.

use crate::federation::inbox_queue::QUOTA_RETRY_AFTER;
use crate::federation::keys::{self, KeyError, VerifyError, KEY_FETCH_REFILL};
use crate::http::error::ApiError;
use crate::ops::inbound::id_of;
use crate::state::AppState;
use crate::store::inbox::InboxJob;
use crate::time_fmt::now_ms;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Longest activity id accepted. Real ids are URLs of a few dozen bytes;
/// each one is kept for hours to recognise redeliveries.
pub const MAX_ACTIVITY_ID_BYTES: usize = 2048;

pub async fn post(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let activity: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let actor_uri = activity
        .get("actor")
        .and_then(id_of)
        .unwrap_or_default()
        .to_string();
    let activity_id = id_of(&activity);
    if activity_id.is_some_and(|id| id.len() > MAX_ACTIVITY_ID_BYTES) {
        return Err(ApiError::bad_request(format!(
            "the activity's id is longer than {MAX_ACTIVITY_ID_BYTES} bytes"
        )));
    }
    // Checked before the signature: a blocked server's activities are
    // dropped whatever they say, so there is no need to fetch its key.
    if let Some(host) = crate::host::of_url(&actor_uri) {
        if state.store.is_domain_blocked(&host)? {
            return Ok(StatusCode::ACCEPTED.into_response());
        }
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let signer = match keys::verify_request(&state, &method, path, &headers, &body).await {
        Ok(a) => a,
        Err(VerifyError::Key(e @ KeyError::RateLimited(_))) => {
            tracing::info!("inbox deferred a request from {actor_uri}: {e}");
            return Ok(too_many(e.to_string(), KEY_FETCH_REFILL));
        }
        Err(e) => {
            // A deleted actor's key can't be fetched any more; its final
            // Delete is accepted and dropped so its server stops retrying.
            let self_delete = activity.get("type").and_then(|t| t.as_str()) == Some("Delete")
                && activity.get("object").and_then(id_of) == Some(actor_uri.as_str());
            if self_delete && state.store.account_by_uri(&actor_uri)?.is_none() {
                return Ok(StatusCode::ACCEPTED.into_response());
            }
            tracing::info!("inbox refused a request from {actor_uri}: {e}");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!("signature not accepted: {e}"),
            ));
        }
    };
    // A Create passed on by another server (inbox forwarding, see
    // `federation::forward`) is taken as the forwarder's: its object is
    // then believed only as its own origin serves it. Nothing else may be
    // signed by anyone but its actor.
    let forwarded =
        signer.uri != actor_uri && activity.get("type").and_then(|t| t.as_str()) == Some("Create");
    if signer.uri != actor_uri && !forwarded {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "the request is signed by {} but the activity's actor is {actor_uri}",
                signer.uri
            ),
        ));
    }
    let Some(signer_host) = crate::host::of_url(&signer.uri) else {
        return Err(ApiError::bad_request(format!(
            "the signer {} has no usable host",
            signer.uri
        )));
    };
    // A server speaks only for its own activities: one minted elsewhere
    // could otherwise stand in for (and, seen first, suppress) the real one.
    if let Some(id) = activity_id {
        if forwarded && !crate::host::same_origin(id, &actor_uri) {
            return Err(ApiError::bad_request(format!(
                "the forwarded activity's id {id} is not on its actor's server"
            )));
        }
        if !forwarded && !crate::host::same_origin(id, &signer.uri) {
            return Err(ApiError::bad_request(format!(
                "the activity's id {id} is not on {signer_host}, the signer's server"
            )));
        }
    }
    if state
        .store
        .has_relation(crate::store::relations::Rel::Blocking, signer.id)?
    {
        // Blocked actors are answered like everyone else, and ignored.
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    crate::federation::followers_sync::inbound(
        &state,
        &signer,
        headers
            .get(crate::federation::followers_sync::HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let place = match state.inbox_queue.admit(signer.id, &signer_host, body.len()) {
        Ok(p) => p,
        Err(full) => {
            tracing::info!("inbox deferred a request from {actor_uri}: {full}");
            return Ok(too_many(
                format!("{full}; send again later"),
                QUOTA_RETRY_AFTER,
            ));
        }
    };
    let now = now_ms();
    let job = InboxJob {
        id: state.store.next_id(),
        signer_id: signer.id,
        signer_host,
        body: body.to_vec(),
        received_ms: now,
        ..Default::default()
    };
    // A duplicate (or a failed write) drops `place`, which frees it. Once
    // written, the job is the worker's, whether or not the flush succeeds.
    if state.store.enqueue_inbox(&job, activity_id, now)? {
        place.publish(job.id, job.due_ms);
        state.inbox_wake.notify_one();
        state.store.flush().await?;
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// 429 with `Retry-After` and the JSON error every refusal carries.
fn too_many(message: String, retry_after: Duration) -> Response {
    let mut res = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    res
}
