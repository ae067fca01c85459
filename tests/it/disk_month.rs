//! The disk a busy home timeline costs: followed accounts on loopback
//! peers post through the signed inbox, dated across two months, to the
//! real binary; then `burrow prune --apply` forgets the older month. The
//! store's size and the bytes the server wrote (`/proc/PID/io`) are
//! printed before and after, with the bytes one owner post writes.
//!
//! `BURROW_MONTH_ACCOUNTS` (default 10) and `BURROW_MONTH_POSTS_PER_DAY`
//! (default 2) set the traffic; the numbers in the notes came from
//! larger values.

use crate::common::binary::{burrow, free_port, owner_token, Site};
use crate::peers::Peers;
use crate::seed;
use serde_json::{json, Value};
use std::path::Path;

/// Days of posts seeded: the older half is past `[prune] max_age_days`.
const DAYS: usize = 60;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Owner posts measured for write cost.
const OWN_POSTS: usize = 50;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes the process has caused to be written to storage so far.
fn write_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("write_bytes:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Bytes of the files under `dir`.
fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_months_of_a_busy_timeline_then_a_prune() {
    let accounts = env_or("BURROW_MONTH_ACCOUNTS", 10);
    let per_day = env_or("BURROW_MONTH_POSTS_PER_DAY", 2);
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::init(tmp.path(), true);
    let served = site.serve();
    let pid = served.pid();
    let token = owner_token(&site.base, "read write follow").await;
    let peers = Peers::start(accounts.clamp(1, 50), free_port(), &site.base).await;
    let api = std::sync::Arc::new(seed::Api {
        base: site.base.clone(),
        token: token.clone(),
        client: reqwest::Client::new(),
    });

    let (a, p) = (api.clone(), peers.clone());
    let followed = seed::each("follows", accounts, 4, move |k| {
        let (a, p) = (a.clone(), p.clone());
        async move {
            let Some(acc) = a
                .get(&format!("/api/v1/accounts/lookup?acct={}", p.acct(k)))
                .await
            else {
                return false;
            };
            let Some(id) = acc["id"].as_str() else {
                return false;
            };
            a.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
                .await
                .is_some()
        }
    })
    .await;
    assert_eq!(followed, accounts);
    let a = api.clone();
    let mut waited = 0;
    loop {
        let me = a.get("/api/v1/accounts/verify_credentials").await.unwrap();
        if me["following_count"].as_u64() == Some(accounts as u64) || waited > 600 {
            break;
        }
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let total = accounts * per_day * DAYS;
    let start_ms = burrow::time_fmt::now_ms() - DAYS as i64 * DAY_MS;
    let written_before = write_bytes(pid);
    let began = std::time::Instant::now();
    let p = peers.clone();
    let owner = format!("{}/users/owner", site.base);
    let sent = seed::each("remote statuses", total, 16, move |i| {
        let (p, owner) = (p.clone(), owner.clone());
        async move {
            let k = i % accounts;
            // Post i falls on day i / (accounts * per_day), in order.
            let at = start_ms + (i as i64 * DAYS as i64 * DAY_MS) / total as i64;
            let mut create = seed::remote_create(&p, k, i, &owner, false);
            let when = Value::from(burrow::time_fmt::iso8601_ms(at));
            create["published"] = when.clone();
            create["object"]["published"] = when;
            p.send(k, create).await == 202
        }
    })
    .await;
    assert_eq!(sent, total);
    // The inbox applies in the background; wait until the home timeline
    // holds the newest post.
    let last = format!("Post {} from", total - 1);
    let mut waited = 0;
    loop {
        let home = api.get("/api/v1/timelines/home?limit=40").await.unwrap();
        let done = home.as_array().is_some_and(|h| {
            h.iter()
                .any(|s| s["content"].as_str().is_some_and(|c| c.contains(&last)))
        });
        if done || waited > 6000 {
            break;
        }
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seeding = began.elapsed();
    let seeded_written = write_bytes(pid) - written_before;
    let db = site.data.join("db");
    let size_unpruned = size_of(&db);

    // The owner posting: bytes written per post.
    let before = write_bytes(pid);
    for i in 0..OWN_POSTS {
        api.post(
            "/api/v1/statuses",
            json!({"status": format!("my own post {i}")}),
        )
        .await
        .unwrap();
    }
    let per_own_post = (write_bytes(pid) - before) / OWN_POSTS as u64;

    // The daily prune, run by hand through the server.
    let before = write_bytes(pid);
    let out = burrow()
        .args(["prune", "--apply", "--data-dir"])
        .arg(&site.data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let prune_written = write_bytes(pid) - before;
    let size_pruned = size_of(&db);
    assert!(!report.contains(" 0 removed"), "{report}");

    // What the pruned store's records take when rewritten compactly.
    let archive = tmp.path().join("month.backup");
    let out = burrow()
        .arg("backup")
        .arg("--data-dir")
        .arg(&site.data)
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(served.terminate());
    let rebuilt = tmp.path().join("rebuilt");
    let out = burrow()
        .arg("restore")
        .arg(&archive)
        .arg("--data-dir")
        .arg(&rebuilt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size_rebuilt = size_of(&rebuilt.join("db"));

    println!(
        "disk month: {accounts} followed accounts x {per_day} posts/day x {DAYS} days = {total} statuses through the signed inbox in {:.0} s\n\
         store after {DAYS} days, unpruned: {}; server wrote {} while seeding ({} per remote status)\n\
         one owner post writes {} on average (of {OWN_POSTS})\n\
         prune --apply: {}\n  wrote {}; store files now {}; the same records rebuilt compactly (backup, restore): {}",
        seeding.as_secs_f64(),
        mib(size_unpruned),
        mib(seeded_written),
        seeded_written / total.max(1) as u64,
        per_own_post,
        report.trim().replace('\n', "; "),
        mib(prune_written),
        mib(size_pruned),
        mib(size_rebuilt),
    );
}
