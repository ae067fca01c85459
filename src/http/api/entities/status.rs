//! `Status` (with its account, media, mentions, tags, poll and, for
//! boosts, the boosted status), `StatusEdit`, `StatusSource`, `Poll`,
//! `MediaAttachment`, `Context` pieces.

use super::account::{account, AccountEntity};
use super::filter::{filter_result, FilterResultEntity};
use crate::content::links::{link_to, safe_url};
use crate::ops::filters::{Filters, Verdict};
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::relations::StatusRel;
use crate::store::statuses::{Poll, RemoteMedia, Status};
use crate::store::{Result, StoreError};
use crate::time_fmt::{iso8601_ms, now_ms};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone)]
pub struct MentionEntity {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct TagEntity {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct PollOptionEntity {
    pub title: String,
    pub votes_count: Option<u64>,
}

#[derive(Serialize, Debug, Clone)]
pub struct PollEntity {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: u64,
    pub voters_count: Option<u64>,
    pub options: Vec<PollOptionEntity>,
    pub emojis: Vec<Value>,
    pub voted: bool,
    pub own_votes: Vec<usize>,
}

#[derive(Serialize, Debug, Clone)]
pub struct MediaEntity {
    pub id: String,
    /// image, video, audio or unknown (never gifv: nothing is converted
    /// to video here).
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: Value,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct ApplicationRef {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct StatusEntity {
    pub id: String,
    pub created_at: String,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: String,
    pub language: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub replies_count: u64,
    pub reblogs_count: u64,
    pub favourites_count: u64,
    pub edited_at: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub content: String,
    /// The owner's `warn` filters that matched (on a boost: on both the
    /// boost and the boosted status, as Mastodon sends them).
    pub filtered: Vec<FilterResultEntity>,
    pub reblog: Option<Box<StatusEntity>>,
    pub application: Option<ApplicationRef>,
    pub account: AccountEntity,
    pub media_attachments: Vec<MediaEntity>,
    pub mentions: Vec<MentionEntity>,
    pub tags: Vec<TagEntity>,
    pub emojis: Vec<Value>,
    pub card: Option<Value>,
    pub poll: Option<PollEntity>,
    /// The post this one quotes (Mastodon 4.5), as `viewer` may see it.
    pub quote: Option<QuoteEntity>,
    pub quotes_count: u64,
    pub quote_approval: QuoteApprovalEntity,
    /// Only in the answer to a delete (for "delete and redraft").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The attachment type apps choose a player by. A GIF is `image`: apps
/// play `gifv` as looping video (Mastodon converts GIFs to MP4 before
/// labelling them so), and Burrow serves the GIF itself.
fn media_kind(media_type: &str) -> &'static str {
    match media_type.split('/').next().unwrap_or("") {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "unknown",
    }
}

/// A remote status's attachment; its id is derived from the status id
/// and position, so it is stable and never collides with local ids.
/// `None` when its address does not pass the link gate (a record stored
/// before intake checked it).
pub fn remote_media(status_id: u64, i: usize, m: &RemoteMedia) -> Option<MediaEntity> {
    let url = safe_url(&m.url)?;
    let meta = match (m.width, m.height) {
        (Some(w), Some(h)) if h > 0 => serde_json::json!({
            "original": { "width": w, "height": h, "size": format!("{w}x{h}"), "aspect": w as f64 / h as f64 }
        }),
        _ => serde_json::json!({}),
    };
    let kind = media_kind(&m.media_type);
    // Video and audio are previewed by their still image, when the peer
    // sent one; the file itself is never a preview.
    let still = m.preview_url.as_deref().and_then(safe_url);
    let preview_url = match kind {
        "image" | "gifv" => Some(url.clone()),
        _ => still.clone(),
    };
    Some(MediaEntity {
        id: format!("{status_id}{i:02}"),
        kind: kind.to_string(),
        preview_url,
        remote_url: Some(url.clone()),
        url,
        preview_remote_url: still,
        text_url: None,
        meta,
        description: m.description.clone(),
        blurhash: m.blurhash.clone(),
    })
}

/// An upload of the owner's, as `MediaAttachment`.
pub fn local_media(m: &crate::store::media::MediaRecord, urls: &crate::urls::Urls) -> MediaEntity {
    let size = |s: &crate::media::ImageSize| serde_json::json!({ "width": s.width, "height": s.height, "size": s.size(), "aspect": s.aspect() });
    MediaEntity {
        id: m.id.to_string(),
        kind: media_kind(&m.content_type).to_string(),
        url: urls.media(&m.file),
        preview_url: Some(urls.media(&m.small_file)),
        remote_url: None,
        preview_remote_url: None,
        text_url: None,
        meta: serde_json::json!({
            "original": size(&m.original),
            "small": size(&m.small),
            "focus": {
                "x": crate::store::media::focus_decimal(m.focus.x),
                "y": crate::store::media::focus_decimal(m.focus.y),
            },
        }),
        description: Some(m.description.clone()).filter(|d| !d.is_empty()),
        blurhash: Some(m.blurhash.clone()).filter(|b| !b.is_empty()),
    }
}

pub fn poll(status_id: u64, p: &Poll) -> PollEntity {
    let expired = p.expires_at_ms.is_some_and(|e| e <= now_ms());
    PollEntity {
        id: status_id.to_string(),
        expires_at: p.expires_at_ms.map(iso8601_ms),
        expired,
        multiple: p.multiple,
        votes_count: p.options.iter().map(|o| o.votes).sum(),
        voters_count: if p.multiple {
            Some(p.voters_count)
        } else {
            None
        },
        options: p
            .options
            .iter()
            .map(|o| PollOptionEntity {
                title: o.title.clone(),
                votes_count: Some(o.votes),
            })
            .collect(),
        emojis: vec![],
        voted: !p.own_votes.is_empty(),
        own_votes: p.own_votes.clone(),
    }
}

/// Builds the entity as the owner sees it (their favourite/boost/bookmark
/// flags). Boosts carry the boosted status in `reblog`. This asks no
/// gate: it is for a status already let through (`filtered_status`,
/// `statuses`, the API's `find`) or one the owner just acted on. (The
/// post it quotes is shown only through the gate: see `quote`.)
pub fn status(state: &AppState, s: &Status) -> Result<StatusEntity> {
    status_with_quote(state, s, &Viewer::Owner, true)
}

/// `status`, with the quoted post as `viewer` may see it: in full when
/// `full_quote`, else by id only (a quote inside a quote, as Mastodon
/// nests them, so a chain or cycle of quotes is never walked).
fn status_with_quote(
    state: &AppState,
    s: &Status,
    viewer: &Viewer,
    full_quote: bool,
) -> Result<StatusEntity> {
    let store = &state.store;
    let author = store
        .account(s.account_id)?
        .ok_or_else(|| StoreError::Decode(format!("status {} has no author", s.id)))?;
    let owner_id = store.owner_account_id()?.unwrap_or(0);
    let reblog = match s.reblog_of_id {
        Some(id) => match store.status(id)? {
            Some(inner) => Some(Box::new(status_with_quote(
                state, &inner, viewer, full_quote,
            )?)),
            None => None,
        },
        None => None,
    };
    // Flags of a boost are those of the boosted status, as Mastodon shows them.
    let target = s.reblog_of_id.unwrap_or(s.id);
    let flag = |rel| store.status_rel(rel, target, owner_id).map(|r| r.is_some());
    let mut media: Vec<MediaEntity> = s
        .media_ids
        .iter()
        .filter_map(|id| crate::http::api::entities::media_entity(state, *id))
        .collect();
    media.extend(
        s.remote_media
            .iter()
            .enumerate()
            .filter_map(|(i, m)| remote_media(s.id, i, m)),
    );
    Ok(StatusEntity {
        id: s.id.to_string(),
        created_at: iso8601_ms(s.created_at_ms),
        in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
        sensitive: s.sensitive,
        spoiler_text: s.spoiler_text.clone(),
        visibility: s.visibility.as_str().to_string(),
        language: s.language.clone(),
        uri: s.uri.clone(),
        url: link_to(&s.url, &s.uri),
        replies_count: s.replies_count,
        reblogs_count: s.reblogs_count,
        favourites_count: s.favourites_count,
        edited_at: s.edited_at_ms.map(iso8601_ms),
        favourited: flag(StatusRel::Favourite)?,
        reblogged: flag(StatusRel::Reblog)?,
        muted: flag(StatusRel::Mute)?,
        bookmarked: flag(StatusRel::Bookmark)?,
        pinned: flag(StatusRel::Pin)?,
        content: if s.reblog_of_id.is_some() {
            String::new()
        } else {
            s.content.clone()
        },
        filtered: vec![],
        reblog,
        application: s.application.as_ref().map(|name| ApplicationRef {
            name: name.clone(),
            website: None,
        }),
        account: account(&author, &state.urls),
        media_attachments: media,
        mentions: s
            .mentions
            .iter()
            .map(|m| MentionEntity {
                id: m.account_id.to_string(),
                username: m.username.clone(),
                url: link_to(&m.url, &m.uri).unwrap_or_default(),
                acct: m.acct.clone(),
            })
            .collect(),
        tags: s
            .tags
            .iter()
            .map(|t| TagEntity {
                name: t.clone(),
                url: state.urls.tag(t),
            })
            .collect(),
        emojis: super::custom_emoji::emojis(&s.emojis),
        card: super::custom_emoji::status_card(state, s),
        poll: s.poll.as_ref().map(|p| poll(s.id, p)),
        quote: quote(state, s, viewer, full_quote)?,
        quotes_count: s.quotes_count,
        quote_approval: super::quote::approval(state, s, &author, owner_id)?,
        text: None,
    })
}

/// Mastodon 4.5's `Quote` (in full) or `ShallowQuote` (by id).
#[derive(Serialize, Debug, Clone)]
#[serde(untagged)]
pub enum QuoteEntity {
    Full {
        state: &'static str,
        quoted_status: Option<Box<StatusEntity>>,
    },
    Shallow {
        state: &'static str,
        quoted_status_id: Option<String>,
    },
}

pub use super::quote::QuoteApprovalEntity;

/// The quote of `s` as `viewer` may see it: the quoted post only when
/// the quote is accepted and the visibility gate lets `viewer` see it.
fn quote(state: &AppState, s: &Status, viewer: &Viewer, full: bool) -> Result<Option<QuoteEntity>> {
    let Some(q) = &s.quote else {
        return Ok(None);
    };
    let quoted = match q.status_id {
        Some(id) => state.store.status(id)?,
        None => None,
    };
    let (label, shown) = super::quote::state_for(state, q, quoted.as_ref(), viewer)?;
    Ok(Some(if full {
        QuoteEntity::Full {
            state: label,
            quoted_status: match shown {
                Some(inner) => Some(Box::new(status_with_quote(state, &inner, viewer, false)?)),
                None => None,
            },
        }
    } else {
        QuoteEntity::Shallow {
            state: label,
            quoted_status_id: shown.map(|inner| inner.id.to_string()),
        }
    }))
}

/// The entity for `viewer`, as the owner's `filters` judge it: with the
/// warnings that matched, or `None` when the visibility gate keeps it
/// from `viewer` or a `hide` filter leaves it out. Every list of statuses
/// the API returns is built here or by `statuses`, so none skips the gate.
pub fn filtered_status(
    state: &AppState,
    viewer: &Viewer,
    s: &Status,
    filters: &Filters,
) -> Result<Option<StatusEntity>> {
    if !visibility::may_see(state, viewer, s)? {
        return Ok(None);
    }
    let results = match filters.verdict(state, s)? {
        Verdict::Hidden => return Ok(None),
        Verdict::Shown(r) => r,
    };
    let mut e = status_with_quote(state, s, viewer, true)?;
    if !results.is_empty() {
        let entities: Vec<FilterResultEntity> = results.iter().map(filter_result).collect();
        if let Some(inner) = e.reblog.as_mut() {
            inner.filtered = entities.clone();
        }
        e.filtered = entities;
    }
    Ok(Some(e))
}

/// Entities for a list of ids, skipping any that vanished meanwhile,
/// that `viewer` may not see, or that `filters` hide.
pub fn statuses(
    state: &AppState,
    viewer: &Viewer,
    ids: &[u64],
    filters: &Filters,
) -> Result<Vec<StatusEntity>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.extend(state.store.status(*id)?);
    }
    statuses_read(state, viewer, &found, filters)
}

/// `statuses`, for statuses already read from the store (a timeline reads
/// each once while it fills the page): through the same gate and filters.
pub fn statuses_read(
    state: &AppState,
    viewer: &Viewer,
    found: &[Status],
    filters: &Filters,
) -> Result<Vec<StatusEntity>> {
    let mut out = Vec::with_capacity(found.len());
    for s in found {
        out.extend(filtered_status(state, viewer, s, filters)?);
    }
    Ok(out)
}
