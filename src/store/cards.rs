//! Link preview cards and the durable list of statuses waiting for one.
//!
//! A card is kept once per link, `card \0 URL` in `objects_cache`, and
//! counts the statuses that show it (`refs`): attaching and releasing
//! happen in the status's own transaction, so the last status to go
//! takes its card with it and nothing is ever scanned to prune.
//!
//! Statuses waiting for the card worker are `card_job \0 DUE_MS \0
//! STATUS` → attempts (one byte) in `index`, filed by `insert_status`
//! and `update_status` themselves, so no path that stores a status with a
//! link can forget it, and a restart finds every job still waiting.

use super::statuses::Status;
use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

const CARD_PREFIX: &str = "card";
const JOB_PREFIX: &str = "card_job";

/// A page's preview, as Mastodon's `PreviewCard` keeps it. Every address
/// in it passed the link gate when the page was read; the image is an
/// address only, never downloaded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Card {
    /// The link as it appears in statuses (the key).
    pub url: String,
    pub title: String,
    pub description: String,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub image: Option<String>,
    pub image_description: String,
    pub width: u32,
    pub height: u32,
    pub language: Option<String>,
    pub published_at_ms: Option<i64>,
    pub fetched_at_ms: i64,
    /// Statuses showing this card.
    pub refs: u64,
}

/// One status waiting for the card worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardJob {
    pub due_ms: i64,
    pub status_id: u64,
    /// The byte stored with the job: passing failures so far, and what
    /// else the card worker marks in it (`ops::cards`).
    pub attempts: u8,
}

fn card_key(url: &str) -> Vec<u8> {
    index_key(CARD_PREFIX, &[url.as_bytes()])
}

fn job_key(due_ms: i64, status_id: u64) -> Vec<u8> {
    // Times before 1970 (a job filed as "at once") sort first.
    let due = due_ms.max(0) as u64;
    index_key(JOB_PREFIX, &[&due.to_be_bytes(), &status_id.to_be_bytes()])
}

impl CardJob {
    fn from_entry(k: &[u8], v: &[u8]) -> Option<CardJob> {
        let rest = k.strip_prefix(JOB_PREFIX.as_bytes())?;
        // \0 DUE(8) \0 STATUS(8)
        if rest.len() != 18 {
            return None;
        }
        let (due, id) = (rest.get(1..9)?, rest.get(10..18)?);
        Some(CardJob {
            due_ms: u64::from_be_bytes(due.try_into().ok()?) as i64,
            status_id: u64::from_be_bytes(id.try_into().ok()?),
            attempts: v.first().copied().unwrap_or(0),
        })
    }
}

/// Whether the card worker should look at `s`: a post (not a boost) with
/// a link in its text and no attachments, since Mastodon shows a card
/// only where there is no media.
pub fn may_have_card(s: &Status) -> bool {
    s.reblog_of_id.is_none()
        && s.media_ids.is_empty()
        && s.remote_media.is_empty()
        && s.content.contains("<a ")
}

impl Store {
    pub fn card(&self, url: &str) -> Result<Option<Card>> {
        match self.objects_cache.get(card_key(url))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The earliest job, due or not.
    pub fn next_card_job(&self) -> Result<Option<CardJob>> {
        Ok(self.card_jobs(i64::MAX, 1)?.into_iter().next())
    }

    /// Jobs due at or before `now_ms`, earliest first, at most `limit`.
    pub fn card_jobs(&self, now_ms: i64, limit: usize) -> Result<Vec<CardJob>> {
        let prefix = index_key(JOB_PREFIX, &[]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let Some(j) = CardJob::from_entry(&k, &v) else {
                continue;
            };
            if j.due_ms > now_ms || out.len() >= limit {
                break;
            }
            out.push(j);
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Files a job for `new` when it is new, or when an edit changed what
    /// its card depends on (its text or attachments).
    pub(super) fn file_card_job(&self, old: Option<&Status>, new: &Status) -> R<()> {
        let changed = old.map_or(true, |o| {
            o.content != new.content
                || o.media_ids != new.media_ids
                || o.remote_media != new.remote_media
        });
        if changed && (may_have_card(new) || new.card_url.is_some()) {
            self.put(T::Index, &job_key(0, new.id), &[0])?;
        }
        Ok(())
    }

    /// Takes a job away; `false` when it was gone already.
    pub fn take_card_job(&self, j: CardJob) -> R<bool> {
        Ok(self
            .remove(T::Index, &job_key(j.due_ms, j.status_id))?
            .is_some())
    }

    /// Moves a job to a later time.
    pub fn retry_card_job(&self, j: CardJob, due_ms: i64, attempts: u8) -> R<()> {
        if self.take_card_job(j)? {
            self.put(T::Index, &job_key(due_ms, j.status_id), &[attempts])?;
        }
        Ok(())
    }

    /// Shows the card for `url` on status `status_id`: `fresh` is stored
    /// (keeping the count of statuses already showing it) when given,
    /// else the stored card is used. The card the status showed before is
    /// released. `false` when the status or the card is gone.
    pub fn attach_card(&self, status_id: u64, url: &str, fresh: Option<&Card>) -> R<bool> {
        let Some(mut s) = self.get_rec::<Status>(T::Statuses, &status_id.to_be_bytes())? else {
            return Ok(false);
        };
        if s.card_url.as_deref() == Some(url) {
            return Ok(true);
        }
        let stored: Option<Card> = self.get_rec(T::ObjectsCache, &card_key(url))?;
        let mut card = match (stored, fresh) {
            (Some(old), Some(f)) => Card {
                refs: old.refs,
                ..f.clone()
            },
            (Some(old), None) => old,
            (None, Some(f)) => Card {
                refs: 0,
                ..f.clone()
            },
            (None, None) => return Ok(false),
        };
        card.refs += 1;
        self.put_rec(T::ObjectsCache, &card_key(url), &card)?;
        self.release_card(s.card_url.as_deref())?;
        s.card_url = Some(url.to_string());
        self.put_rec(T::Statuses, &status_id.to_be_bytes(), &s)?;
        Ok(true)
    }

    /// The status shows no card any more (an edit removed its link).
    pub fn detach_card(&self, status_id: u64) -> R<bool> {
        let Some(mut s) = self.get_rec::<Status>(T::Statuses, &status_id.to_be_bytes())? else {
            return Ok(false);
        };
        let Some(old) = s.card_url.take() else {
            return Ok(false);
        };
        self.release_card(Some(&old))?;
        self.put_rec(T::Statuses, &status_id.to_be_bytes(), &s)?;
        Ok(true)
    }

    /// One status fewer shows the card for `url`; the last one takes it
    /// away.
    pub(super) fn release_card(&self, url: Option<&str>) -> R<()> {
        let Some(url) = url else {
            return Ok(());
        };
        let key = card_key(url);
        if let Some(mut card) = self.get_rec::<Card>(T::ObjectsCache, &key)? {
            card.refs = card.refs.saturating_sub(1);
            if card.refs == 0 {
                self.remove(T::ObjectsCache, &key)?;
            } else {
                self.put_rec(T::ObjectsCache, &key, &card)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(store: &Store) -> Status {
        Status {
            id: store.next_id(),
            uri: format!("https://remote.example/s/{}", store.next_id()),
            content: r#"<p><a href="https://news.example/a">x</a></p>"#.into(),
            ..Default::default()
        }
    }

    fn card(url: &str) -> Card {
        Card {
            url: url.into(),
            title: "A".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_status_with_a_link_waits_for_its_card() {
        let store = Store::temporary().unwrap();
        let s = linked(&store);
        store.transact(|tx| tx.insert_status(&s)).unwrap();
        let jobs = store.card_jobs(i64::MAX, 10).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].status_id, s.id);
        let plain = Status {
            content: "<p>no link</p>".into(),
            ..linked(&store)
        };
        store.transact(|tx| tx.insert_status(&plain)).unwrap();
        assert_eq!(store.card_jobs(i64::MAX, 10).unwrap().len(), 1);
        store.transact(|tx| tx.take_card_job(jobs[0])).unwrap();
        assert_eq!(store.next_card_job().unwrap(), None);
    }

    #[test]
    fn a_card_is_shared_and_goes_with_its_last_status() {
        let store = Store::temporary().unwrap();
        let (a, b) = (linked(&store), linked(&store));
        let url = "https://news.example/a";
        store
            .transact(|tx| {
                tx.insert_status(&a)?;
                tx.insert_status(&b)
            })
            .unwrap();
        store
            .transact(|tx| tx.attach_card(a.id, url, Some(&card(url))))
            .unwrap();
        assert!(store
            .transact(|tx| tx.attach_card(b.id, url, None))
            .unwrap());
        assert_eq!(store.card(url).unwrap().unwrap().refs, 2);
        let a = store.status(a.id).unwrap().unwrap();
        store.transact(|tx| tx.delete_status(&a)).unwrap();
        assert_eq!(store.card(url).unwrap().unwrap().refs, 1);
        let b = store.status(b.id).unwrap().unwrap();
        store.transact(|tx| tx.delete_status(&b)).unwrap();
        assert_eq!(store.card(url).unwrap(), None);
    }

    #[test]
    fn an_edit_that_keeps_the_text_files_no_job_and_keeps_the_card() {
        let store = Store::temporary().unwrap();
        let s = linked(&store);
        let url = "https://news.example/a";
        store.transact(|tx| tx.insert_status(&s)).unwrap();
        let j = store.next_card_job().unwrap().unwrap();
        store
            .transact(|tx| {
                tx.take_card_job(j)?;
                tx.attach_card(s.id, url, Some(&card(url)))
            })
            .unwrap();
        let mut stale = s.clone();
        stale.favourites_count = 3;
        store.transact(|tx| tx.update_status(&stale)).unwrap();
        assert_eq!(store.next_card_job().unwrap(), None);
        let stored = store.status(s.id).unwrap().unwrap();
        assert_eq!(stored.card_url.as_deref(), Some(url));
        assert_eq!(stored.favourites_count, 3);
    }
}
