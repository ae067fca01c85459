//! Quote posts: the link a status keeps to the post it quotes, the
//! owner's policy for quoting their posts, and the approval stamps the
//! owner grants.
//!
//! `index` keys:
//! - `quotes \0 quoted id \0 quoting id`: the accepted quotes of a status
//!   (for `quotes_count` and the list of quotes), filed and unfiled with
//!   the quoting status in its own transaction;
//! - `quote_approval \0 stamp URI`: the status whose quote that stamp
//!   approves, so a revocation (a Delete of the stamp) finds it;
//! - `quote_request \0 activity id`: the owner's status a `QuoteRequest`
//!   asked approval for, so the answer finds it;
//! - `quote_stamp \0 stamp id`: a stamp the owner granted (`Stamp`).

use super::statuses::Status;
use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

/// Mastodon 4.5's states of a quote.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QuoteState {
    /// Not (yet) approved: asked for, or never shown approved.
    #[default]
    Pending,
    Accepted,
    Rejected,
    Revoked,
}

impl QuoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Pending => "pending",
            QuoteState::Accepted => "accepted",
            QuoteState::Rejected => "rejected",
            QuoteState::Revoked => "revoked",
        }
    }
}

/// Who may quote a post without asking (Mastodon's
/// `quote_approval_policy`). Requests from anyone else are refused:
/// a one-person server has nobody to review them by hand.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QuotePolicy {
    #[default]
    Public,
    Followers,
    Nobody,
}

impl QuotePolicy {
    pub fn parse(s: &str) -> Option<QuotePolicy> {
        Some(match s {
            "public" => QuotePolicy::Public,
            "followers" => QuotePolicy::Followers,
            "nobody" => QuotePolicy::Nobody,
            _ => return None,
        })
    }
}

/// The post a status quotes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct QuoteLink {
    /// The quoted post's ActivityPub id.
    pub uri: String,
    /// The quoted post here, once stored.
    pub status_id: Option<u64>,
    pub state: QuoteState,
    /// The stamp (`QuoteAuthorization`) that approves it, on the quoted
    /// post's origin.
    pub approval_uri: Option<String>,
    /// The `QuoteRequest` the owner sent for it (the owner's quotes of
    /// remote posts), which the answer must name.
    pub request_uri: Option<String>,
}

/// A stamp the owner granted: `quoting` may quote the owner's `quoted`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Stamp {
    pub id: u64,
    /// The quoting post's ActivityPub id.
    pub quoting_uri: String,
    /// Its author.
    pub quoting_author_uri: String,
    /// The owner's quoted status.
    pub quoted_id: u64,
    pub created_at_ms: i64,
}

fn quotes_key(quoted: u64, quoting: u64) -> Vec<u8> {
    index_key("quotes", &[&quoted.to_be_bytes(), &quoting.to_be_bytes()])
}

fn approval_key(uri: &str) -> Vec<u8> {
    index_key("quote_approval", &[uri.as_bytes()])
}

fn request_key(uri: &str) -> Vec<u8> {
    index_key("quote_request", &[uri.as_bytes()])
}

fn stamp_key(id: u64) -> Vec<u8> {
    index_key("quote_stamp", &[&id.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    /// Ids of the accepted quotes of a status, newest first, at most `limit`.
    pub fn quotes_of(&self, quoted: u64, limit: usize) -> Result<Vec<u64>> {
        let prefix = index_key("quotes", &[&quoted.to_be_bytes()]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix).rev().take(limit) {
            let (k, _) = kv?;
            if let Some(tail) = k.len().checked_sub(8).and_then(|at| k.get(at..)) {
                out.push(super::accounts::be_u64(tail));
            }
        }
        Ok(out)
    }

    /// The status whose quote the stamp `uri` approves.
    pub fn status_by_approval(&self, uri: &str) -> Result<Option<Status>> {
        match self.get_index(&approval_key(uri))? {
            Some(id) => self.status(id),
            None => Ok(None),
        }
    }

    /// The owner's status a `QuoteRequest` with this id asked about.
    pub fn status_by_quote_request(&self, uri: &str) -> Result<Option<Status>> {
        match self.get_index(&request_key(uri))? {
            Some(id) => self.status(id),
            None => Ok(None),
        }
    }

    /// A stamp the owner granted and has not revoked.
    pub fn stamp(&self, id: u64) -> Result<Option<Stamp>> {
        match self.index.get(stamp_key(id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }
}

impl Tx<'_> {
    pub fn put_stamp(&self, s: &Stamp) -> R<()> {
        self.put_rec(T::Index, &stamp_key(s.id), s)
    }

    pub fn remove_stamp(&self, id: u64) -> R<()> {
        self.remove(T::Index, &stamp_key(id)).map(|_| ())
    }

    /// Files a status's quote: an accepted quote counts on the quoted
    /// status, and its stamp leads back to it.
    pub(crate) fn file_quote(&self, s: &Status) -> R<()> {
        let Some(q) = &s.quote else {
            return Ok(());
        };
        if let Some(uri) = &q.approval_uri {
            self.put(T::Index, &approval_key(uri), &s.id.to_be_bytes())?;
        }
        if let Some(uri) = &q.request_uri {
            self.put(T::Index, &request_key(uri), &s.id.to_be_bytes())?;
        }
        if let (QuoteState::Accepted, Some(quoted)) = (q.state, q.status_id) {
            if quoted != s.id && self.get(T::Index, &quotes_key(quoted, s.id))?.is_none() {
                self.put(T::Index, &quotes_key(quoted, s.id), &[])?;
                if let Some(mut target) =
                    self.get_rec::<Status>(T::Statuses, &quoted.to_be_bytes())?
                {
                    target.quotes_count += 1;
                    self.put_rec(T::Statuses, &quoted.to_be_bytes(), &target)?;
                }
            }
        }
        Ok(())
    }

    /// Undoes `file_quote` for the stored version of a status.
    pub(crate) fn unfile_quote(&self, s: &Status) -> R<()> {
        let Some(q) = &s.quote else {
            return Ok(());
        };
        if let Some(uri) = &q.approval_uri {
            self.remove(T::Index, &approval_key(uri))?;
        }
        if let Some(uri) = &q.request_uri {
            self.remove(T::Index, &request_key(uri))?;
        }
        if let Some(quoted) = q.status_id {
            if self.remove(T::Index, &quotes_key(quoted, s.id))?.is_some() {
                if let Some(mut target) =
                    self.get_rec::<Status>(T::Statuses, &quoted.to_be_bytes())?
                {
                    target.quotes_count = target.quotes_count.saturating_sub(1);
                    self.put_rec(T::Statuses, &quoted.to_be_bytes(), &target)?;
                }
            }
        }
        Ok(())
    }
}
