//! `Instance` (v2) and `V1_Instance`: what apps read before and after
//! login to learn the server's name, limits and features.

use super::account::AccountEntity;
use serde_json::{json, Value};

/// The Mastodon version Burrow claims to be, and the API version behind it.
///
/// Apps switch features on by this claim: 4.3.0 promises the v2 instance
/// entity, `api_versions`, v4 roles, PKCE and the OAuth metadata document.
/// Raise it only together with the endpoints a newer version promises.
pub struct MastodonClaim {
    /// `version` in the instance entities; apps parse the leading number
    /// and recognise non-Mastodon servers by the `compatible;` part.
    pub version: &'static str,
    /// `api_versions.mastodon`.
    pub api_version: u32,
}

pub const MASTODON_CLAIM: MastodonClaim = MastodonClaim {
    version: concat!("4.3.0 (compatible; Burrow ", env!("CARGO_PKG_VERSION"), ")"),
    api_version: 2,
};

/// Where the source lives (the package's `repository`; empty until one is set).
pub const SOURCE_URL: &str = env!("CARGO_PKG_REPOSITORY");

/// Posting limits announced to apps (Mastodon's defaults, which apps'
/// composers assume). The posting code must enforce the same numbers.
pub const MAX_STATUS_CHARS: u32 = 500;
pub const MAX_MEDIA_ATTACHMENTS: u32 = 4;
pub const CHARACTERS_RESERVED_PER_URL: u32 = 23;
pub const MAX_FEATURED_TAGS: u32 = crate::ops::featured_tags::MAX_FEATURED_TAGS as u32;
pub const MAX_PINNED_STATUSES: u32 = 5;
pub const POLL_MAX_OPTIONS: u32 = 4;
pub const POLL_MAX_CHARS_PER_OPTION: u32 = 50;
pub const POLL_MIN_EXPIRATION_SECS: u32 = 300;
pub const POLL_MAX_EXPIRATION_SECS: u32 = 2_629_746;
/// Media limits: smaller than Mastodon's, because a Pi decodes every
/// upload in memory. The media code enforces the same numbers.
pub const IMAGE_SIZE_LIMIT: u64 = crate::media::MAX_UPLOAD_BYTES as u64;
/// The decoder's own bound, so apps shrink photos to what Burrow takes.
pub const IMAGE_MATRIX_LIMIT: u64 = crate::media::MAX_PIXELS;
pub const VIDEO_SIZE_LIMIT: u64 = 40 * 1024 * 1024;
pub const VIDEO_FRAME_RATE_LIMIT: u32 = 60;
pub const VIDEO_MATRIX_LIMIT: u64 = 2_304_000;
pub const MEDIA_DESCRIPTION_LIMIT: u32 = 1500;
/// Only what the media code decodes. Apps offer the picker for what is
/// listed here, so claiming video (which is refused) would let a person
/// pick a clip and only learn at upload time that it cannot be posted.
pub const SUPPORTED_MIME_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// What the builders need to know about this server.
pub struct InstanceInfo {
    /// `example.net` (with port when there is one).
    pub domain: String,
    pub title: String,
    /// Plain text, one line.
    pub short_description: String,
    /// HTML.
    pub description: String,
    pub email: String,
    pub streaming_url: String,
    pub thumbnail_url: String,
    /// (URL, "WxH") of the icon.
    pub icon: (String, String),
    pub languages: Vec<String>,
    pub status_count: u64,
    pub domain_count: u64,
    pub vapid_key: String,
    pub owner: AccountEntity,
}

fn statuses_config() -> Value {
    json!({
        "max_characters": MAX_STATUS_CHARS,
        "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    })
}

fn media_config() -> Value {
    json!({
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "image_size_limit": IMAGE_SIZE_LIMIT,
        "image_matrix_limit": IMAGE_MATRIX_LIMIT,
        "video_size_limit": VIDEO_SIZE_LIMIT,
        "video_frame_rate_limit": VIDEO_FRAME_RATE_LIMIT,
        "video_matrix_limit": VIDEO_MATRIX_LIMIT,
        "description_limit": MEDIA_DESCRIPTION_LIMIT,
    })
}

fn polls_config() -> Value {
    json!({
        "max_options": POLL_MAX_OPTIONS,
        "max_characters_per_option": POLL_MAX_CHARS_PER_OPTION,
        "min_expiration": POLL_MIN_EXPIRATION_SECS,
        "max_expiration": POLL_MAX_EXPIRATION_SECS,
    })
}

fn accounts_config() -> Value {
    json!({
        "max_featured_tags": MAX_FEATURED_TAGS,
        "max_pinned_statuses": MAX_PINNED_STATUSES,
    })
}

/// `GET /api/v2/instance`.
pub fn instance_v2(i: &InstanceInfo) -> Value {
    json!({
        "domain": i.domain,
        "title": i.title,
        "version": MASTODON_CLAIM.version,
        "source_url": SOURCE_URL,
        "description": i.short_description,
        "usage": { "users": { "active_month": 1 } },
        "thumbnail": {
            "url": i.thumbnail_url,
            "blurhash": null,
            "versions": { "@1x": i.thumbnail_url, "@2x": i.thumbnail_url },
        },
        "icon": [ { "src": i.icon.0, "size": i.icon.1 } ],
        "languages": i.languages,
        "configuration": {
            "urls": { "streaming": i.streaming_url, "status": null, "about": null, "privacy_policy": null, "terms_of_service": null },
            "vapid": { "public_key": i.vapid_key },
            "accounts": accounts_config(),
            "statuses": statuses_config(),
            "media_attachments": media_config(),
            "polls": polls_config(),
            "translation": { "enabled": false },
        },
        "registrations": { "enabled": false, "approval_required": false, "message": null, "url": null },
        "api_versions": { "mastodon": MASTODON_CLAIM.api_version },
        "contact": { "email": i.email, "account": i.owner },
        "rules": [],
    })
}

/// `GET /api/v1/instance` (deprecated by Mastodon, still read by many apps).
pub fn instance_v1(i: &InstanceInfo) -> Value {
    json!({
        "uri": i.domain,
        "title": i.title,
        "short_description": i.short_description,
        "description": i.description,
        "email": i.email,
        "version": MASTODON_CLAIM.version,
        "urls": { "streaming_api": i.streaming_url },
        "stats": { "user_count": 1, "status_count": i.status_count, "domain_count": i.domain_count },
        "thumbnail": i.thumbnail_url,
        "languages": i.languages,
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": {
            "accounts": accounts_config(),
            "statuses": statuses_config(),
            "media_attachments": media_config(),
            "polls": polls_config(),
        },
        "contact_account": i.owner,
        "rules": [],
    })
}
