//! `Tag` as the tag endpoints, followed tags and search show it (statuses
//! carry the shorter form in `status::TagEntity`).

use crate::state::AppState;
use crate::store::Result;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub url: String,
    /// Daily use counts; Burrow keeps none.
    pub history: Vec<Value>,
    pub following: bool,
    pub featuring: bool,
}

/// Tags have no record of their own here, so the id is derived from the
/// name: stable, numeric like Mastodon's, and the same on every call.
fn tag_id(name: &str) -> u64 {
    let h = crate::crypto::sha256(name.as_bytes());
    u64::from_be_bytes(h[..8].try_into().expect("sha256 has 32 bytes")) >> 1
}

/// The entity of a (normalised, lower-case) tag name.
pub fn tag(state: &AppState, name: &str) -> Result<Tag> {
    Ok(Tag {
        id: tag_id(name).to_string(),
        name: name.to_string(),
        url: state.urls.tag(name),
        history: Vec::new(),
        following: state.store.follows_tag(name)?,
        featuring: state.store.is_featured_tag(name)?,
    })
}
