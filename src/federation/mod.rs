//! Talking to other servers: HTTP signatures, the SSRF-safe fetcher, the
//! durable delivery queue and the inbox worker. Discovery documents live
//! in `http::wellknown`; ActivityStreams shapes in `activitypub`.

pub mod actors;
pub mod addresses;
pub mod delivery;
pub mod emoji;
pub mod fetcher;
pub mod followers_sync;
pub mod forward;
pub mod inbox_queue;
pub mod inbox_worker;
pub mod keys;
pub mod origin;
pub mod outbox;
pub mod quotes;
pub mod replies;
pub mod signatures;
pub mod transient;

use crate::state::AppState;
use crate::store::accounts::Account;

/// Finds `user@host` on its server (WebFinger, then the actor) and stores
/// it; `None` when it can't be found.
pub async fn resolve_handle(state: &AppState, handle: &str) -> Option<Account> {
    match actors::resolve_acct(state, handle).await {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::info!("cannot resolve {handle}: {e}");
            None
        }
    }
}

/// Fetches an ActivityPub object from its origin (signed GET, address and
/// id checks); `None` when it can't be had (a passing failure is noted
/// for the inbox worker, see `transient`).
pub async fn fetch_object(state: &AppState, uri: &str) -> Option<serde_json::Value> {
    match fetcher::fetch_object(state, uri).await {
        Ok(doc) => Some(doc.json),
        Err(e) => {
            transient::note(&e);
            tracing::info!("cannot fetch {uri}: {e}");
            None
        }
    }
}

/// Fetches (or refreshes) a remote actor and stores it (a passing
/// failure is noted for the inbox worker).
pub async fn fetch_actor(state: &AppState, uri: &str) -> Option<Account> {
    match actors::fetch_actor(state, uri).await {
        Ok(a) => Some(a),
        Err(e) => {
            if let actors::ActorError::Fetch(f) = &e {
                transient::note(f);
            }
            tracing::info!("cannot fetch actor {uri}: {e}");
            None
        }
    }
}

/// The production transport of the delivery worker: a signed POST with
/// the owner's key.
pub fn http_transport(state: &AppState) -> delivery::Transport {
    let state = state.clone();
    std::sync::Arc::new(move |inbox: String, body: Vec<u8>| {
        let state = state.clone();
        Box::pin(async move {
            let signer = fetcher::owner_signer(&state).ok_or("no owner key to sign with")?;
            let sync = followers_sync::outbound_header(&state, &inbox, &body);
            state
                .fetcher
                .post_activity_synced(&inbox, &body, &signer, sync.as_deref())
                .await
                .map(|s| s.as_u16())
                .map_err(|e| e.to_string())
        })
    })
}
