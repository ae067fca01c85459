//! What pruning reads and removes. Which statuses go is decided in
//! `ops::prune`; this module gives it the facts in one pass and forgets
//! a status with everything that points at it.

use super::notifications::Notification;
use super::statuses::{timeline_key, Status};
use super::{accounts::be_u64, codec, index_key, Result, Store, Tx, TxResult, T};

/// What pruning needs to know of one stored status.
#[derive(Clone, Debug, Default)]
pub struct StatusFacts {
    pub id: u64,
    pub local: bool,
    pub created_at_ms: i64,
    pub in_reply_to_id: Option<u64>,
    pub reblog_of_id: Option<u64>,
    /// Direct, mentions the owner, or a poll the owner voted in.
    pub personal: bool,
    /// Its record and the index and timeline entries that name it.
    pub bytes: u64,
}

/// The prefixes of the owner's ordered lists of status relations
/// (`relations::StatusRel::owner_list`) and of status mutes.
const OWNER_STATUS_LISTS: &[&str] = &["my_fav", "my_reblog", "my_bookmark", "my_pin"];
/// Status relations keyed `kind \0 status \0 account`.
const STATUS_REL_KINDS: &[&str] = &["fav", "reblog", "bookmark", "pin", "status_mute"];

impl Store {
    /// Every status, summed up (one pass over the tree).
    pub fn status_facts(&self, owner_id: u64) -> Result<Vec<StatusFacts>> {
        let mut out = Vec::new();
        for kv in self.statuses.iter() {
            let (k, v) = kv?;
            let s: Status = codec::decode(&v)?;
            let entries: u64 = s
                .placed
                .iter()
                .map(|name| (name.len() + 1 + 8 + 8) as u64)
                .sum();
            out.push(StatusFacts {
                id: s.id,
                local: s.local,
                created_at_ms: s.created_at_ms,
                in_reply_to_id: s.in_reply_to_id,
                reblog_of_id: s.reblog_of_id,
                personal: s.placed.contains(&super::timelines::direct())
                    || s.mentions.iter().any(|m| m.account_id == owner_id)
                    || s.poll.as_ref().is_some_and(|p| !p.own_votes.is_empty()),
                bytes: (k.len() + v.len() + "status_uri".len() + 1 + s.uri.len() + 8) as u64
                    + entries,
            });
        }
        Ok(out)
    }

    /// Statuses the owner acted on: favourited, boosted, bookmarked,
    /// pinned, muted the thread of.
    pub fn statuses_owner_touched(&self, owner_id: u64) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for list in OWNER_STATUS_LISTS {
            let mut prefix = index_key(list, &[]);
            prefix.push(0);
            for kv in self.relations.scan_prefix(&prefix) {
                let (_, v) = kv?;
                out.push(be_u64(&v));
            }
        }
        let mut prefix = index_key("status_mute", &[]);
        prefix.push(0);
        for kv in self.relations.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if let Some((status, account)) = status_and_account(&k, prefix.len()) {
                if account == owner_id {
                    out.push(status);
                }
            }
        }
        Ok(out)
    }

    /// Statuses the owner's notifications name.
    pub fn statuses_notified(&self) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        let mut prefix = index_key("n", &[]);
        prefix.push(0);
        for kv in self.notifications.scan_prefix(&prefix) {
            let (_, v) = kv?;
            let n: Notification = codec::decode(&v)?;
            out.extend(n.status_id);
            out.extend(n.report_status_ids);
        }
        Ok(out)
    }

    /// Keys of status relations (anyone's favourite, boost…) of `status`.
    pub fn status_rel_keys(&self, status: u64) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for kind in STATUS_REL_KINDS {
            for kv in self
                .relations
                .scan_prefix(index_key(kind, &[&status.to_be_bytes(), &[]]))
            {
                out.push(kv?.0.to_vec());
            }
        }
        Ok(out)
    }
}

/// `status \0 account` after a prefix of `at` bytes.
fn status_and_account(key: &[u8], at: usize) -> Option<(u64, u64)> {
    let rest = key.get(at..)?;
    let status = rest.get(..8)?;
    let account = rest.get(9..17)?;
    Some((be_u64(status), be_u64(account)))
}

impl Tx<'_> {
    /// Forgets a remote status nobody kept: its record, its indexes and
    /// timeline entries, its relation rows (`rel_keys`). Unlike a
    /// deletion it leaves no tombstone (the status still exists at its
    /// origin and may be fetched again) and changes no counts. Keeps it,
    /// and returns false, when the owner acted on it since the plan was
    /// made.
    pub fn forget_status(&self, s: &Status, owner_id: u64, rel_keys: &[Vec<u8>]) -> TxResult<bool> {
        let id = s.id.to_be_bytes();
        let Some(stored) = self.status(s.id)? else {
            return Ok(false);
        };
        for kind in STATUS_REL_KINDS {
            let mine = index_key(kind, &[&id, &owner_id.to_be_bytes()]);
            if self.get(T::Relations, &mine)?.is_some() {
                return Ok(false);
            }
        }
        self.refile_poll_end(Some(&stored), None)?;
        self.remove(T::Statuses, &id)?;
        self.remove(T::Index, &index_key("status_uri", &[s.uri.as_bytes()]))?;
        for name in &stored.placed {
            self.remove(T::Timelines, &timeline_key(name, s.id))?;
        }
        if let Some(parent) = s.in_reply_to_id {
            self.remove(
                T::Index,
                &index_key("replies", &[&parent.to_be_bytes(), &id]),
            )?;
        }
        if stored.placed.contains(&super::timelines::direct()) {
            self.unfile_from_conversation(&stored)?;
        }
        for k in rel_keys {
            self.remove(T::Relations, k)?;
        }
        Ok(true)
    }
}
