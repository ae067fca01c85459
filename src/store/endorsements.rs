//! Accounts the owner endorses ("feature on profile"):
//! `endorse \0 ACCOUNT` → the endorsement's own id, in `index`. The id is
//! a snowflake, so lists page in the order endorsements were made.

use super::accounts::be_u64;
use super::{index_key, Result, Store, Tx, T};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

const PREFIX: &str = "endorse";

fn key(account_id: u64) -> Vec<u8> {
    index_key(PREFIX, &[&account_id.to_be_bytes()])
}

impl Store {
    /// The id of the owner's endorsement of `account_id`, if any.
    pub fn endorsement(&self, account_id: u64) -> Result<Option<u64>> {
        self.get_index(&key(account_id))
    }

    /// Every endorsement as (its id, the account), in no useful order.
    /// The owner endorses few accounts (Mastodon caps them too).
    pub fn endorsements(&self) -> Result<Vec<(u64, u64)>> {
        let prefix = index_key(PREFIX, &[&[]]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let Some(account) = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
            else {
                continue;
            };
            out.push((be_u64(&v), u64::from_be_bytes(account)));
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Endorses an account with the endorsement id `id`; `false` if it
    /// was endorsed already (its first id stands).
    pub fn endorse(&self, account_id: u64, id: u64) -> R<bool> {
        if self.get(T::Index, &key(account_id))?.is_some() {
            return Ok(false);
        }
        self.put(T::Index, &key(account_id), &id.to_be_bytes())?;
        Ok(true)
    }

    pub fn unendorse(&self, account_id: u64) -> R<()> {
        self.remove(T::Index, &key(account_id))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endorsements_are_kept_once() {
        let store = Store::temporary().unwrap();
        assert!(store.transact(|tx| tx.endorse(7, 100)).unwrap());
        assert!(!store.transact(|tx| tx.endorse(7, 101)).unwrap());
        store.transact(|tx| tx.endorse(8, 102)).unwrap();
        let mut all = store.endorsements().unwrap();
        all.sort_unstable();
        assert_eq!(all, vec![(100, 7), (102, 8)]);
        store.transact(|tx| tx.unendorse(7)).unwrap();
        assert_eq!(store.endorsement(7).unwrap(), None);
        assert_eq!(store.endorsement(8).unwrap(), Some(102));
    }
}
