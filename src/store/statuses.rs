//! Statuses (posts, replies, boosts) — local and remote — keyed by id.
//!
//! `index` maps `status_uri \0 URI` to the id and keeps `replies \0 parent
//! \0 child` for threads. A status records the timelines it was placed in,
//! so deleting it removes every entry without a scan.

use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    /// Followers only (Mastodon's name).
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }
    /// Anyone may see it (public and unlisted).
    pub fn is_public(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Mention {
    pub account_id: u64,
    pub uri: String,
    pub url: String,
    pub username: String,
    pub acct: String,
}

/// An attachment of a remote status: served from its own server.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RemoteMedia {
    pub url: String,
    pub media_type: String,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A still image standing for a video or audio file (the attachment's
    /// `icon` or `preview`), through the link gate; never the file itself.
    pub preview_url: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PollOption {
    pub title: String,
    pub votes: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Poll {
    pub options: Vec<PollOption>,
    pub multiple: bool,
    pub expires_at_ms: Option<i64>,
    pub voters_count: u64,
    /// Indexes the owner voted for.
    pub own_votes: Vec<usize>,
}

/// An earlier version of an edited status.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Revision {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub media_ids: Vec<u64>,
    pub poll_options: Vec<String>,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Status {
    pub id: u64,
    /// ActivityPub id.
    pub uri: String,
    /// Permalink for people.
    pub url: String,
    pub account_id: u64,
    pub local: bool,
    pub in_reply_to_id: Option<u64>,
    pub in_reply_to_uri: Option<String>,
    pub in_reply_to_account_id: Option<u64>,
    /// Set on boosts: the boosted status.
    pub reblog_of_id: Option<u64>,
    /// Sanitised HTML.
    pub content: String,
    /// What the owner typed, for editing and delete-and-redraft.
    pub source_text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub mentions: Vec<Mention>,
    /// Lower-case tag names.
    pub tags: Vec<String>,
    pub media_ids: Vec<u64>,
    /// Attachments of remote statuses.
    pub remote_media: Vec<RemoteMedia>,
    pub poll: Option<Poll>,
    pub conversation: Option<String>,
    pub created_at_ms: i64,
    pub edited_at_ms: Option<i64>,
    /// Earlier versions, oldest first.
    pub revisions: Vec<Revision>,
    pub replies_count: u64,
    pub reblogs_count: u64,
    pub favourites_count: u64,
    pub application: Option<String>,
    /// Timelines this status was placed in (see `TimelineName`).
    pub placed: Vec<String>,
    /// Custom emoji its text and content warning may name.
    pub emojis: Vec<super::emojis::CustomEmoji>,
    /// The link whose preview card (`store::cards`) this status shows.
    pub card_url: Option<String>,
    /// The post this one quotes.
    pub quote: Option<super::quotes::QuoteLink>,
    /// Accepted quotes of this post.
    pub quotes_count: u64,
    /// Who may quote it without asking: the owner's choice on their
    /// posts (`None` on older ones: public), what its server declares on
    /// remote posts (`None`: nothing declared).
    pub quote_policy: Option<super::quotes::QuotePolicy>,
}

impl Store {
    pub fn status(&self, id: u64) -> Result<Option<Status>> {
        match self.statuses.get(id.to_be_bytes())? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn status_by_uri(&self, uri: &str) -> Result<Option<Status>> {
        match self.index.get(index_key("status_uri", &[uri.as_bytes()]))? {
            Some(id) => self.status(super::accounts::be_u64(&id)),
            None => Ok(None),
        }
    }

    /// Whether a status with this URI was deleted (so a late copy of it
    /// is not stored again).
    pub fn is_tombstoned(&self, uri: &str) -> Result<bool> {
        Ok(self
            .index
            .contains_key(index_key("tombstone", &[uri.as_bytes()]))?)
    }

    /// Ids of the direct replies to a status, oldest first.
    pub fn replies(&self, parent: u64) -> Result<Vec<u64>> {
        let prefix = index_key("replies", &[&parent.to_be_bytes()]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let (k, _) = kv?;
            out.push(super::accounts::be_u64(&k[k.len() - 8..]));
        }
        Ok(out)
    }

    /// Up to `limit` ids of direct replies to `parent` above `after`,
    /// oldest first: one page's worth, read without loading the rest.
    pub fn replies_after(&self, parent: u64, after: Option<u64>, limit: usize) -> Result<Vec<u64>> {
        let prefix = index_key("replies", &[&parent.to_be_bytes()]);
        let start = match after.and_then(|a| a.checked_add(1)) {
            Some(from) => index_key("replies", &[&parent.to_be_bytes(), &from.to_be_bytes()]),
            None if after.is_some() => return Ok(Vec::new()),
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for kv in self.index.range(start..).take(limit) {
            let (k, _) = kv?;
            if !k.starts_with(&prefix) {
                break;
            }
            out.push(super::accounts::be_u64(&k[k.len() - 8..]));
        }
        Ok(out)
    }
}

/// Status writes inside a transaction.
impl Tx<'_> {
    pub fn status(&self, id: u64) -> Result2<Option<Status>> {
        self.get_rec(T::Statuses, &id.to_be_bytes())
    }

    /// Stores a new status with its indexes and timeline entries, and
    /// counts it on its parent and author.
    pub fn insert_status(&self, s: &Status) -> Result2<()> {
        let id = s.id.to_be_bytes();
        self.put_rec(T::Statuses, &id, s)?;
        self.put(T::Index, &index_key("status_uri", &[s.uri.as_bytes()]), &id)?;
        for name in &s.placed {
            self.put(T::Timelines, &timeline_key(name, s.id), &id)?;
        }
        if let Some(parent) = s.in_reply_to_id {
            self.put(
                T::Index,
                &index_key("replies", &[&parent.to_be_bytes(), &id]),
                &[],
            )?;
            if let Some(mut p) = self.status(parent)? {
                p.replies_count += 1;
                self.put_rec(T::Statuses, &parent.to_be_bytes(), &p)?;
            }
        }
        if let Some(mut a) =
            self.get_rec::<super::accounts::Account>(T::Accounts, &s.account_id.to_be_bytes())?
        {
            a.statuses_count += 1;
            a.last_status_at_ms = Some(a.last_status_at_ms.unwrap_or(0).max(s.created_at_ms));
            self.put_rec(T::Accounts, &s.account_id.to_be_bytes(), &a)?;
        }
        if is_direct(s) {
            self.file_in_conversation(s)?;
        }
        self.refile_poll_end(None, Some(s))?;
        self.file_card_job(None, s)?;
        self.file_quote(s)?;
        Ok(())
    }

    /// Adds an existing status to one more timeline.
    pub fn place_status(&self, s: &mut Status, name: &str) -> Result2<()> {
        if !s.placed.iter().any(|p| p == name) {
            s.placed.push(name.to_string());
            self.put(T::Timelines, &timeline_key(name, s.id), &s.id.to_be_bytes())?;
            self.put_rec(T::Statuses, &s.id.to_be_bytes(), s)?;
        }
        Ok(())
    }

    pub fn update_status(&self, s: &Status) -> Result2<()> {
        let old = self.status(s.id)?;
        // The card is the card worker's to change (`store::cards`): a
        // copy read before a card arrived must not take it away.
        let kept;
        let s = match &old {
            Some(o) if o.card_url != s.card_url => {
                kept = Status {
                    card_url: o.card_url.clone(),
                    ..s.clone()
                };
                &kept
            }
            _ => s,
        };
        self.refile_poll_end(old.as_ref(), Some(s))?;
        self.file_card_job(old.as_ref(), s)?;
        if let Some(old) = old.as_ref().filter(|o| o.quote != s.quote) {
            self.unfile_quote(old)?;
            self.file_quote(s)?;
        }
        self.put_rec(T::Statuses, &s.id.to_be_bytes(), s)
    }

    /// Removes a status, its timeline entries and indexes, leaving a
    /// tombstone for its URI.
    pub fn delete_status(&self, s: &Status) -> Result2<()> {
        let id = s.id.to_be_bytes();
        // The stored copy holds the filed end time, whatever the caller read.
        let stored = self.status(s.id)?;
        self.refile_poll_end(Some(stored.as_ref().unwrap_or(s)), None)?;
        self.release_card(stored.as_ref().unwrap_or(s).card_url.as_deref())?;
        self.unfile_quote(stored.as_ref().unwrap_or(s))?;
        self.remove(T::Statuses, &id)?;
        self.remove(T::Index, &index_key("status_uri", &[s.uri.as_bytes()]))?;
        self.put(T::Index, &index_key("tombstone", &[s.uri.as_bytes()]), &[])?;
        for name in &s.placed {
            self.remove(T::Timelines, &timeline_key(name, s.id))?;
        }
        if let Some(parent) = s.in_reply_to_id {
            self.remove(
                T::Index,
                &index_key("replies", &[&parent.to_be_bytes(), &id]),
            )?;
            if let Some(mut p) = self.status(parent)? {
                p.replies_count = p.replies_count.saturating_sub(1);
                self.put_rec(T::Statuses, &parent.to_be_bytes(), &p)?;
            }
        }
        if let Some(mut a) =
            self.get_rec::<super::accounts::Account>(T::Accounts, &s.account_id.to_be_bytes())?
        {
            a.statuses_count = a.statuses_count.saturating_sub(1);
            self.put_rec(T::Accounts, &s.account_id.to_be_bytes(), &a)?;
        }
        if is_direct(s) {
            self.unfile_from_conversation(s)?;
        }
        Ok(())
    }
}

/// Whether a status belongs in the owner's conversations: the same test
/// the `direct` timeline and stream use, so the three always agree.
fn is_direct(s: &Status) -> bool {
    s.placed.contains(&super::timelines::direct())
}

type Result2<R> =
    std::result::Result<R, sled::transaction::ConflictableTransactionError<super::StoreError>>;

/// `name \0 id` in the `timelines` tree.
pub fn timeline_key(name: &str, id: u64) -> Vec<u8> {
    index_key(name, &[&id.to_be_bytes()])
}
