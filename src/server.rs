//! Starting and stopping the server: data directory, store, listener,
//! the setup link, graceful shutdown with a final flush.

use crate::config::{self, Config, ConfigError};
use crate::http;
use crate::state::{AppState, KeyGen};
use crate::store::{Store, StoreError};
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
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// Opens the store in `data_dir/db` with the configured cache.
pub fn open_store(data_dir: &Path, config: &Config) -> Result<Store, StartError> {
    config::prepare_data_dir(data_dir)?;
    let dir = data_dir.join(DB_DIR);
    Store::open(&dir, config.storage.cache_mib << 20).map_err(|e| StartError::Store {
        reason: match &e {
            StoreError::Db(sled::Error::Io(io)) if io.kind() == std::io::ErrorKind::WouldBlock => {
                "it is locked; is another Burrow running with this data directory?".to_string()
            }
            other => other.to_string(),
        },
        dir,
    })
}

/// A server bound to its port, not yet serving.
pub struct Server {
    pub state: AppState,
    listener: TcpListener,
}

impl Server {
    /// Opens the store and binds `config.server.listen`.
    pub async fn bind(
        data_dir: &Path,
        config: Config,
        keygen: KeyGen,
    ) -> Result<Server, StartError> {
        let store = open_store(data_dir, &config)?;
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        Ok(Server {
            state: AppState::new(config, data_dir.to_path_buf(), store, keygen),
            listener,
        })
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
        Server {
            state: AppState::new(config, data_dir.to_path_buf(), store, keygen),
            listener,
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
        if !state.is_set_up() {
            let token = state.issue_setup_token();
            let link = state.urls.setup(&token);
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
        let workers = [
            tokio::spawn(crate::federation::delivery::run(
                state.clone(),
                crate::federation::http_transport(&state),
            )),
            tokio::spawn(crate::federation::inbox_worker::run(state.clone())),
            tokio::spawn(crate::push::run(state.clone())),
        ];
        let stopping = state.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.stopping.send_replace(true);
        };
        let result = axum::serve(self.listener, http::app(state))
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
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
