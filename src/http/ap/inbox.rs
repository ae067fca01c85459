//! The owner's inbox and the shared inbox: verify, persist, answer 202.
//! Processing happens later in the inbox worker, off the request path.

use crate::federation::keys;
use crate::http::error::ApiError;
use crate::ops::inbound::id_of;
use crate::state::AppState;
use crate::store::inbox::InboxJob;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

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
    // Checked before the signature: a blocked server's activities are
    // dropped whatever they say, so there is no need to fetch its key.
    if let Some(host) = crate::ops::inbound::host_of(&actor_uri) {
        if state.store.is_domain_blocked(&host)? {
            return Ok(StatusCode::ACCEPTED.into_response());
        }
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let signer = match keys::verify_request(&state, &method, path, &headers, &body).await {
        Ok(a) => a,
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
    if signer.uri != actor_uri {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "the request is signed by {} but the activity's actor is {actor_uri}",
                signer.uri
            ),
        ));
    }
    if state
        .store
        .has_relation(crate::store::relations::Rel::Blocking, signer.id)?
    {
        // Blocked actors are answered like everyone else, and ignored.
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let job = InboxJob {
        id: state.store.next_id(),
        signer_id: signer.id,
        body: body.to_vec(),
        attempts: 0,
    };
    let queued = state.store.enqueue_inbox(&job, id_of(&activity))?;
    if queued {
        state.store.flush().await?;
        state.inbox_wake.notify_one();
    }
    Ok(StatusCode::ACCEPTED.into_response())
}
