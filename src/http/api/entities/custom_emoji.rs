//! `CustomEmoji` and `PreviewCard`: what a status or account carries
//! from other servers' pages and emoji, every address through the link
//! gate again as it is shown.

use crate::content::links::safe_url;
use crate::state::AppState;
use crate::store::cards::Card;
use crate::store::emojis::CustomEmoji;
use crate::store::statuses::Status;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone)]
pub struct CustomEmojiEntity {
    pub shortcode: String,
    pub url: String,
    pub static_url: String,
    /// Remote emoji are never offered in the owner's picker.
    pub visible_in_picker: bool,
    pub category: Option<String>,
}

/// The entities, as JSON values (the shape `Status` and `Account` hold).
pub fn emojis(list: &[CustomEmoji]) -> Vec<Value> {
    list.iter()
        .filter_map(|e| {
            let url = safe_url(&e.url)?;
            let entity = CustomEmojiEntity {
                shortcode: e.shortcode.clone(),
                static_url: safe_url(&e.static_url).unwrap_or_else(|| url.clone()),
                url,
                visible_in_picker: false,
                category: None,
            };
            serde_json::to_value(entity).ok()
        })
        .collect()
}

#[derive(Serialize, Debug, Clone)]
pub struct PreviewCardEntity {
    pub url: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    /// Burrow never embeds a page's player or markup.
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
    pub image_description: String,
    pub embed_url: String,
    pub blurhash: Option<String>,
    pub language: Option<String>,
    pub published_at: Option<String>,
    pub authors: Vec<Value>,
}

pub fn preview_card(c: &Card) -> Option<PreviewCardEntity> {
    Some(PreviewCardEntity {
        url: safe_url(&c.url)?,
        title: c.title.clone(),
        description: c.description.clone(),
        kind: "link",
        author_name: c.author_name.clone(),
        author_url: safe_url(&c.author_url).unwrap_or_default(),
        provider_name: c.provider_name.clone(),
        provider_url: safe_url(&c.provider_url).unwrap_or_default(),
        html: String::new(),
        width: c.width,
        height: c.height,
        image: c.image.as_deref().and_then(safe_url),
        image_description: c.image_description.clone(),
        embed_url: String::new(),
        blurhash: None,
        language: c.language.clone(),
        published_at: c.published_at_ms.map(iso8601_ms),
        authors: Vec::new(),
    })
}

/// The card a status shows, as JSON (the shape `Status` holds); `None`
/// for none yet, or one that could not be read.
pub fn status_card(state: &AppState, s: &Status) -> Option<Value> {
    let url = s.card_url.as_deref()?;
    let card = state.store.card(url).ok()??;
    serde_json::to_value(preview_card(&card)?).ok()
}
