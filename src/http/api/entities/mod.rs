//! Mastodon's JSON entities, built from store records. The shapes follow
//! docs.joinmastodon.org and Mastodon's serializers: every documented key
//! is present (apps refuse objects with missing keys), dates carry
//! milliseconds and ids are strings.

pub mod account;
pub mod application;
pub mod context;
pub mod conversation;
pub mod custom_emoji;
pub mod instance;
pub mod marker;
pub mod notification;
pub mod notification_policy;
pub mod push;
pub mod quote;
pub mod status;
pub mod status_edit;

pub mod featured_tag;
pub mod filter;
pub mod list;
pub mod relationship;
pub mod report;
pub mod scheduled_status;
pub mod tag;

/// The entity of one of the owner's uploads.
pub fn media_entity(state: &crate::state::AppState, id: u64) -> Option<status::MediaEntity> {
    let m = state.store.media(id).ok()??;
    Some(status::local_media(&m, &state.urls))
}
