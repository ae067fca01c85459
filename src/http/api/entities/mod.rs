//! Mastodon's JSON entities, built from store records. The shapes follow
//! docs.joinmastodon.org and Mastodon's serializers: every documented key
//! is present (apps refuse objects with missing keys), dates carry
//! milliseconds and ids are strings.

pub mod account;
pub mod application;
pub mod instance;
pub mod notification;
pub mod push;
pub mod status;

/// The entity of a local media attachment (none until media exist).
pub fn media_entity(_state: &crate::state::AppState, _id: u64) -> Option<status::MediaEntity> {
    None
}
