//! The whole store as raw records, for backups, restores and statistics:
//! every tree's keys and values, without knowing what they mean.
//!
//! A snapshot must never hold half of an operation. sled 0.34 has no
//! snapshots and its iterators see writes made while they run, so the
//! store keeps a gate of its own: every write that changes several
//! records at once (`transact`, and the few multi-record writes outside
//! it) holds it shared, and `export` holds it alone while it reads.
//! Single-record writes stand on their own and need no gate.

use super::{Result, Store, StoreError, TREES};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

/// What `stats` counts for one kind of record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindStats {
    /// The tree the records live in.
    pub tree: &'static str,
    /// The key prefix naming the kind (`status_uri` in `index`), or
    /// `records` for a tree's id-keyed records.
    pub kind: String,
    pub records: u64,
    /// Keys and values together, as stored (before sled's own overhead).
    pub bytes: u64,
}

/// The kind a key belongs to: its text prefix up to the first `\0` (see
/// `index_key`), or `records` when the key starts with binary (an id).
pub fn kind_of(key: &[u8]) -> &str {
    let prefix = key.split(|b| *b == 0).next().unwrap_or_default();
    match std::str::from_utf8(prefix) {
        Ok(p)
            if !p.is_empty()
                && prefix.len() < key.len()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            p
        }
        _ => "records",
    }
}

impl Store {
    /// Held shared by writes that change several records (see the module
    /// comment). A poisoned gate only means a writer panicked; the lock
    /// itself protects no data.
    pub(super) fn writing(&self) -> RwLockReadGuard<'_, ()> {
        self.write_gate
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn snapshotting(&self) -> RwLockWriteGuard<'_, ()> {
        self.write_gate
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands every record of every tree (in `TREES` order, keys in order)
    /// to `f`, as one consistent snapshot: writes of several records wait
    /// until it returns. Blocking; run it off the async workers. Returns
    /// the number of records.
    pub fn export<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&str, &[u8], &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, E> {
        let _alone = self.snapshotting();
        let mut records = 0u64;
        for (name, tree) in TREES.iter().zip(self.all_trees()) {
            for entry in tree.iter() {
                let (k, v) = entry.map_err(StoreError::from)?;
                f(name, &k, &v)?;
                records += 1;
            }
        }
        Ok(records)
    }

    /// Records and bytes per kind, tree by tree. Reads everything once;
    /// no gate, since counts need not be exact to the record.
    pub fn stats(&self) -> Result<Vec<KindStats>> {
        let mut out = Vec::new();
        for (name, tree) in TREES.iter().zip(self.all_trees()) {
            let mut kinds: BTreeMap<String, KindStats> = BTreeMap::new();
            for entry in tree.iter() {
                let (k, v) = entry?;
                let kind = kind_of(&k);
                let s = kinds.entry(kind.to_string()).or_insert_with(|| KindStats {
                    tree: name,
                    kind: kind.to_string(),
                    ..Default::default()
                });
                s.records += 1;
                s.bytes += (k.len() + v.len()) as u64;
            }
            out.extend(kinds.into_values());
        }
        Ok(out)
    }
}

/// A new database filled record by record from a backup. It is opened
/// without migrations: the records arrive as an older Burrow wrote them,
/// and `Store::open` migrates them afterwards like any older store.
pub struct RawStore {
    db: sled::Db,
    trees: Vec<sled::Tree>,
}

impl RawStore {
    /// Creates the database in `dir`, which must not hold one.
    pub fn create(dir: &Path) -> Result<RawStore> {
        if dir.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; restore into a new directory",
                dir.display()
            )));
        }
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(4 << 20)
            .mode(sled::Mode::LowSpace)
            .open()?;
        let trees = TREES
            .iter()
            .map(|t| db.open_tree(t))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(RawStore { db, trees })
    }

    /// True when this Burrow has a tree of that name.
    pub fn knows_tree(name: &str) -> bool {
        TREES.contains(&name)
    }

    pub fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let t = TREES
            .iter()
            .position(|t| *t == tree)
            .and_then(|i| self.trees.get(i))
            .ok_or_else(|| StoreError::Conflict(format!("unknown tree `{tree}`")))?;
        t.insert(key, value)?;
        Ok(())
    }

    /// Makes everything written durable and closes the database.
    pub fn finish(self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::index_key;

    #[test]
    fn kinds_are_text_prefixes_or_records() {
        assert_eq!(kind_of(&index_key("status_uri", &[b"x"])), "status_uri");
        assert_eq!(kind_of(&7u64.to_be_bytes()), "records");
        assert_eq!(kind_of(b"owner"), "records");
        assert_eq!(kind_of(b""), "records");
        assert_eq!(kind_of(&[0xff, 0, 1]), "records");
    }

    #[test]
    fn export_then_raw_import_gives_the_same_records() {
        let src = Store::temporary().unwrap();
        src.transact(|tx| {
            tx.put(crate::store::T::Statuses, b"\x00\x01", b"one")?;
            tx.put(crate::store::T::Index, &index_key("k", &[b"a"]), b"two")
        })
        .unwrap();
        let mut seen = Vec::new();
        src.export(|t, k, v| {
            seen.push((t.to_string(), k.to_vec(), v.to_vec()));
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let raw = RawStore::create(&dir.path().join("db")).unwrap();
        for (t, k, v) in &seen {
            raw.put(t, k, v).unwrap();
        }
        raw.finish().unwrap();
        let back = Store::open(&dir.path().join("db"), 4 << 20).unwrap();
        let mut again = Vec::new();
        back.export(|t, k, v| {
            again.push((t.to_string(), k.to_vec(), v.to_vec()));
            Ok::<_, StoreError>(())
        })
        .unwrap();
        for rec in &seen {
            assert!(again.contains(rec), "{rec:?} lost");
        }
    }
}
