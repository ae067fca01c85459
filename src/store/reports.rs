//! The owner's reports about other accounts: `report \0 ID` → `Report`,
//! in `index`. The owner files few, and keeps them all.

use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

const PREFIX: &str = "report";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub id: u64,
    /// The account reported.
    pub target_account_id: u64,
    /// Its statuses the report points at.
    pub status_ids: Vec<u64>,
    pub comment: String,
    /// `spam`, `legal`, `violation` or `other`, as Mastodon names them.
    pub category: String,
    pub rule_ids: Vec<u64>,
    /// Whether a copy went to the account's server as a `Flag`.
    pub forwarded: bool,
    pub created_at_ms: i64,
}

fn key(id: u64) -> Vec<u8> {
    index_key(PREFIX, &[&id.to_be_bytes()])
}

impl Store {
    pub fn report(&self, id: u64) -> Result<Option<Report>> {
        match self.index.get(key(id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The newest reports first, at most `limit`.
    pub fn reports(&self, limit: usize) -> Result<Vec<Report>> {
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(index_key(PREFIX, &[&[]])).rev() {
            if out.len() >= limit {
                break;
            }
            out.push(codec::decode(&kv?.1)?);
        }
        Ok(out)
    }
}

impl Tx<'_> {
    pub fn put_report(&self, r: &Report) -> R<()> {
        self.put_rec(T::Index, &key(r.id), r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_listed_newest_first() {
        let store = Store::temporary().unwrap();
        for id in [3u64, 1, 2] {
            let r = Report {
                id,
                comment: format!("r{id}"),
                ..Default::default()
            };
            store.transact(|tx| tx.put_report(&r)).unwrap();
        }
        let ids: Vec<u64> = store.reports(2).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [3, 2]);
        assert_eq!(store.report(1).unwrap().unwrap().comment, "r1");
    }
}
