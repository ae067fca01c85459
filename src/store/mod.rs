//! The only code that knows sled.
//!
//! One database, a small fixed set of trees (sled slows down with many),
//! big-endian keys so that range scans run in id order, and values encoded
//! as MessagePack maps with field names so records can gain fields without
//! a rewrite (every record type is `#[serde(default)]`).

pub mod accounts;
pub mod inbox;
pub mod markers;
pub mod notifications;
pub mod queue;
pub mod relations;
pub mod sessions;
pub mod statuses;
pub mod timelines;
mod tx;
pub use tx::{Tx, TxResult, T};
mod codec;
pub mod ids;
pub mod media;
mod meta;
pub mod oauth;
pub mod preferences;
pub mod push;

pub mod account_notes;
pub mod account_search;
pub mod cards;
pub mod conversations;
pub mod domain_blocks;
pub mod dump;
pub mod emojis;
pub mod endorsements;
pub mod featured_tags;
pub mod filters;
pub mod lists;
pub mod notification_requests;
pub mod poll_ends;
pub mod poll_votes;
pub mod prune;
pub mod quotes;
pub mod reports;
pub mod scheduled;
pub mod tags;

pub use codec::{decode, encode};
pub use ids::IdGen;
pub use meta::{Owner, SCHEMA_VERSION};

use std::path::Path;

/// Every tree the store uses. Adding one is a schema change: bump
/// `SCHEMA_VERSION` if existing data must be moved into it.
pub const TREES: &[&str] = &[
    "meta",
    "accounts",
    "index",
    "statuses",
    "timelines",
    "notifications",
    "relations",
    "media",
    "oauth",
    "queue_delivery",
    "queue_inbox",
    "objects_cache",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    #[error(
        "stored record is unreadable ({0}); the data directory may be damaged, restore a backup"
    )]
    Decode(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the data directory was written by a newer Burrow (schema {found}, this binary knows {known}); upgrade Burrow")]
    TooNew { found: u32, known: u32 },
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Db(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// True when another process holds the database open. sled reports
    /// its lock as a plain I/O error, recognisable only by its text.
    pub fn is_locked(&self) -> bool {
        matches!(self, StoreError::Db(sled::Error::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock"))
    }
}

/// Handle to the database; cheap to clone (sled trees are reference counted).
// Some trees are opened before the code that fills them exists, so the
// fixed set is decided once.
#[allow(dead_code)]
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    pub(crate) meta: sled::Tree,
    pub(crate) accounts: sled::Tree,
    /// Secondary indexes, each under its own key prefix (see `index_key`).
    pub(crate) index: sled::Tree,
    pub(crate) statuses: sled::Tree,
    pub(crate) timelines: sled::Tree,
    pub(crate) notifications: sled::Tree,
    pub(crate) relations: sled::Tree,
    pub(crate) media: sled::Tree,
    pub(crate) oauth: sled::Tree,
    pub(crate) queue_delivery: sled::Tree,
    pub(crate) queue_inbox: sled::Tree,
    pub(crate) objects_cache: sled::Tree,
    /// Seeded from the store at open, so ids never repeat across restarts.
    ids: std::sync::Arc<ids::IdSource>,
    flusher: std::sync::Arc<Flusher>,
    /// Writes that change several records hold this shared; a whole-store
    /// snapshot (`dump.rs`) holds it alone, so it never sees half of one.
    write_gate: std::sync::Arc<std::sync::RwLock<()>>,
    /// The owner's account id once known (see `owner_account_id`).
    owner_account: std::sync::Arc<std::sync::OnceLock<u64>>,
}

/// Flushes run one at a time, and writers that ask while one runs share
/// the next (group commit).
///
/// Why not sled's `flush_async` per writer: in sled 0.34 each call takes
/// a thread of sled's small I/O pool and waits there for log writes that
/// need that same pool, so a burst of concurrent flushes (sixteen inbox
/// posts at once were enough) deadlocks the whole database for good.
/// One flush in flight at a time cannot exhaust the pool, and sharing it
/// means a burst of N acknowledgements costs about two flushes, not N:
/// fewer disk writes too.
#[derive(Default)]
struct Flusher {
    /// Flushes asked for so far: each caller takes the next number after
    /// its writes are done.
    asked: std::sync::atomic::AtomicU64,
    /// Held while a flush runs; holds the highest number the finished
    /// flushes covered.
    covered: tokio::sync::Mutex<u64>,
}

impl Store {
    /// Opens (or creates) the database in `dir` with a page cache of
    /// `cache_bytes`, then runs pending migrations.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store> {
        Self::open_with_clock(dir, cache_bytes, ids::system_clock())
    }

    /// `open`, with the clock new ids are made from (tests set it back).
    pub fn open_with_clock(dir: &Path, cache_bytes: u64, clock: ids::Clock) -> Result<Store> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // sled's background flusher writes every 500 ms by default; we
            // flush explicitly before acknowledging writes, so a slower
            // background pace saves SD-card wear without risking data.
            .flush_every_ms(Some(2000))
            .mode(sled::Mode::LowSpace)
            .open()?;
        Self::from_db(db, clock)
    }

    /// A throwaway store for unit tests (lives in memory / `/dev/shm`).
    pub fn temporary() -> Result<Store> {
        let db = sled::Config::new()
            .temporary(true)
            .cache_capacity(4 << 20)
            .open()?;
        Self::from_db(db, ids::system_clock())
    }

    fn from_db(db: sled::Db, clock: ids::Clock) -> Result<Store> {
        let t = |name: &str| db.open_tree(name);
        let meta = t("meta")?;
        let id_trees = ids::ID_KEYED
            .iter()
            .map(|(tree, _)| t(TREES[*tree as usize]))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let ids = ids::IdSource::open(meta.clone(), &id_trees.iter().collect::<Vec<_>>(), clock)?;
        let store = Store {
            meta,
            accounts: t("accounts")?,
            index: t("index")?,
            statuses: t("statuses")?,
            timelines: t("timelines")?,
            notifications: t("notifications")?,
            relations: t("relations")?,
            media: t("media")?,
            oauth: t("oauth")?,
            queue_delivery: t("queue_delivery")?,
            queue_inbox: t("queue_inbox")?,
            objects_cache: t("objects_cache")?,
            ids: std::sync::Arc::new(ids),
            flusher: std::sync::Arc::default(),
            write_gate: std::sync::Arc::default(),
            owner_account: std::sync::Arc::default(),
            db,
        };
        meta::migrate(&store)?;
        Ok(store)
    }

    /// A fresh snowflake id, strictly greater than any this store has
    /// handed out before, in this process or an earlier one.
    pub fn next_id(&self) -> u64 {
        self.ids.next()
    }

    /// Makes every write so far durable. Called before acknowledging any
    /// write a person or a peer relies on.
    pub async fn flush(&self) -> Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let ticket = self.flusher.asked.fetch_add(1, SeqCst) + 1;
        let mut covered = self.flusher.covered.lock().await;
        if *covered >= ticket {
            // A flush that began after our writes has finished.
            return Ok(());
        }
        // Everyone who has a number by now wrote before this flush starts.
        let covers = self.flusher.asked.load(SeqCst);
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StoreError::Conflict(format!("the flush task failed: {e}")))??;
        *covered = covers;
        Ok(())
    }

    /// Blocking flush, for shutdown and the command line.
    pub fn flush_sync(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// An id stored under an `index` key (see `index_key`).
    pub fn get_index(&self, key: &[u8]) -> Result<Option<u64>> {
        Ok(self.index.get(key)?.map(|v| accounts::be_u64(&v)))
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

/// Builds `prefix \0 part \0 part…` keys for the `index` tree. Parts are
/// raw bytes; numeric parts should be big-endian so they sort.
pub fn index_key(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut k =
        Vec::with_capacity(prefix.len() + 1 + parts.iter().map(|p| p.len() + 1).sum::<usize>());
    k.extend_from_slice(prefix.as_bytes());
    for p in parts {
        k.push(0);
        k.extend_from_slice(p);
    }
    k
}

#[cfg(test)]
mod flush_tests {
    use super::Store;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Many writers acknowledging at once (a burst of inbox posts, a
    /// busy owner) each ask for a flush. sled 0.34's `flush_async`
    /// deadlocks its own I/O thread pool when enough of those run
    /// together; the store must hand them out one at a time.
    #[test]
    fn concurrent_flushes_all_finish() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 4 << 20).unwrap();
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut tasks = vec![];
                for i in 0..64u32 {
                    let s = store.clone();
                    tasks.push(tokio::spawn(async move {
                        for j in 0..20u32 {
                            s.objects_cache
                                .insert(format!("k{i}-{j}"), vec![7u8; 2048])
                                .unwrap();
                            s.flush().await.unwrap();
                        }
                    }));
                }
                for t in tasks {
                    t.await.unwrap();
                }
            });
            let _ = done.send(());
        });
        // A deadlock blocks the runtime's own timers, so wait from here.
        assert!(
            finished.recv_timeout(Duration::from_secs(120)).is_ok(),
            "concurrent flushes never finished: the store deadlocked"
        );
    }
}
