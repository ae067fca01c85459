//! Starting and stopping the server: data directory, store, listener,
//! the setup link, graceful shutdown with a final flush.

use crate::config::{self, Config, ConfigError};
use crate::http;
use crate::state::{AppState, KeyGen};
use crate::store::Store;
use crate::supervisor::supervise;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

/// Name of the database directory inside the data directory.
pub const DB_DIR: &str = "db";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the database in {dir}: {reason}")]
    Store { dir: PathBuf, reason: String },
    #[error("cannot listen on {addr}: {source}; is another program using that port? Pick another with --listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the owner's identity {identity} was made for another address than public_url {public_url}; peers know the old address, so set public_url back to it (burrow.toml, --public-url or BURROW_PUBLIC_URL)")]
    IdentityMismatch {
        identity: String,
        public_url: String,
    },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// glibc's malloc arenas the process may use. One: each thread still has
/// its own small cache of freed blocks (glibc's tcache), so the two async
/// workers rarely wait on the arena's lock.
pub const MALLOC_ARENAS: i32 = 1;

/// Caps glibc's malloc arenas before any thread starts. glibc gives
/// threads arenas of their own, up to eight per core; each keeps the
/// memory freed in it for reuse by its threads only, so with sled's and
/// tokio's threads resident memory grew with every burst of reads.
/// Measured on a year-sized store, paging once through the home timeline:
/// 78 MB resident with glibc's default, 75 MB with two arenas, 66 MB with
/// one. Other C libraries have no arenas; nothing to do there.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable; called before other threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

/// Opens the store in `data_dir/db` with the configured cache.
pub fn open_store(data_dir: &Path, config: &Config) -> Result<Store, StartError> {
    config::prepare_data_dir(data_dir)?;
    let dir = data_dir.join(DB_DIR);
    Store::open(&dir, config.storage.cache_mib << 20).map_err(|e| StartError::Store {
        reason: if e.is_locked() {
            "it is locked; is another Burrow running with this data directory?".to_string()
        } else {
            e.to_string()
        },
        dir,
    })
}

/// Refuses to serve an owner whose actor URL was minted under another
/// public URL: every URL served would disagree with the stored identity,
/// and peers would see a stranger.
fn check_identity(data_dir: &Path, store: &Store, config: &Config) -> Result<(), StartError> {
    let account = store.owner_account().map_err(|e| StartError::Store {
        dir: data_dir.join(DB_DIR),
        reason: e.to_string(),
    })?;
    match account {
        Some(a) if !a.uri.starts_with(&format!("{}/", config.server.public_url)) => {
            Err(StartError::IdentityMismatch {
                identity: a.uri,
                public_url: config.server.public_url.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// A server bound to its port, not yet serving.
pub struct Server {
    pub state: AppState,
    listener: TcpListener,
    /// The one-time setup token to print, when there is no owner yet.
    setup_token: Option<String>,
}

impl Server {
    /// Opens the store and binds `config.server.listen`.
    pub async fn bind(
        data_dir: &Path,
        config: Config,
        keygen: KeyGen,
    ) -> Result<Server, StartError> {
        let store = open_store(data_dir, &config)?;
        check_identity(data_dir, &store, &config)?;
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        Ok(Server::new(
            listener,
            AppState::new(config, data_dir.to_path_buf(), store, keygen),
        ))
    }

    /// Serves on a listener the caller bound (tests bind port 0 first so
    /// the public URL can name the real port).
    pub fn with_listener(
        listener: TcpListener,
        data_dir: &Path,
        store: Store,
        config: Config,
        keygen: KeyGen,
    ) -> Server {
        Server::new(
            listener,
            AppState::new(config, data_dir.to_path_buf(), store, keygen),
        )
    }

    /// Issues the setup token now rather than in `run`, so that a caller
    /// (a test) issuing its own token afterwards is never overwritten by a
    /// server task that starts late.
    fn new(listener: TcpListener, state: AppState) -> Server {
        let setup_token = (!state.is_set_up()).then(|| state.issue_setup_token());
        Server {
            state,
            listener,
            setup_token,
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `shutdown` completes, then flushes the store.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let state = self.state;
        if let Some(token) = &self.setup_token {
            let link = state.urls.setup(token);
            println!("\nBurrow is not set up yet. Open this one-time link to create your account:\n\n    {link}\n");
            tracing::info!("waiting for setup; the setup link was printed to standard output");
        }
        tracing::info!(
            "listening on {} as {}",
            self.listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            state.urls.base
        );
        let store = state.store.clone();
        // Each worker restarts after a panic (`supervisor`).
        let (s1, s2, s3, s4) = (state.clone(), state.clone(), state.clone(), state.clone());
        let workers = [
            tokio::spawn(supervise("delivery", move || {
                crate::federation::delivery::run(s1.clone(), crate::federation::http_transport(&s1))
            })),
            tokio::spawn(supervise("inbox", move || {
                crate::federation::inbox_worker::run(s2.clone())
            })),
            tokio::spawn(supervise("push", move || crate::push::run(s3.clone()))),
            tokio::spawn(supervise("poll end", move || {
                crate::ops::poll_ends::run(s4.clone())
            })),
        ];
        let stopping = state.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.stopping.send_replace(true);
        };
        // Apps (and Rails habits) send `/api/v1/instance/`: the trailing
        // slash is dropped before routing, as Mastodon accepts both.
        let app = tower::Layer::layer(
            &tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(),
            http::app(state),
        );
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        let result = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        // Queued work is durable; workers pick it up again at the next start.
        for w in workers {
            w.abort();
        }
        // Whatever happened, make every acknowledged write durable.
        if let Err(e) = store.flush_sync() {
            tracing::error!("final flush failed: {e}");
        }
        result.map_err(StartError::Serve)
    }
}

/// Completes on Ctrl-C or SIGTERM (what systemd sends).
///
/// The handlers are installed when this is called, not when the future is
/// first polled: until then a SIGTERM would take its default action and
/// kill the process without the final flush.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = recv_or_never(term.as_mut()) => {},
            _ = recv_or_never(int.as_mut()) => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}

/// Waits for a signal; a handler that could not be installed never fires.
#[cfg(unix)]
async fn recv_or_never(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
