//! The real `burrow` binary as a child process, for tests that need what
//! an in-process server can't give: its own resident memory, and a death
//! by SIGKILL with nothing flushed on the way out.

use super::PASSWORD;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Longest wait for the "listening on" line. Only a guard against a hung
/// test: start-up takes milliseconds.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The owner every child-process server is initialised with.
pub const OWNER: &str = "owner";

/// Names another build of the binary to test (a release build, say);
/// without it, the one cargo built beside the tests.
const BIN_VAR: &str = "BURROW_TEST_BIN";

/// A `burrow` command with no `BURROW_*` settings leaking in from the
/// environment that runs the tests.
pub fn burrow() -> Command {
    let bin = std::env::var_os(BIN_VAR)
        .unwrap_or_else(|| std::ffi::OsString::from(env!("CARGO_BIN_EXE_burrow")));
    let mut cmd = Command::new(bin);
    for var in [
        "BURROW_DATA_DIR",
        "BURROW_LISTEN",
        "BURROW_PUBLIC_URL",
        "BURROW_CACHE_MIB",
        "BURROW_ALLOW_PRIVATE_NETWORK",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "burrow=info");
    cmd
}

/// A port nobody listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Where a child-process server keeps its data and answers.
pub struct Site {
    pub data: PathBuf,
    /// `127.0.0.1:PORT`.
    pub listen: String,
    /// `http://127.0.0.1:PORT`, also the public URL.
    pub base: String,
    /// Let the server fetch from and deliver to loopback peers.
    pub allow_private_network: bool,
}

impl Site {
    /// `burrow init` in `parent/data` for a server on a free port.
    pub fn init(parent: &Path, allow_private_network: bool) -> Site {
        let port = free_port();
        let site = Site {
            data: parent.join("data"),
            listen: format!("127.0.0.1:{port}"),
            base: format!("http://127.0.0.1:{port}"),
            allow_private_network,
        };
        let mut child = burrow()
            .args(["init", "--data-dir"])
            .arg(&site.data)
            .args(["--public-url", &site.base, "--username", OWNER])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the burrow binary starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "burrow init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        site
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `burrow serve`, returned once it logged that it listens.
    pub fn serve(&self) -> Served {
        let mut cmd = burrow();
        cmd.arg("serve").arg("--data-dir").arg(&self.data).args([
            "--listen",
            &self.listen,
            "--public-url",
            &self.base,
        ]);
        if self.allow_private_network {
            cmd.env("BURROW_ALLOW_PRIVATE_NETWORK", "1");
        }
        let mut served = Served::spawn(&mut cmd);
        served.wait_for("listening on");
        served
    }
}

/// A running `burrow serve`.
pub struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Output read so far, for failure messages.
    seen: Vec<String>,
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the most ever resident.
    pub hwm_kib: u64,
}

impl Served {
    /// `burrow ARGS` as a child process whose output is read line by line.
    pub fn start(args: &[&str]) -> Served {
        Served::spawn(burrow().args(args))
    }

    /// Runs `cmd`, draining both of its pipes for the child's whole life
    /// (so it never blocks on a full pipe) into lines for `wait_for`.
    pub fn spawn(cmd: &mut Command) -> Served {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Served {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for the first output line containing `needle`. Lines seen
    /// while waiting for something else count: stdout and stderr
    /// interleave in no fixed order.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            match self.lines.recv_timeout(START_TIMEOUT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    panic!(
                        "burrow never printed `{needle}` ({e}); output:\n{}",
                        self.seen.join("\n")
                    )
                }
            }
        }
    }

    /// Sends SIGTERM, as systemd does, and returns whether the server
    /// exited cleanly.
    pub fn terminate(mut self) -> bool {
        let ok = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
        self.child.wait().unwrap().success()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running (it has not exited or been
    /// reaped).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The server's output so far (drained without waiting), for failure
    /// messages.
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status is readable");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc status"))
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    /// SIGKILL: no handler runs, nothing is flushed on the way out.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL is delivered");
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // A failed assertion must not leave a server running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An owner's access token from the server at `base`, got through the
/// real OAuth flow (app, authorize page with the password, code, token).
pub async fn owner_token(base: &str, scopes: &str) -> String {
    super::app_and_token_at(base, scopes).await.1
}
