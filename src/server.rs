//! Starting and stopping the server: data directory, store, listener
//! (plain HTTP, or HTTPS with certificate files or ACME, and then the
//! plain redirect listener), the setup link, graceful shutdown with a
//! final flush.

use crate::config::{self, Config, ConfigError};
use crate::http;
use crate::http::client::Peer;
use crate::state::{AppState, KeyGen};
use crate::store::Store;
use crate::supervisor::supervise;
use crate::tls::acme::Http01Tokens;
use crate::tls::listener::TlsIncoming;
use crate::tls::CertResolver;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
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
    /// With HTTPS on, the plain listener for ACME HTTP-01 challenges and
    /// redirects (`server.http_listen`).
    plain: Option<TcpListener>,
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
        let plain = match config.server.http_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })?,
            ),
            None => None,
        };
        let mut server = Server::new(
            listener,
            AppState::new(config, data_dir.to_path_buf(), store, keygen),
        );
        server.plain = plain;
        Ok(server)
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
            plain: None,
            setup_token,
        }
    }

    /// Adds the plain listener of `server.http_listen` on a listener the
    /// caller bound (tests bind port 0).
    pub fn with_plain_listener(mut self, listener: TcpListener) -> Server {
        self.plain = Some(listener);
        self
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
        // Certificate files are read before anything is served, so a bad
        // path or key stops the start with a message naming the file.
        let tls = if state.config.server.tls_enabled() {
            Some(tls_setup(&state)?)
        } else {
            None
        };
        if let Some(token) = &self.setup_token {
            let link = state.urls.setup(token);
            println!("\nBurrow is not set up yet. Open this one-time link to create your account:\n\n    {link}\n");
            tracing::info!("waiting for setup; the setup link was printed to standard output");
        }
        let admin_socket = crate::admin::bind(&state.data_dir);
        tracing::info!(
            "listening on {} as {}",
            self.listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            state.urls.base
        );
        let store = state.store.clone();
        let stopping_dir = state.data_dir.clone();
        // Each worker restarts after a panic (`supervisor`).
        let (s1, s2, s3, s4) = (state.clone(), state.clone(), state.clone(), state.clone());
        let s5 = state.clone();
        let s6 = state.clone();
        let s7 = state.clone();
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
            tokio::spawn(supervise("replies", move || {
                crate::federation::replies::run(s5.clone())
            })),
            tokio::spawn(supervise("card", move || {
                crate::ops::cards::run(s6.clone())
            })),
            tokio::spawn(supervise("scheduled status", move || {
                crate::ops::scheduled::run(s7.clone())
            })),
        ];
        // The admin socket and the daily chores (`admin`, `ops::backup`,
        // `ops::prune`): each sleeps until it has something to do.
        let (a1, a2, a3) = (state.clone(), state.clone(), state.clone());
        let chores = [
            tokio::spawn(crate::admin::serve(a1, admin_socket)),
            tokio::spawn(supervise("daily backup", move || {
                crate::ops::backup::run(a2.clone())
            })),
            tokio::spawn(supervise("daily prune", move || {
                crate::ops::prune::run(a3.clone())
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
            http::app(state.clone()),
        );
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<Peer>(
                app,
            );
        let plain = match (self.plain, &tls) {
            (Some(listener), Some(tls)) => Some(serve_plain(listener, &state, tls)),
            _ => None,
        };
        let acme = tls.as_ref().and_then(|t| t.acme.clone());
        let acme = acme.map(|job| {
            tokio::spawn(supervise("certificate", move || {
                crate::tls::acme::run(job.clone())
            }))
        });
        let result = match tls {
            None => {
                axum::serve(self.listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some(tls) => {
                let incoming =
                    TlsIncoming::new(self.listener, tls.config).map_err(StartError::Serve)?;
                axum::serve(TlsListener(incoming), service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        // Queued work is durable; workers pick it up again at the next start.
        for w in workers.into_iter().chain(plain).chain(acme) {
            w.abort();
        }
        for w in chores {
            w.abort();
        }
        let _ = std::fs::remove_file(crate::admin::socket_path(&stopping_dir));
        // Whatever happened, make every acknowledged write durable.
        if let Err(e) = store.flush_sync() {
            tracing::error!("final flush failed: {e}");
        }
        result.map_err(StartError::Serve)
    }
}

/// What serving HTTPS needs: the rustls configuration, the resolver a
/// renewal swaps certificates in, the HTTP-01 answers for the plain
/// listener, and the ACME job when certificates come from ACME.
struct TlsSetup {
    config: Arc<rustls::ServerConfig>,
    tokens: Http01Tokens,
    acme: Option<crate::tls::acme::AcmeJob>,
}

fn tls_setup(state: &AppState) -> Result<TlsSetup, StartError> {
    let server = &state.config.server;
    let tokens = Http01Tokens::default();
    let (resolver, acme) = match (&server.tls_cert, &server.tls_key, &server.acme_domain) {
        (Some(cert), Some(key), _) => {
            let resolver = Arc::new(CertResolver::new(Some(crate::tls::files::load(cert, key)?)));
            (resolver, None)
        }
        (_, _, Some(domain)) => {
            let job = crate::tls::acme::AcmeJob::new(
                &state.data_dir,
                domain,
                server.acme_email.as_deref(),
                server.acme_directory(),
                tokens.clone(),
                server.http_listen.is_some(),
            )?;
            (job.resolver.clone(), Some(job))
        }
        _ => (Arc::new(CertResolver::new(None)), None),
    };
    Ok(TlsSetup {
        config: crate::tls::server_config(resolver),
        tokens,
        acme,
    })
}

/// Serves the plain listener until the server stops.
fn serve_plain(
    listener: TcpListener,
    state: &AppState,
    tls: &TlsSetup,
) -> tokio::task::JoinHandle<()> {
    let app = http::redirect::plain_app(&state.urls.base, tls.tokens.clone());
    let mut stopping = state.stopping.subscribe();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("redirecting plain HTTP on {addr} to {}", state.urls.base);
    }
    tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopping.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!("the plain HTTP listener stopped: {e}");
        }
    })
}

/// TLS connections, as axum's server takes them.
struct TlsListener(TlsIncoming);

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        self.0.next().await
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.0.local_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            tls: true,
        }
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
