//! The owner's conversations: direct statuses grouped by thread, as
//! Mastodon's `/api/v1/conversations` and the `direct` stream show them.
//!
//! - `index`: `conversation \0 ROOT` → `Conversation`;
//!   `conversation_of \0 STATUS` → root id (which conversation a direct
//!   status was filed under, so replies and deletions find it without
//!   walking the thread again)
//! - `timelines`: `conversations \0 LAST_STATUS` → root id, newest
//!   activity last, paged like a timeline (Mastodon pages conversations
//!   by their last status id too)
//!
//! Filing happens inside `Tx::insert_status` and `Tx::delete_status` for
//! every status placed in the `direct` timeline, so local posts, received
//! DMs and every kind of deletion keep the index in the same transaction
//! as the status itself, and no caller can forget it.

use super::{accounts::be_u64, index_key, meta, timelines, Result, Store, Tx, T};
use crate::store::statuses::Status;
use serde::{Deserialize, Serialize};

/// Replies followed at most to find where a thread began. Threads deeper
/// than this are rare; the bound keeps one status's work small.
pub const MAX_THREAD_WALK: usize = 64;

/// Direct statuses remembered per conversation, newest kept. The list is
/// only there so that deleting the last status can fall back to the one
/// before; a thread longer than this loses its oldest entries, which only
/// matters if nearly all newer ones are deleted too. It also bounds the
/// record, rewritten on every message.
pub const MAX_CONVERSATION_STATUSES: usize = 256;

/// Name of the ordered range in the `timelines` tree.
const ORDER: &str = "conversations";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Conversation {
    /// The first status of the thread known here: the conversation's id
    /// for clients, stable as the thread grows (and across a removal by
    /// the owner, so a conversation that comes back keeps its id).
    pub root: u64,
    /// Newest direct status in the thread (the largest id: ids follow
    /// arrival time, which is what "last activity" means to the owner).
    pub last_status_id: u64,
    /// Mastodon's rule: the latest status decides: unread when someone
    /// else wrote it, read when the owner did.
    pub unread: bool,
    /// Everyone who wrote or was addressed in the thread except the owner,
    /// in order of appearance.
    pub participants: Vec<u64>,
    /// Direct statuses of the thread, ascending, at most
    /// `MAX_CONVERSATION_STATUSES`.
    pub status_ids: Vec<u64>,
}

fn record_key(root: u64) -> Vec<u8> {
    index_key("conversation", &[&root.to_be_bytes()])
}
fn member_key(status: u64) -> Vec<u8> {
    index_key("conversation_of", &[&status.to_be_bytes()])
}
fn order_key(last: u64) -> Vec<u8> {
    index_key(ORDER, &[&last.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    /// A conversation by its id (its root status id).
    pub fn conversation(&self, root: u64) -> Result<Option<Conversation>> {
        match self.index.get(record_key(root))? {
            Some(v) => Ok(Some(super::codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The conversation a direct status was filed under, if the owner
    /// still has it.
    pub fn conversation_of(&self, status: u64) -> Result<Option<Conversation>> {
        match self.index.get(member_key(status))? {
            Some(root) => self.conversation(be_u64(&root)),
            None => Ok(None),
        }
    }

    /// One page of conversations, most recently active first; the page's
    /// cursors are last-status ids, as in Mastodon. `keep` sees each
    /// last-status id while the page is filled, so conversations it drops
    /// (hidden authors) don't leave pages short.
    pub fn conversations_page(
        &self,
        page: timelines::Page,
        keep: impl FnMut(u64) -> bool,
    ) -> Result<Vec<Conversation>> {
        let lasts = timelines::scan_page(&self.timelines, ORDER, page, keep)?;
        let mut out = Vec::with_capacity(lasts.len());
        for last in lasts {
            if let Some(root) = self.timelines.get(order_key(last))? {
                if let Some(c) = self.conversation(be_u64(&root))? {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Files every status of the `direct` timeline that is in no
    /// conversation yet (the schema step for DMs stored before
    /// conversations existed), through the same code `insert_status`
    /// uses. Oldest first, so a reply finds the conversation its parent
    /// was just filed under. A status already filed is left alone, so a
    /// conversation the owner removed or read stays so, and a second run
    /// changes nothing. One transaction per status keeps each small.
    /// Returns how many were filed.
    pub(super) fn file_unfiled_direct(&self) -> Result<usize> {
        let prefix = index_key(&timelines::direct(), &[b""]);
        let mut filed = 0;
        for kv in self.timelines.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let id = be_u64(&k[k.len() - 8..]);
            let done = self.transact(|tx| {
                if tx.get(T::Index, &member_key(id))?.is_some() {
                    return Ok(false);
                }
                let Some(s) = tx.status(id)? else {
                    return Ok(false);
                };
                tx.file_in_conversation(&s)?;
                Ok(true)
            })?;
            filed += usize::from(done);
        }
        Ok(filed)
    }
}

impl Tx<'_> {
    fn conversation(&self, root: u64) -> R<Option<Conversation>> {
        self.get_rec(T::Index, &record_key(root))
    }

    /// Stores `c` and moves its place in the order from `old_last`.
    fn put_conversation(&self, c: &Conversation, old_last: Option<u64>) -> R<()> {
        if let Some(old) = old_last.filter(|o| *o != c.last_status_id) {
            self.remove(T::Timelines, &order_key(old))?;
        }
        self.put(
            T::Timelines,
            &order_key(c.last_status_id),
            &c.root.to_be_bytes(),
        )?;
        self.put_rec(T::Index, &record_key(c.root), c)
    }

    /// Where the thread of `s` began: the conversation its parent was
    /// filed under, else the oldest ancestor stored here.
    fn thread_root(&self, s: &Status) -> R<u64> {
        let mut root = s.id;
        let mut parent = s.in_reply_to_id;
        for _ in 0..MAX_THREAD_WALK {
            let Some(pid) = parent else { break };
            if let Some(r) = self.get(T::Index, &member_key(pid))? {
                return Ok(be_u64(&r));
            }
            let Some(p) = self.status(pid)? else { break };
            root = p.id;
            parent = p.in_reply_to_id;
        }
        Ok(root)
    }

    /// Files a direct status in its thread's conversation, creating the
    /// conversation (again, after a removal) when needed.
    pub(super) fn file_in_conversation(&self, s: &Status) -> R<()> {
        let owner: Option<meta::Owner> = self.get_rec(T::Meta, meta::KEY_OWNER)?;
        let owner_id = owner.map(|o| o.account_id).unwrap_or(0);
        let root = self.thread_root(s)?;
        self.put(T::Index, &member_key(s.id), &root.to_be_bytes())?;
        let existing = self.conversation(root)?;
        let old_last = existing.as_ref().map(|c| c.last_status_id);
        let mut c = existing.unwrap_or(Conversation {
            root,
            ..Default::default()
        });
        if let Err(at) = c.status_ids.binary_search(&s.id) {
            c.status_ids.insert(at, s.id);
        }
        if c.status_ids.len() > MAX_CONVERSATION_STATUSES {
            let excess = c.status_ids.len() - MAX_CONVERSATION_STATUSES;
            c.status_ids.drain(..excess);
        }
        // A late arrival older than the last (a thread completed
        // upwards) changes neither the order nor the unread flag.
        if s.id >= c.last_status_id {
            c.last_status_id = s.id;
            c.unread = s.account_id != owner_id;
        }
        let people = std::iter::once(s.account_id).chain(s.mentions.iter().map(|m| m.account_id));
        for p in people {
            if p != owner_id && !c.participants.contains(&p) {
                c.participants.push(p);
            }
        }
        self.put_conversation(&c, old_last)
    }

    /// Takes a deleted direct status out of its conversation: the
    /// conversation falls back to the previous status, or goes when none
    /// is left.
    pub(super) fn unfile_from_conversation(&self, s: &Status) -> R<()> {
        let Some(root) = self.remove(T::Index, &member_key(s.id))? else {
            return Ok(());
        };
        let Some(mut c) = self.conversation(be_u64(&root))? else {
            return Ok(());
        };
        c.status_ids.retain(|id| *id != s.id);
        let old_last = c.last_status_id;
        match c.status_ids.last() {
            None => {
                self.remove(T::Timelines, &order_key(old_last))?;
                self.remove(T::Index, &record_key(c.root))?;
                Ok(())
            }
            Some(prev) => {
                c.last_status_id = *prev;
                self.put_conversation(&c, Some(old_last))
            }
        }
    }

    /// Marks a conversation read; `None` when the owner has no such
    /// conversation.
    pub fn mark_conversation_read(&self, root: u64) -> R<Option<Conversation>> {
        let Some(mut c) = self.conversation(root)? else {
            return Ok(None);
        };
        if c.unread {
            c.unread = false;
            self.put_rec(T::Index, &record_key(root), &c)?;
        }
        Ok(Some(c))
    }

    /// Removes a conversation from the owner's list. The statuses stay,
    /// and so do their `conversation_of` entries: a new message in the
    /// thread then finds the same root and brings the conversation back
    /// under the same id. Returns whether there was one.
    pub fn remove_conversation(&self, root: u64) -> R<bool> {
        let Some(c) = self.conversation(root)? else {
            return Ok(false);
        };
        self.remove(T::Timelines, &order_key(c.last_status_id))?;
        self.remove(T::Index, &record_key(root))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::Mention;

    const OWNER: u64 = 1;
    const BOB: u64 = 2;

    fn store() -> Store {
        let s = Store::temporary().unwrap();
        let owner = meta::Owner {
            account_id: OWNER,
            username: "alice".into(),
            ..Default::default()
        };
        s.transact(|tx| tx.put_rec(T::Meta, meta::KEY_OWNER, &owner))
            .unwrap();
        s
    }

    fn dm(id: u64, author: u64, parent: Option<u64>) -> Status {
        let other = if author == OWNER { BOB } else { OWNER };
        Status {
            id,
            uri: format!("https://x.example/{id}"),
            account_id: author,
            in_reply_to_id: parent,
            visibility: crate::store::statuses::Visibility::Direct,
            mentions: vec![Mention {
                account_id: other,
                ..Default::default()
            }],
            placed: vec![timelines::direct()],
            ..Default::default()
        }
    }

    fn all(s: &Store) -> Vec<Conversation> {
        let page = timelines::Page {
            limit: 40,
            ..Default::default()
        };
        s.conversations_page(page, |_| true).unwrap()
    }

    #[test]
    fn a_thread_is_one_conversation_that_follows_its_last_status() {
        let s = store();
        let first = dm(10, BOB, None);
        s.transact(|tx| tx.insert_status(&first)).unwrap();
        let c = s.conversation_of(10).unwrap().unwrap();
        assert_eq!((c.root, c.last_status_id, c.unread), (10, 10, true));
        assert_eq!(c.participants, vec![BOB]);

        let reply = dm(11, OWNER, Some(10));
        s.transact(|tx| tx.insert_status(&reply)).unwrap();
        let c = s.conversation(10).unwrap().unwrap();
        assert_eq!((c.last_status_id, c.unread), (11, false));
        assert_eq!(all(&s).len(), 1);

        // Another thread is newer, so it comes first.
        s.transact(|tx| tx.insert_status(&dm(20, BOB, None)))
            .unwrap();
        let roots: Vec<u64> = all(&s).iter().map(|c| c.root).collect();
        assert_eq!(roots, vec![20, 10]);

        // Deleting the last status falls back to the one before; deleting
        // every status drops the conversation.
        s.transact(|tx| tx.delete_status(&reply)).unwrap();
        let c = s.conversation(10).unwrap().unwrap();
        assert_eq!(c.last_status_id, 10);
        s.transact(|tx| tx.delete_status(&first)).unwrap();
        assert!(s.conversation(10).unwrap().is_none());
        let roots: Vec<u64> = all(&s).iter().map(|c| c.root).collect();
        assert_eq!(roots, vec![20]);
    }

    #[test]
    fn a_removed_conversation_comes_back_with_the_same_id() {
        let s = store();
        s.transact(|tx| tx.insert_status(&dm(10, BOB, None)))
            .unwrap();
        assert!(s.transact(|tx| tx.remove_conversation(10)).unwrap());
        assert!(all(&s).is_empty());
        assert!(!s.transact(|tx| tx.remove_conversation(10)).unwrap());
        s.transact(|tx| tx.insert_status(&dm(12, BOB, Some(10))))
            .unwrap();
        let c = s.conversation_of(12).unwrap().unwrap();
        assert_eq!((c.root, c.status_ids.clone()), (10, vec![12]));
        assert_eq!(all(&s).len(), 1);
        let read = s
            .transact(|tx| tx.mark_conversation_read(10))
            .unwrap()
            .unwrap();
        assert!(!read.unread);
        assert!(!s.conversation(10).unwrap().unwrap().unread);
    }

    #[test]
    fn the_schema_step_files_direct_statuses_stored_before_conversations() {
        let s = store();
        // Two threads as an older Burrow stored them: in the direct
        // timeline, with no conversation records at all.
        for st in [
            dm(10, BOB, None),
            dm(11, OWNER, Some(10)),
            dm(20, BOB, None),
        ] {
            s.transact(|tx| tx.insert_status(&st)).unwrap();
        }
        for (tree, prefix) in [
            (&s.index, index_key("conversation", &[b""])),
            (&s.index, index_key("conversation_of", &[b""])),
            (&s.timelines, index_key(ORDER, &[b""])),
        ] {
            for kv in tree.scan_prefix(&prefix) {
                tree.remove(kv.unwrap().0).unwrap();
            }
        }
        s.meta
            .insert(meta::KEY_SCHEMA, super::super::codec::encode(&1u32))
            .unwrap();
        assert!(all(&s).is_empty());
        assert!(s.conversation_of(11).unwrap().is_none());

        meta::migrate(&s).unwrap();
        assert_eq!(s.schema_version().unwrap(), meta::SCHEMA_VERSION);
        let roots: Vec<u64> = all(&s).iter().map(|c| c.root).collect();
        assert_eq!(roots, vec![20, 10]);
        let c = s.conversation_of(11).unwrap().unwrap();
        assert_eq!((c.root, c.last_status_id, c.unread), (10, 11, false));
        assert_eq!(c.status_ids, vec![10, 11]);
        assert_eq!(c.participants, vec![BOB]);
        assert!(s.conversation(20).unwrap().unwrap().unread);

        // Again: through the hook (the version says it's done) and the
        // step itself (everything is filed): nothing changes, and a
        // conversation removed since stays removed.
        assert!(s.transact(|tx| tx.remove_conversation(20)).unwrap());
        let before = all(&s);
        meta::migrate(&s).unwrap();
        assert_eq!(s.file_unfiled_direct().unwrap(), 0);
        assert_eq!(all(&s), before);
        assert_eq!(before.len(), 1);
    }
}
