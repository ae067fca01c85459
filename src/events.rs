//! In-process events: operations announce what changed; streaming
//! connections and Web Push listen. Nothing here is durable — the store
//! is the record; events only wake listeners.

/// Events buffered per receiver before a slow one starts missing them
/// (it is then told it lagged and can resynchronise over REST).
pub const EVENT_BUFFER: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A status entered timelines (posted, boosted, or arrived).
    StatusCreated(u64),
    StatusUpdated(u64),
    StatusDeleted(u64),
    Notification(u64),
    FiltersChanged,
    /// An access token was revoked (by its app, or by the owner from the
    /// settings): streaming connections opened with it close at once, as
    /// Mastodon's do. Carries the token's `token_hash`, which is what each
    /// connection holds, so no lookup is needed to compare.
    TokenRevoked(String),
}
