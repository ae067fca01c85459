//! Remote custom emoji, kept inside the status or account that used them
//! (Burrow has no emoji of its own and keeps no shared emoji table: an
//! emoji is a shortcode and an image address on its own server).

use serde::{Deserialize, Serialize};

/// One `Emoji` tag as it arrived, after the checks in
/// `federation::emoji`: a valid shortcode and addresses that passed the
/// link gate. Nothing is downloaded; clients load the image from its
/// server.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CustomEmoji {
    /// Without the colons.
    pub shortcode: String,
    pub url: String,
    /// The same image: Burrow makes no still copy of animated emoji.
    pub static_url: String,
}
