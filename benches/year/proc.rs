//! The server under test: the real release binary as a child process,
//! and what Linux tells about it (`/proc/PID/status`, `stat`, `io`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The owner's password in the benchmark store.
pub const PASSWORD: &str = "benchmark password 1";
/// The owner's username.
pub const USERNAME: &str = "me";

/// How the server is confined while measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limits {
    /// As the machine is.
    None,
    /// A Pi-like box: one core (`taskset -c 0`) and 256 MiB of memory
    /// (a cgroup v2 `memory.max`, where the machine lets us make one).
    Pi,
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
    /// The cgroup made for a Pi-limited run, removed on drop.
    cgroup: Option<PathBuf>,
    /// Time from spawn to the first answered request.
    pub cold_start: Duration,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_burrow")
}

/// `burrow init` for a new store.
pub fn init(data: &Path, base: &str) {
    let mut child = Command::new(binary())
        .args(["init", "--data-dir"])
        .arg(data)
        .args([
            "--public-url",
            base,
            "--username",
            USERNAME,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the burrow binary starts");
    use std::io::Write;
    let _ = writeln!(child.stdin.take().expect("stdin"), "{PASSWORD}");
    assert!(
        child.wait().expect("init ends").success(),
        "burrow init failed"
    );
}

impl Server {
    /// Starts `burrow serve` and waits until it answers.
    pub async fn start(data: &Path, base: &str, limits: Limits) -> Server {
        let listen = base.trim_start_matches("http://").to_string();
        let mut cmd = match limits {
            Limits::None => Command::new(binary()),
            Limits::Pi => {
                let mut c = Command::new("taskset");
                c.args(["-c", "0", binary()]);
                c
            }
        };
        cmd.args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", &listen, "--public-url", base])
            .arg("--allow-private-network")
            .env("RUST_LOG", "burrow=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let began = Instant::now();
        let child = cmd.spawn().expect("the burrow binary starts");
        let pid = child.id();
        let cgroup = match limits {
            Limits::Pi => pi_cgroup(pid),
            Limits::None => None,
        };
        let client = reqwest::Client::new();
        let probe = format!("{base}/.well-known/nodeinfo");
        loop {
            if let Ok(r) = client.get(&probe).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "the server did not answer within a minute"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Server {
            child,
            pid,
            base: base.to_string(),
            cgroup,
            cold_start: began.elapsed(),
        }
    }

    /// Stops the server with SIGTERM (a clean shutdown flushes).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
        if let Some(cg) = self.cgroup.take() {
            let _ = std::fs::remove_dir(cg);
        }
    }

    pub fn status_kib(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Resident memory now, KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Highest resident memory so far, KiB.
    pub fn hwm_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// User plus system CPU time so far.
    pub fn cpu(&self) -> Duration {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The command name may hold spaces: fields count from after ')'.
        let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // After ')': state is field 0, utime 11, stime 12 (clock ticks).
        let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        Duration::from_millis(ticks * 1000 / clock_ticks())
    }

    /// Bytes this process caused to be written to storage, and bytes it
    /// handed to `write` calls (the first is 0 where the kernel does not
    /// account block I/O per process).
    pub fn written(&self) -> (u64, u64) {
        let s = std::fs::read_to_string(format!("/proc/{}/io", self.pid)).unwrap_or_default();
        let get = |k: &str| {
            s.lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (get("write_bytes:"), get("wchar:"))
    }

    /// Waits until the server has used no CPU for `quiet`: queued work
    /// (inbox jobs, deliveries) is done. Returns when that began.
    pub async fn settle(&self, quiet: Duration) -> Instant {
        let mut last = self.cpu();
        let mut since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.cpu();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return since;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(cg) = self.cgroup.take() {
            let _ = std::fs::remove_dir(cg);
        }
    }
}

fn clock_ticks() -> u64 {
    // Linux's USER_HZ is 100 on every architecture Burrow runs on.
    100
}

/// Puts `pid` in a new cgroup with `memory.max` 256 MiB, if cgroup v2 is
/// writable here; `None` (and a note on standard error) otherwise.
fn pi_cgroup(pid: u32) -> Option<PathBuf> {
    let dir = PathBuf::from(format!("/sys/fs/cgroup/burrow-bench-{pid}"));
    let made = std::fs::create_dir(&dir)
        .and_then(|_| std::fs::write(dir.join("memory.max"), "268435456"))
        .and_then(|_| std::fs::write(dir.join("memory.swap.max"), "0").or(Ok(())))
        .and_then(|_| std::fs::write(dir.join("cgroup.procs"), pid.to_string()));
    match made {
        Ok(()) => Some(dir),
        Err(e) => {
            eprintln!("note: no 256 MiB memory cap (cgroup v2 not writable: {e}); one core only");
            let _ = std::fs::remove_dir(&dir);
            None
        }
    }
}

/// Bytes the data directory occupies on disk (allocated blocks).
pub fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.blocks() * 512;
            }
        }
    }
    total
}
