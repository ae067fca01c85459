//! Multi-tree transactions: an operation changes the store in one atomic
//! step, whatever trees it touches, without knowing sled.

use super::{codec, Result, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

/// The trees, in `super::TREES` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum T {
    Meta = 0,
    Accounts,
    Index,
    Statuses,
    Timelines,
    Notifications,
    Relations,
    Media,
    Oauth,
    QueueDelivery,
    QueueInbox,
    ObjectsCache,
}

/// A transaction in progress. sled may run the closure more than once on
/// conflict, so closures must only read and write through `Tx`.
pub struct Tx<'a> {
    trees: &'a [TransactionalTree],
}

/// What a transaction closure returns.
pub type TxResult<R> = std::result::Result<R, ConflictableTransactionError<StoreError>>;

impl Tx<'_> {
    fn tree(&self, t: T) -> &TransactionalTree {
        &self.trees[t as usize]
    }

    pub fn get(&self, t: T, key: &[u8]) -> TxResult<Option<sled::IVec>> {
        Ok(self.tree(t).get(key)?)
    }

    pub fn get_rec<V: DeserializeOwned>(&self, t: T, key: &[u8]) -> TxResult<Option<V>> {
        match self.tree(t).get(key)? {
            Some(v) => Ok(Some(
                codec::decode(&v).map_err(ConflictableTransactionError::Abort)?,
            )),
            None => Ok(None),
        }
    }

    pub fn put(&self, t: T, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.tree(t).insert(key, value)?;
        Ok(())
    }

    pub fn put_rec<V: Serialize>(&self, t: T, key: &[u8], value: &V) -> TxResult<()> {
        self.tree(t).insert(key, codec::encode(value))?;
        Ok(())
    }

    pub fn remove(&self, t: T, key: &[u8]) -> TxResult<Option<sled::IVec>> {
        Ok(self.tree(t).remove(key)?)
    }

    /// Ends the transaction with an error, undoing everything.
    pub fn abort<R>(&self, e: StoreError) -> TxResult<R> {
        Err(ConflictableTransactionError::Abort(e))
    }
}

impl Store {
    pub(super) fn all_trees(&self) -> [&sled::Tree; 12] {
        [
            &self.meta,
            &self.accounts,
            &self.index,
            &self.statuses,
            &self.timelines,
            &self.notifications,
            &self.relations,
            &self.media,
            &self.oauth,
            &self.queue_delivery,
            &self.queue_inbox,
            &self.objects_cache,
        ]
    }

    /// Runs `f` atomically over every tree.
    pub fn transact<R>(&self, f: impl Fn(&Tx) -> TxResult<R>) -> Result<R> {
        let _writing = self.writing();
        let trees: Vec<sled::Tree> = self.all_trees().iter().map(|t| (*t).clone()).collect();
        let r = trees
            .as_slice()
            .transaction(|views| f(&Tx { trees: views }))?;
        Ok(r)
    }

    /// A raw tree, for the store's own tests.
    #[cfg(test)]
    pub(crate) fn tree(&self, t: T) -> &sled::Tree {
        self.all_trees()[t as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aborted_transactions_leave_nothing() {
        let store = Store::temporary().unwrap();
        let r: Result<()> = store.transact(|tx| {
            tx.put(T::Index, b"a", b"1")?;
            tx.put(T::Statuses, b"b", b"2")?;
            tx.abort(StoreError::Conflict("no".into()))
        });
        assert!(r.is_err());
        assert!(store.tree(T::Index).get(b"a").unwrap().is_none());
        store
            .transact(|tx| {
                tx.put(T::Index, b"a", b"1")?;
                tx.put(T::Statuses, b"b", b"2")
            })
            .unwrap();
        assert!(store.tree(T::Statuses).get(b"b").unwrap().is_some());
    }
}
