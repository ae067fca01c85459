//! Talking to other servers: HTTP signatures, the SSRF-safe fetcher, the
//! durable delivery queue and the inbox worker. Discovery documents live
//! in `http::wellknown`; ActivityStreams shapes in `activitypub`.

pub mod delivery;
pub mod outbox;

use crate::state::AppState;
use crate::store::accounts::Account;

/// Finds `user@host` on its server (WebFinger, then the actor) and stores
/// it; `None` when it can't be found.
pub async fn resolve_handle(_state: &AppState, _handle: &str) -> Option<Account> {
    None
}
