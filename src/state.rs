//! What every request handler can reach: settings, store, templates and
//! the owner's signing key. Cloning is cheap (one `Arc`).

use crate::config::Config;
use crate::crypto::keys::SigningKey;
use crate::store::Store;
use crate::templates::Templates;
use crate::urls::Urls;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// How the owner's RSA key is made at setup.
#[derive(Clone, Copy, Debug)]
pub enum KeyGen {
    /// From the operating system's randomness (production).
    Random,
    /// Deterministic, for fast tests.
    Seeded(u64),
}

impl KeyGen {
    pub fn generate(self) -> Vec<u8> {
        match self {
            KeyGen::Random => crate::crypto::keys::generate_pkcs8(),
            KeyGen::Seeded(seed) => crate::crypto::keys::seeded_pkcs8(seed),
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    /// The data directory (settings, database, media files).
    pub data_dir: PathBuf,
    pub urls: Urls,
    pub store: Store,
    pub templates: Templates,
    pub keygen: KeyGen,
    /// SHA-256 of the one-time setup token; `None` once used or when an
    /// owner exists. Held in memory only: a restart prints a new link.
    pub setup_token_hash: Mutex<Option<String>>,
    /// What just happened (new status, notification…), for streaming
    /// clients and push. Sending never blocks; slow receivers lag.
    pub events: tokio::sync::broadcast::Sender<crate::events::Event>,
    /// Wakes the delivery worker when jobs are queued (no polling).
    pub delivery_wake: tokio::sync::Notify,
    /// First delivery retry delay (doubling after). `delivery::FIRST_RETRY_MS`
    /// in production; tests shorten it to watch retries happen.
    pub delivery_first_retry_ms: std::sync::atomic::AtomicI64,
    /// Wakes the scheduled-status worker when the schedule changes.
    pub scheduled_wake: tokio::sync::Notify,
    /// Wakes the inbox worker when an activity is queued.
    pub inbox_wake: tokio::sync::Notify,
    /// The inbox queue's quotas and schedule, mirrored in memory.
    pub inbox_queue: crate::federation::inbox_queue::InboxQueue,
    /// Becomes `true` when the server begins to stop. Streaming responses
    /// never end by themselves, and a graceful shutdown waits for every
    /// response: they watch this and end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The owner's key, loaded once (parsing PKCS#8 on every signature
    /// would cost more than the signature).
    signing_key: RwLock<Option<Arc<SigningKey>>>,
    /// Every request to another server goes through this (SSRF checks,
    /// size and time caps, signatures).
    pub fetcher: crate::federation::fetcher::Fetcher,
    /// Password guesses, wherever the owner's password is checked.
    pub password_limiter: crate::ops::password_limit::PasswordLimiter,
    /// Threads waiting to have their replies fetched, and the walker's
    /// memory of recent walks and hosts' allowances.
    pub walks: crate::federation::replies::Walks,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, data_dir: PathBuf, store: Store, keygen: KeyGen) -> AppState {
        let urls = Urls::new(&config.server.public_url);
        let fetcher = crate::federation::fetcher::Fetcher::new(&config);
        let inbox_queue = crate::federation::inbox_queue::InboxQueue::from_jobs(
            &store.inbox_jobs().unwrap_or_else(|e| {
                tracing::error!("the inbox queue is unreadable; its jobs wait: {e}");
                Vec::new()
            }),
        );
        AppState(Arc::new(Inner {
            config,
            data_dir,
            urls,
            store,
            templates: Templates::new(),
            keygen,
            setup_token_hash: Mutex::new(None),
            events: tokio::sync::broadcast::channel(crate::events::EVENT_BUFFER).0,
            delivery_wake: tokio::sync::Notify::new(),
            inbox_wake: tokio::sync::Notify::new(),
            scheduled_wake: tokio::sync::Notify::new(),
            inbox_queue,
            stopping: tokio::sync::watch::Sender::new(false),
            delivery_first_retry_ms: std::sync::atomic::AtomicI64::new(
                crate::federation::delivery::FIRST_RETRY_MS,
            ),
            signing_key: RwLock::new(None),
            fetcher,
            password_limiter: Default::default(),
            walks: Default::default(),
        }))
    }

    /// Whether the owner exists (setup done).
    pub fn is_set_up(&self) -> bool {
        matches!(self.store.owner(), Ok(Some(_)))
    }

    /// Makes a new one-time setup token and returns it (only its hash is kept).
    pub fn issue_setup_token(&self) -> String {
        let token = crate::crypto::random_token();
        *self
            .setup_token_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(crate::crypto::token_hash(&token));
        token
    }

    /// True when `token` is the current setup token.
    pub fn setup_token_valid(&self, token: &str) -> bool {
        let guard = self
            .setup_token_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match guard.as_deref() {
            Some(h) => {
                crate::crypto::secure_eq(h.as_bytes(), crate::crypto::token_hash(token).as_bytes())
            }
            None => false,
        }
    }

    /// Spends the setup token; it can't be used again.
    pub fn consume_setup_token(&self) {
        *self
            .setup_token_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The owner's signing key, parsed on first use.
    pub fn signing_key(&self) -> Option<Arc<SigningKey>> {
        if let Some(k) = self
            .signing_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Some(k.clone());
        }
        let owner = self.store.owner().ok()??;
        let key = Arc::new(SigningKey::from_pkcs8(&owner.private_key_pkcs8).ok()?);
        *self.signing_key.write().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
        Some(key)
    }
}
