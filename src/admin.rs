//! The admin socket: how `burrow backup`, `prune`, `stats`, `doctor` and
//! `domain-block` reach a running server.
//!
//! sled lets one process open the store, and the server holds it; a
//! command can't open it beside the server, and reading sled's files from
//! outside gives no consistent copy. So the server listens on a Unix
//! socket inside the data directory (`admin.sock`) and runs the command
//! itself, with its own store and the same functions the command would
//! run when no server is up. Nothing new is reachable over the network:
//! the socket is a file, mode 0600, and the server also checks that the
//! connecting process runs as the same user as itself (or root).
//!
//! The exchange is one line of JSON (`Request`) from the command, then
//! one line from the server, `ok` or `error <message>`, then the answer's
//! bytes until the server closes the connection.

use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// The socket's name in the data directory.
pub const SOCKET_FILE: &str = "admin.sock";
/// A request is a short line of JSON.
const MAX_REQUEST_BYTES: u64 = 4096;
/// The server's status line is short too.
const MAX_STATUS_BYTES: u64 = 4096;
/// Writes wait while a backup reads the store, so a command that stops
/// reading (suspended, stuck) must not stall them: the backup is
/// abandoned when the socket accepts nothing for this long.
const BACKUP_STALL: std::time::Duration = std::time::Duration::from_secs(10);

/// What a command asks the server to do.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    /// Stream a backup archive.
    Backup,
    /// Records and bytes per kind.
    Stats,
    /// What pruning would remove, or removes with `apply`.
    Prune {
        apply: bool,
    },
    DomainBlockAdd {
        domain: String,
    },
    DomainBlockRemove {
        domain: String,
    },
    DomainBlockList,
    /// What `doctor` needs from the store (`ops::doctor::Facts`, JSON).
    Facts,
}

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Answers every request but `Backup` (which streams): the text the
/// command prints. The command runs this itself when no server is up.
pub async fn answer(state: &AppState, req: &Request) -> Result<String, String> {
    use crate::ops::{doctor, domain_blocks, prune};
    let done = |what: String| Ok(format!("{what}\n"));
    match req {
        Request::Backup => Err("a backup is streamed, not answered".into()),
        Request::Stats => prune::stats_text(&state.store).map_err(|e| e.to_string()),
        Request::Prune { apply } => prune::run_once(state, *apply)
            .await
            .map(|report| report.text(*apply))
            .map_err(|e| e.to_string()),
        Request::DomainBlockAdd { domain } => match domain_blocks::block(state, domain).await {
            Ok(()) => done(format!(
                "Blocked {}: its posts and follows are gone, nothing reaches it.",
                domain_blocks::normalize(domain).unwrap_or_default()
            )),
            Err(e) => Err(e.to_string()),
        },
        Request::DomainBlockRemove { domain } => {
            match domain_blocks::unblock(state, domain).await {
                Ok(()) => done(format!(
                    "Unblocked {}.",
                    domain_blocks::normalize(domain).unwrap_or_default()
                )),
                Err(e) => Err(e.to_string()),
            }
        }
        Request::DomainBlockList => list_domain_blocks(state).map_err(|e| e.to_string()),
        Request::Facts => doctor::facts(state)
            .and_then(|f| {
                serde_json::to_string(&f).map_err(|e| crate::ops::OpError::Internal(e.to_string()))
            })
            .map_err(|e| e.to_string()),
    }
}

/// Every blocked domain, one a line, newest first.
fn list_domain_blocks(state: &AppState) -> crate::store::Result<String> {
    let mut out = String::new();
    let mut max_id = None;
    loop {
        let page = state
            .store
            .domain_block_page(crate::store::timelines::Page {
                max_id,
                since_id: None,
                min_id: None,
                limit: LIST_PAGE,
            })?;
        for (_, domain) in &page {
            out.push_str(domain);
            out.push('\n');
        }
        match page.last() {
            Some((id, _)) if page.len() == LIST_PAGE => max_id = Some(*id),
            _ => break,
        }
    }
    Ok(out)
}

/// Domain blocks read per store page when listing them all.
const LIST_PAGE: usize = 200;

/// Binds the admin socket, before the server says it listens, so a
/// command run as soon as the server is up finds it. A socket left by a
/// killed server is replaced: whoever holds the store (we do) owns it.
#[cfg(unix)]
pub fn bind(data_dir: &Path) -> Option<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = match tokio::net::UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(
                "no admin socket at {} ({e}); backup, prune and domain-block need the server stopped",
                path.display()
            );
            return None;
        }
    };
    if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!("cannot make {} private: {e}", path.display());
    }
    Some(listener)
}

/// Answers on the admin socket until the server stops. Each request
/// runs in its own task, so a panic ends only that request.
#[cfg(unix)]
pub async fn serve(state: AppState, listener: Option<tokio::net::UnixListener>) {
    let Some(listener) = listener else {
        return;
    };
    let path = socket_path(&state.data_dir);
    let own_uid = own_uid(&path);
    let mut stopping = state.stopping.subscribe();
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = stopping.changed() => break,
        };
        let (stream, _) = match conn {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("admin socket: {e}");
                continue;
            }
        };
        let allowed = stream
            .peer_cred()
            .is_ok_and(|c| c.uid() == 0 || Some(c.uid()) == own_uid);
        if !allowed {
            tracing::warn!("admin socket: refused a process of another user");
            continue;
        }
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(state, stream).await {
                tracing::warn!("admin socket: {e}");
            }
        });
    }
    let _ = std::fs::remove_file(&path);
}

/// The user this process runs as: the owner of the socket it just made.
#[cfg(unix)]
fn own_uid(socket: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(socket).ok().map(|m| m.uid())
}

#[cfg(unix)]
async fn handle(state: AppState, stream: tokio::net::UnixStream) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let mut reader = tokio::io::BufReader::new(stream);
    let mut line = String::new();
    (&mut reader)
        .take(MAX_REQUEST_BYTES)
        .read_line(&mut line)
        .await?;
    let mut stream = reader.into_inner();
    let req: Request = match serde_json::from_str(line.trim_end()) {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("error this Burrow doesn't know that request ({e}); is the command from another version?\n");
            return stream.write_all(msg.as_bytes()).await;
        }
    };
    if req == Request::Backup {
        stream.write_all(b"ok\n").await?;
        let mut out = stream.into_std()?;
        out.set_nonblocking(false)?;
        out.set_write_timeout(Some(BACKUP_STALL))?;
        let (store, data_dir) = (state.store.clone(), state.data_dir.clone());
        let written = tokio::task::spawn_blocking(move || {
            crate::ops::backup::write(&store, &data_dir, &mut out, &mut |_| {})
        })
        .await
        .map_err(std::io::Error::other)?;
        // The command checks the archive; a failure shows there as a
        // damaged file, and is logged here with its reason.
        if let Err(e) = written {
            tracing::error!("backup over the admin socket failed: {e}");
        }
        return Ok(());
    }
    let reply = match answer(&state, &req).await {
        Ok(text) => format!("ok\n{text}"),
        Err(msg) => format!("error {}\n", msg.replace('\n', " ")),
    };
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

/// The running server's admin socket, or `None` when no server answers
/// there (none runs, or it was killed and left the file).
#[cfg(unix)]
pub fn connect(data_dir: &Path) -> Option<std::os::unix::net::UnixStream> {
    std::os::unix::net::UnixStream::connect(socket_path(data_dir)).ok()
}

#[cfg(not(unix))]
pub fn bind(_data_dir: &Path) -> Option<()> {
    None
}

#[cfg(not(unix))]
pub async fn serve(_state: AppState, _listener: Option<()>) {}

#[cfg(not(unix))]
pub fn connect(_data_dir: &Path) -> Option<std::fs::File> {
    None
}

/// Sends `req` and reads the status line: the answer's bytes follow in
/// the returned reader, or the server's error message is returned.
pub fn ask<S: Read + Write>(mut stream: S, req: &Request) -> Result<impl Read, String> {
    let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .map_err(|e| format!("the server's admin socket failed: {e}"))?;
    let mut reader = std::io::BufReader::new(stream);
    let mut status = String::new();
    (&mut reader)
        .take(MAX_STATUS_BYTES)
        .read_line(&mut status)
        .map_err(|e| format!("the server's admin socket failed: {e}"))?;
    let status = status.trim_end();
    if status == "ok" {
        Ok(reader)
    } else if let Some(msg) = status.strip_prefix("error ") {
        Err(msg.to_string())
    } else {
        Err("the server closed its admin socket without an answer; see its log".into())
    }
}
