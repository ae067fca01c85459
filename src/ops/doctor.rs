//! `burrow doctor`: checks what most often stops a home server working,
//! and says for each problem what to do. Each check gives one `Finding`;
//! the command prints them all and fails when any is a problem.

use super::OpResult;
use crate::state::AppState;
use crate::store::relations::Rel;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Below this much free space the store can't compact or grow safely.
pub const MIN_FREE_BYTES: u64 = 256 << 20;
/// Peers date-check signatures; clocks further apart than this make
/// timestamps wrong and come near those windows.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// How long a check's request may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Peers asked for the time, at most.
const MAX_PEERS_ASKED: usize = 3;

/// One check's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub check: String,
    /// `None` when all is well; else what is wrong and what to do.
    pub problem: Option<(String, String)>,
}

impl Finding {
    pub fn ok(check: impl Into<String>) -> Finding {
        Finding {
            check: check.into(),
            problem: None,
        }
    }
    pub fn problem(
        check: impl Into<String>,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            check: check.into(),
            problem: Some((what.into(), fix.into())),
        }
    }
    /// `ok   check` or `PROBLEM check: what` with the fix below it.
    pub fn line(&self) -> String {
        match &self.problem {
            None => format!("ok       {}", self.check),
            Some((what, fix)) => format!("PROBLEM  {}: {what}\n         fix: {fix}", self.check),
        }
    }
}

/// What the checks need from the store.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Facts {
    /// The owner's username, once there is an owner.
    pub username: Option<String>,
    /// A few accounts' URLs on other servers the owner follows or is
    /// followed by, to ask for the time.
    pub peers: Vec<String>,
}

pub fn facts(state: &AppState) -> OpResult<Facts> {
    let username = state.store.owner()?.map(|o| o.username);
    let mut peers = Vec::new();
    'rels: for rel in [Rel::Following, Rel::FollowedBy] {
        for id in state.store.relation_accounts(rel)? {
            if peers.len() >= MAX_PEERS_ASKED {
                break 'rels;
            }
            if let Some(a) = state.store.account(id)? {
                if a.domain.is_some() && !peers.contains(&a.uri) {
                    peers.push(a.uri);
                }
            }
        }
    }
    Ok(Facts { username, peers })
}

/// The data directory: there, writable, private, with room to grow.
pub fn check_data_dir(dir: &Path) -> Vec<Finding> {
    let name = format!("data directory {}", dir.display());
    let meta = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => {
            return vec![Finding::problem(
                &name,
                "it is a file, not a directory",
                "point --data-dir at the directory Burrow was set up in",
            )]
        }
        Err(e) => {
            return vec![Finding::problem(
                &name,
                format!("it can't be read ({e})"),
                "check the path given to --data-dir (or BURROW_DATA_DIR), or create the owner with `burrow init`",
            )]
        }
    };
    let mut out = Vec::new();
    let probe = dir.join(".doctor-write-test");
    match std::fs::write(&probe, b"ok") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            out.push(Finding::ok(format!("{name} is writable")));
        }
        Err(e) => out.push(Finding::problem(
            &name,
            format!("it is not writable ({e})"),
            format!(
                "give it to the user Burrow runs as: chown -R burrow: {}",
                dir.display()
            ),
        )),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            out.push(Finding::problem(
                &name,
                format!("others may read it (mode {mode:o}); it holds the private key and tokens"),
                format!("chmod 700 {}", dir.display()),
            ));
        } else {
            out.push(Finding::ok(format!("{name} is private")));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    match fs2::available_space(dir) {
        Ok(free) if free < MIN_FREE_BYTES => out.push(Finding::problem(
            &name,
            format!("only {} MiB free", free >> 20),
            "free some space: `burrow prune --apply` forgets old remote posts, and old backups can go",
        )),
        Ok(free) => out.push(Finding::ok(format!("{} MiB free", free >> 20))),
        Err(e) => out.push(Finding::problem(
            &name,
            format!("its free space can't be read ({e})"),
            "check the disk with `df -h`",
        )),
    }
    out
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CHECK_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("Burrow/", env!("CARGO_PKG_VERSION"), " (doctor)"))
        .build()
        .unwrap_or_default()
}

/// WebFinger for the owner, fetched through the public URL, as a peer
/// would: proves the name, the address and any proxy in front agree.
pub async fn check_public_url(public_url: &str, username: &str) -> Finding {
    let check = format!("{public_url} answers for @{username}");
    let host = crate::urls::Urls::new(public_url).host;
    let acct = format!("acct:{username}@{host}");
    let url = format!("{public_url}/.well-known/webfinger");
    let answer = client()
        .get(&url)
        .query(&[("resource", &acct)])
        .send()
        .await;
    let fix = "make sure the server runs, that public_url is how the world reaches it, and that the router or proxy forwards it to Burrow's listen address";
    match answer {
        Err(e) => Finding::problem(check, format!("it can't be reached ({e})"), fix),
        Ok(res) if !res.status().is_success() => {
            Finding::problem(check, format!("WebFinger answered {}", res.status()), fix)
        }
        Ok(res) => match res.json::<serde_json::Value>().await {
            Ok(j) if j.get("subject").and_then(|s| s.as_str()) == Some(&acct) => Finding::ok(check),
            _ => Finding::problem(
                check,
                "something else answers there (not this Burrow's WebFinger)",
                fix,
            ),
        },
    }
}

/// The clock, against the `Date` of the first peer that answers. Skipped
/// (not a problem) when no peer is known or none answers.
pub async fn check_clock(peers: &[String]) -> Finding {
    for peer in peers {
        let Ok(url) = url::Url::parse(peer) else {
            continue;
        };
        let Ok(res) = client().head(url).send().await else {
            continue;
        };
        let Some(date) = res
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| httpdate::parse_http_date(d).ok())
        else {
            continue;
        };
        let now = std::time::SystemTime::now();
        let skew = now
            .duration_since(date)
            .or_else(|_| date.duration_since(now))
            .unwrap_or_default();
        let host = url::Url::parse(peer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        return if skew > MAX_CLOCK_SKEW {
            Finding::problem(
                "clock",
                format!("it is {} s away from {host}'s", skew.as_secs()),
                "turn on time synchronisation: sudo timedatectl set-ntp true",
            )
        } else {
            Finding::ok(format!("clock agrees with {host}'s"))
        };
    }
    Finding::ok("clock not compared (no known peer answered)")
}
