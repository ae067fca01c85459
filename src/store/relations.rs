//! Relations between the owner and other accounts (follows, requests,
//! blocks, mutes) and between accounts and statuses (favourites, boosts,
//! bookmarks, pins), all in the `relations` tree under `kind \0 ids`.

use super::{accounts::be_u64, index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

/// Kinds of owner ↔ account relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    /// The owner follows them (accepted).
    Following,
    /// The owner asked to follow them; not yet accepted.
    Requested,
    /// They follow the owner.
    FollowedBy,
    /// They asked to follow the (locked) owner.
    RequestedBy,
    Blocking,
    BlockedBy,
    Muting,
}

impl Rel {
    pub fn prefix(self) -> &'static str {
        match self {
            Rel::Following => "following",
            Rel::Requested => "requested",
            Rel::FollowedBy => "followed_by",
            Rel::RequestedBy => "requested_by",
            Rel::Blocking => "blocking",
            Rel::BlockedBy => "blocked_by",
            Rel::Muting => "muting",
        }
    }
}

/// What is known about one relation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Relation {
    /// Orders lists (followers, blocks…) by when the relation began.
    pub id: u64,
    /// The activity that made it (Follow, Block), to answer or undo it.
    pub activity_uri: String,
    pub created_at_ms: i64,
    /// Follows: show their boosts / notify on their posts.
    pub reblogs: bool,
    pub notify: bool,
    /// Mutes: also hide notifications; expiry.
    pub hide_notifications: bool,
    pub expires_at_ms: Option<i64>,
}

/// Per-status relations: who favourited or boosted which status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusRel {
    Favourite,
    Reblog,
    Bookmark,
    Pin,
    Mute,
}

impl StatusRel {
    fn prefix(self) -> &'static str {
        match self {
            StatusRel::Favourite => "fav",
            StatusRel::Reblog => "reblog",
            StatusRel::Bookmark => "bookmark",
            StatusRel::Pin => "pin",
            StatusRel::Mute => "status_mute",
        }
    }
    /// The owner's own list of these, ordered by when (e.g. `/favourites`).
    fn owner_list(self) -> String {
        format!("my_{}", self.prefix())
    }
}

fn rel_key(rel: Rel, account: u64) -> Vec<u8> {
    index_key(rel.prefix(), &[&account.to_be_bytes()])
}
/// Ordered view: `kind_by_time \0 relation-id → account id`.
fn rel_order_key(rel: Rel, rel_id: u64) -> Vec<u8> {
    index_key(
        &format!("{}_by_time", rel.prefix()),
        &[&rel_id.to_be_bytes()],
    )
}
fn status_rel_key(rel: StatusRel, status: u64, account: u64) -> Vec<u8> {
    index_key(
        rel.prefix(),
        &[&status.to_be_bytes(), &account.to_be_bytes()],
    )
}

impl Store {
    pub fn relation(&self, rel: Rel, account: u64) -> Result<Option<Relation>> {
        match self.relations.get(rel_key(rel, account))? {
            Some(v) => Ok(Some(super::codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn has_relation(&self, rel: Rel, account: u64) -> Result<bool> {
        Ok(self.relations.contains_key(rel_key(rel, account))?)
    }

    /// Account ids in a relation, newest first, paged by relation id.
    pub fn relation_page(&self, rel: Rel, page: timelines::Page) -> Result<Vec<(u64, u64)>> {
        let name = format!("{}_by_time", rel.prefix());
        let ids = timelines::scan_page(&self.relations, &name, page, |_| true)?;
        let mut out = Vec::with_capacity(ids.len());
        for rid in ids {
            if let Some(acct) = self.relations.get(rel_order_key(rel, rid))? {
                out.push((rid, be_u64(&acct)));
            }
        }
        Ok(out)
    }

    /// All account ids in a relation (for delivery fan-out).
    pub fn relation_accounts(&self, rel: Rel) -> Result<Vec<u64>> {
        let mut prefix = index_key(rel.prefix(), &[]);
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.relations.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if k.len() == prefix.len() + 8 {
                out.push(be_u64(&k[prefix.len()..]));
            }
        }
        Ok(out)
    }

    pub fn status_rel(
        &self,
        rel: StatusRel,
        status: u64,
        account: u64,
    ) -> Result<Option<Relation>> {
        match self.relations.get(status_rel_key(rel, status, account))? {
            Some(v) => Ok(Some(super::codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Accounts with this relation to a status (favourited_by…), in order of id.
    pub fn status_rel_accounts(&self, rel: StatusRel, status: u64) -> Result<Vec<u64>> {
        ids_under(
            &self.relations,
            &index_key(rel.prefix(), &[&status.to_be_bytes()]),
        )
    }

    /// The owner's favourites, bookmarks, pins…: (entry id, status id), newest first.
    pub fn owner_status_list(
        &self,
        rel: StatusRel,
        page: timelines::Page,
    ) -> Result<Vec<(u64, u64)>> {
        let name = rel.owner_list();
        let ids = timelines::scan_page(&self.relations, &name, page, |_| true)?;
        let mut out = Vec::with_capacity(ids.len());
        for eid in ids {
            if let Some(s) = self
                .relations
                .get(index_key(&name, &[&eid.to_be_bytes()]))?
            {
                out.push((eid, be_u64(&s)));
            }
        }
        Ok(out)
    }
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

/// Account field a relation counts into, if any.
fn counter(rel: Rel) -> Option<fn(&mut super::accounts::Account) -> &mut u64> {
    match rel {
        Rel::Following => Some(|a| &mut a.following_count),
        Rel::FollowedBy => Some(|a| &mut a.followers_count),
        _ => None,
    }
}

/// The ids that end the keys `key \0 id` of `tree`, in order: the
/// members of one set kept as an index (accounts that favourited a
/// status, lists an account is in).
pub(super) fn ids_under(tree: &sled::Tree, key: &[u8]) -> Result<Vec<u64>> {
    let mut prefix = key.to_vec();
    prefix.push(0);
    let mut out = Vec::new();
    for kv in tree.scan_prefix(&prefix) {
        let (k, _) = kv?;
        if k.len() == prefix.len() + 8 {
            out.push(be_u64(&k[k.len() - 8..]));
        }
    }
    Ok(out)
}

impl Tx<'_> {
    /// Creates or replaces a relation; keeps the owner's follower and
    /// following counts in step. Returns whether it is new.
    pub fn set_relation(&self, owner_id: u64, rel: Rel, account: u64, r: &Relation) -> R<bool> {
        let key = rel_key(rel, account);
        let old: Option<Relation> = self.get_rec(T::Relations, &key)?;
        if let Some(old) = &old {
            self.remove(T::Relations, &rel_order_key(rel, old.id))?;
        }
        self.put_rec(T::Relations, &key, r)?;
        self.put(
            T::Relations,
            &rel_order_key(rel, r.id),
            &account.to_be_bytes(),
        )?;
        if old.is_none() {
            self.bump(owner_id, rel, 1)?;
        }
        Ok(old.is_none())
    }

    /// Removes a relation; returns what it was.
    pub fn remove_relation(&self, owner_id: u64, rel: Rel, account: u64) -> R<Option<Relation>> {
        let old: Option<Relation> = self.get_rec(T::Relations, &rel_key(rel, account))?;
        if let Some(o) = &old {
            self.remove(T::Relations, &rel_key(rel, account))?;
            self.remove(T::Relations, &rel_order_key(rel, o.id))?;
            self.bump(owner_id, rel, -1)?;
        }
        Ok(old)
    }

    /// Ends every follow and follow request between the owner and
    /// `account`, both ways: what a block does, from either side.
    pub fn remove_follows(&self, owner_id: u64, account: u64) -> R<()> {
        for rel in [
            Rel::Following,
            Rel::Requested,
            Rel::FollowedBy,
            Rel::RequestedBy,
        ] {
            self.remove_relation(owner_id, rel, account)?;
        }
        Ok(())
    }

    pub fn relation(&self, rel: Rel, account: u64) -> R<Option<Relation>> {
        self.get_rec(T::Relations, &rel_key(rel, account))
    }

    fn bump(&self, owner_id: u64, rel: Rel, by: i64) -> R<()> {
        if let Some(field) = counter(rel) {
            let key = owner_id.to_be_bytes();
            if let Some(mut a) = self.get_rec::<super::accounts::Account>(T::Accounts, &key)? {
                let c = field(&mut a);
                *c = if by < 0 { c.saturating_sub(1) } else { *c + 1 };
                self.put_rec(T::Accounts, &key, &a)?;
            }
        }
        Ok(())
    }

    /// Records that `account` favourited/boosted/… `status`; the owner's
    /// own ones also go in their ordered list. Returns whether it is new.
    pub fn set_status_rel(
        &self,
        rel: StatusRel,
        status: u64,
        account: u64,
        owner_id: u64,
        r: &Relation,
    ) -> R<bool> {
        let key = status_rel_key(rel, status, account);
        if self.get(T::Relations, &key)?.is_some() {
            return Ok(false);
        }
        self.put_rec(T::Relations, &key, r)?;
        if account == owner_id {
            self.put(
                T::Relations,
                &index_key(&rel.owner_list(), &[&r.id.to_be_bytes()]),
                &status.to_be_bytes(),
            )?;
        }
        Ok(true)
    }

    pub fn remove_status_rel(
        &self,
        rel: StatusRel,
        status: u64,
        account: u64,
        owner_id: u64,
    ) -> R<Option<Relation>> {
        let key = status_rel_key(rel, status, account);
        let old: Option<Relation> = self.get_rec(T::Relations, &key)?;
        if let Some(o) = &old {
            self.remove(T::Relations, &key)?;
            if account == owner_id {
                self.remove(
                    T::Relations,
                    &index_key(&rel.owner_list(), &[&o.id.to_be_bytes()]),
                )?;
            }
        }
        Ok(old)
    }
}
