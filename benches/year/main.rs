//! Burrow's benchmark: builds a year of a person's life in a store, then
//! drives the real release server over loopback and reports memory,
//! speed, disk and wear against the targets. One command:
//!
//! ```text
//! cargo bench --bench year            # the year-sized store
//! cargo bench --bench year -- --quick # a small store, to try the harness
//! ```
//!
//! Options after `--`: `--quick`, `--fresh` (rebuild the cached store),
//! `--seconds N` (each load run, default 15), `--no-pi` (skip the
//! Pi-limited run). The store is built once and kept under
//! `target/bench-year/` (or `bench-quick`); every measurement runs on a
//! copy of it, so runs are alike. The table is printed and written to
//! `BENCHMARKS.md`.

mod load;
mod peers;
mod proc;
mod report;
mod seed;

use peers::Peers;
use proc::{Limits, Server};
use seed::{Api, Scale};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bump when the seeded store's contents change, so a cached one is
/// rebuilt.
const SEED_VERSION: u32 = 1;
/// Connections of each load run, as the comparison with other servers used.
const CONNS: usize = 32;

struct Opts {
    scale: Scale,
    fresh: bool,
    seconds: u64,
    pi: bool,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    Opts {
        scale: if args.iter().any(|a| a == "--quick") {
            Scale::QUICK
        } else {
            Scale::YEAR
        },
        fresh: args.iter().any(|a| a == "--fresh"),
        seconds,
        pi: !args.iter().any(|a| a == "--no-pi"),
    }
}

fn main() {
    let o = opts();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(run(o));
}

async fn run(o: Opts) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(format!("bench-{}", o.scale.name()));
    let seeded = root.join("seeded");
    let marker = root.join(format!("seeded-v{SEED_VERSION}"));
    // Fixed ports: the store remembers its own URL and its peers' URLs.
    let port: u16 = if o.scale.name() == "year" {
        18_080
    } else {
        18_090
    };
    let base = format!("http://127.0.0.1:{port}");
    let peers = Peers::start(o.scale.hosts, port + 1, &base).await;

    if o.fresh || !marker.exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("makes the bench folder");
        eprintln!(
            "building the {} store (once; kept in {})",
            o.scale.name(),
            root.display()
        );
        let began = Instant::now();
        proc::init(&seeded, &base);
        let server = Server::start(&seeded, &base, Limits::None).await;
        seed_store(&server, &peers, o.scale).await;
        server.stop();
        std::fs::write(&marker, "").expect("marks the store built");
        eprintln!("store built in {:.0} s", began.elapsed().as_secs_f64());
    }

    let mut tables = vec![];
    for limits in [Limits::None, Limits::Pi] {
        if limits == Limits::Pi && !o.pi {
            continue;
        }
        let work = root.join("run");
        let _ = std::fs::remove_dir_all(&work);
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(&seeded)
            .arg(&work)
            .status()
            .expect("cp runs");
        assert!(copied.success(), "copying the store failed");
        eprintln!("measuring ({limits:?})");
        let rows = measure(&work, &base, &peers, o.scale, limits, o.seconds).await;
        tables.push((limits, rows));
        let _ = std::fs::remove_dir_all(&work);
    }
    let text = report::render(&tables, o.scale, o.seconds);
    println!("{text}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    std::fs::write(&out, text).expect("writes BENCHMARKS.md");
    eprintln!("written to {}", out.display());
}

/// Builds the year: followers, follows, the owner's posts with media and
/// polls, remote posts, mentions and likes, bookmarks and favourites.
async fn seed_store(server: &Server, peers: &Arc<Peers>, scale: Scale) {
    let token = load::login(&server.base, proc::PASSWORD).await;
    let api = Arc::new(Api {
        base: server.base.clone(),
        token,
        client: reqwest::Client::new(),
    });
    let owner = format!("{}/users/{}", server.base, proc::USERNAME);

    // The owner's posts go in first: posted after the followers came,
    // each would owe a delivery to every follower's server, and seeding
    // would leave a backlog that the measurements then compete with.
    let a = api.clone();
    seed::each("own posts", scale.own_posts, 4, move |i| {
        let a = a.clone();
        async move {
            let mut body = json!({"status": seed::own_text(i), "visibility": "public"});
            if i % 20 == 0 {
                if let Some(m) = a.upload(i).await {
                    body["media_ids"] = json!([m]);
                }
            } else if i % 50 == 1 {
                body["poll"] = json!({"options": ["yes", "no", "maybe"], "expires_in": 86_400});
            } else if i % 10 == 3 {
                body["visibility"] = json!("private");
            }
            a.post("/api/v1/statuses", body).await.is_some()
        }
    })
    .await;

    let (p, o) = (peers.clone(), owner.clone());
    seed::each("followers", scale.accounts, 16, move |k| {
        let (p, o) = (p.clone(), o.clone());
        async move {
            let follow = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#follows/1", p.actor(k)),
                "type": "Follow",
                "actor": p.actor(k),
                "object": o,
            });
            p.send(k, follow).await == 202
        }
    })
    .await;
    server.settle(Duration::from_millis(500)).await;

    let (a, p) = (api.clone(), peers.clone());
    seed::each("follows", scale.followed, 8, move |k| {
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
    server.settle(Duration::from_millis(500)).await;

    let likes = scale.notifications / 10;
    let mentions = scale
        .notifications
        .saturating_sub(scale.accounts + likes)
        .min(scale.remote_statuses);
    let (p, o) = (peers.clone(), owner.clone());
    let (accounts, followed) = (scale.accounts, scale.followed);
    seed::each("remote statuses", scale.remote_statuses, 16, move |i| {
        let (p, o) = (p.clone(), o.clone());
        async move {
            let mention = i < mentions;
            let k = if mention { i % accounts } else { i % followed };
            p.send(k, seed::remote_create(&p, k, i, &o, mention)).await == 202
        }
    })
    .await;

    let own_ids = own_status_ids(&api, 400).await;
    let (p, b, ids) = (peers.clone(), server.base.clone(), Arc::new(own_ids));
    seed::each("likes", likes, 16, move |i| {
        let (p, b, ids) = (p.clone(), b.clone(), ids.clone());
        async move {
            let k = i % accounts;
            let Some(id) = ids.get(i % ids.len().max(1)) else {
                return false;
            };
            let like = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#likes/{i}", p.actor(k)),
                "type": "Like",
                "actor": p.actor(k),
                "object": format!("{b}/users/{}/statuses/{id}", proc::USERNAME),
            });
            p.send(k, like).await == 202
        }
    })
    .await;
    server.settle(Duration::from_millis(1000)).await;

    let home = page_all(&api, "/api/v1/timelines/home", scale.bookmarks * 2).await;
    let (a, home) = (api.clone(), Arc::new(home));
    seed::each("bookmarks and favourites", scale.bookmarks, 4, move |i| {
        let (a, home) = (a.clone(), home.clone());
        async move {
            let Some(id) = home.get(i * 2) else {
                return false;
            };
            a.post(&format!("/api/v1/statuses/{id}/bookmark"), json!({}))
                .await
                .is_some()
                && a.post(&format!("/api/v1/statuses/{id}/favourite"), json!({}))
                    .await
                    .is_some()
        }
    })
    .await;
    server.settle(Duration::from_millis(1000)).await;
}

/// Ids of the owner's newest statuses, up to `n`.
async fn own_status_ids(api: &Api, n: usize) -> Vec<String> {
    let me = api
        .get("/api/v1/accounts/verify_credentials")
        .await
        .expect("verify_credentials");
    let id = me["id"].as_str().expect("own id");
    page_all(api, &format!("/api/v1/accounts/{id}/statuses"), n).await
}

/// Pages `path` (Mastodon's `max_id` paging, 40 at a time) until `n` ids
/// or the end.
async fn page_all(api: &Api, path: &str, n: usize) -> Vec<String> {
    let mut ids: Vec<String> = vec![];
    let mut max: Option<String> = None;
    while ids.len() < n {
        let q = match &max {
            Some(m) => format!("{path}?limit=40&max_id={m}"),
            None => format!("{path}?limit=40"),
        };
        let Some(Value::Array(page)) = api.get(&q).await else {
            break;
        };
        if page.is_empty() {
            break;
        }
        for s in &page {
            if let Some(id) = s["id"].as_str() {
                ids.push(id.to_string());
            }
        }
        max = ids.last().cloned();
    }
    ids.truncate(n);
    ids
}

/// One measured figure.
pub struct Row {
    pub name: &'static str,
    pub value: String,
    pub target: &'static str,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

async fn measure(
    data: &Path,
    base: &str,
    peers: &Arc<Peers>,
    scale: Scale,
    limits: Limits,
    seconds: u64,
) -> Vec<Row> {
    let mut rows = vec![];
    let server = Server::start(data, base, limits).await;
    rows.push(Row {
        name: "cold start to first answer",
        value: format!("{:.0} ms", server.cold_start.as_secs_f64() * 1000.0),
        target: "≤ 100 ms",
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.settle(Duration::from_millis(500)).await;
    rows.push(Row {
        name: "resident memory, idle",
        value: mib(server.rss_kib()),
        target: "≤ 12 MB",
    });

    let token = load::login(base, proc::PASSWORD).await;
    rows.push(Row {
        name: "peak after one password check (OAuth login)",
        value: mib(server.hwm_kib()),
        target: "≤ 24 MB",
    });
    let api = Api {
        base: base.to_string(),
        token: token.clone(),
        client: reqwest::Client::new(),
    };
    let time = Duration::from_secs(seconds);

    let (reads_before, _) = io_read(server.pid);
    let home = load::run(
        base,
        Some(&token),
        &["/api/v1/timelines/home?limit=40".to_string()],
        CONNS,
        time,
    )
    .await;
    let (reads_after, _) = io_read(server.pid);
    rows.push(load_row(
        "GET /api/v1/timelines/home?limit=40",
        &home,
        "≥ 3,000 req/s, p99 ≤ 25 ms",
    ));
    rows.push(Row {
        name: "disk reads per home timeline request (page cache misses)",
        value: format!(
            "{:.0} B",
            reads_after.saturating_sub(reads_before) as f64 / home.requests.max(1) as f64
        ),
        target: "–",
    });

    let ids = own_status_ids(&api, 400).await;
    let paths: Vec<String> = ids
        .iter()
        .map(|i| format!("/api/v1/statuses/{i}"))
        .collect();
    let one = load::run(base, Some(&token), &paths, CONNS, time).await;
    rows.push(load_row("GET /api/v1/statuses/:id", &one, "≥ 15,000 req/s"));

    let profile = load::run(base, None, &[format!("/@{}", proc::USERNAME)], CONNS, time).await;
    rows.push(load_row(
        "public profile page (HTML)",
        &profile,
        "≥ 7,000 req/s",
    ));

    // Every status of the home timeline, paged through four times.
    for _ in 0..4 {
        page_all(&api, "/api/v1/timelines/home", usize::MAX).await;
    }
    rows.push(Row {
        name: "resident memory after paging through home four times",
        value: mib(server.rss_kib()),
        target: "≤ 12 MB idle, flat as the store grows",
    });

    // Inbox: signed Creates accepted and applied.
    let n = (scale.remote_statuses / 50).max(200);
    let owner = format!("{base}/users/{}", proc::USERNAME);
    let ((w0, c0), t0) = (server.written(), Instant::now());
    let (p, o, followed) = (peers.clone(), owner.clone(), scale.followed);
    let start = 10_000_000;
    seed::each("inbox", n, 16, move |i| {
        let (p, o) = (p.clone(), o.clone());
        async move {
            let k = i % followed;
            p.send(k, seed::remote_create(&p, k, start + i, &o, false))
                .await
                == 202
        }
    })
    .await;
    let done = server.settle(Duration::from_millis(300)).await;
    let (w1, c1) = server.written();
    rows.push(Row {
        name: "inbox: signed Create(Note) accepted and applied",
        value: format!("{:.0} /s", n as f64 / (done - t0).as_secs_f64()),
        target: "≥ 500 /s",
    });
    rows.push(Row {
        name: "bytes written per inbound activity (to storage / to write calls)",
        value: format!(
            "{} / {}",
            kib((w1 - w0) / n as u64),
            kib((c1 - c0) / n as u64)
        ),
        target: "–",
    });

    // Posting: CPU and bytes written per durable post.
    // Each post also owes a signed delivery to every follower's server;
    // that work is counted here (it is the cost of a post) and waited for.
    let posts = 100;
    let (cpu0, (w0, c0), t0) = (server.cpu(), server.written(), Instant::now());
    let api = Arc::new(api);
    let a = api.clone();
    seed::each("posting", posts, 4, move |i| {
        let a = a.clone();
        async move {
            a.post("/api/v1/statuses", json!({"status": seed::own_text(i)}))
                .await
                .is_some()
        }
    })
    .await;
    let elapsed = t0.elapsed();
    server.settle(Duration::from_millis(500)).await;
    let (cpu1, (w1, c1)) = (server.cpu(), server.written());
    rows.push(Row {
        name: "posting: server CPU per post (durable)",
        value: format!(
            "{:.2} ms ({:.0} posts/s, 4 clients)",
            (cpu1 - cpu0).as_secs_f64() * 1000.0 / posts as f64,
            posts as f64 / elapsed.as_secs_f64()
        ),
        target: "≤ 1 ms, ≥ 400 /s",
    });
    rows.push(Row {
        name: "bytes written per owner post (to storage / to write calls)",
        value: format!(
            "{} / {}",
            kib((w1 - w0) / posts as u64),
            kib((c1 - c0) / posts as u64)
        ),
        target: "–",
    });

    // Fan-out of one public post to every follower's (shared) inbox.
    let before = server.hwm_kib();
    let t0 = Instant::now();
    let posted = api
        .post(
            "/api/v1/statuses",
            json!({"status": "Fan-out test", "visibility": "public"}),
        )
        .await
        .expect("posts");
    let uri = posted["uri"].as_str().unwrap_or("").to_string();
    let mut max_rss = 0;
    let reached = loop {
        max_rss = max_rss.max(server.rss_kib());
        let got = peers
            .creates
            .lock()
            .expect("lock")
            .get(&uri)
            .copied()
            .unwrap_or(0);
        if got as usize >= scale.hosts || t0.elapsed() > Duration::from_secs(60) {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    rows.push(Row {
        name: "fan-out of one post to every follower",
        value: format!(
            "{reached} inboxes on {} hosts in {:.2} s, resident ≤ {}",
            scale.hosts,
            t0.elapsed().as_secs_f64(),
            mib(max_rss.max(before.min(max_rss)))
        ),
        target: "≤ 10 s, ≤ 32 MB",
    });

    // Idle streaming sockets.
    server.settle(Duration::from_millis(300)).await;
    let rss0 = server.rss_kib();
    let mut sockets = vec![];
    let ws = base.replace("http://", "ws://");
    for _ in 0..200 {
        let url = format!("{ws}/api/v1/streaming?stream=user&access_token={token}");
        if let Ok((s, _)) = tokio_tungstenite::connect_async(url).await {
            sockets.push(s);
        }
    }
    server.settle(Duration::from_millis(300)).await;
    let rss1 = server.rss_kib();
    rows.push(Row {
        name: "200 idle streaming sockets",
        value: format!(
            "{} sockets, +{} ({:.1} KiB each)",
            sockets.len(),
            mib(rss1.saturating_sub(rss0)),
            rss1.saturating_sub(rss0) as f64 / sockets.len().max(1) as f64
        ),
        target: "≤ 2 KiB each",
    });
    drop(sockets);

    rows.push(Row {
        name: "peak resident memory (whole run)",
        value: mib(server.hwm_kib()),
        target: "≤ 24 MB",
    });
    server.stop();
    let disk = proc::disk_bytes(data);
    let statuses = scale.own_posts + scale.remote_statuses + posts + n;
    rows.push(Row {
        name: "disk per stored status (allocated)",
        value: format!(
            "{:.2} KiB ({:.0} MB for {statuses} statuses)",
            disk as f64 / 1024.0 / statuses as f64,
            disk as f64 / 1e6
        ),
        target: "≤ 2 KiB",
    });
    rows
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn load_row(name: &'static str, l: &load::Load, target: &'static str) -> Row {
    Row {
        name,
        value: format!(
            "{:.0} req/s, p50 {:.1} ms, p99 {:.1} ms{}",
            l.per_second,
            l.p50.as_secs_f64() * 1000.0,
            l.p99.as_secs_f64() * 1000.0,
            if l.errors > 0 {
                format!(", {} errors", l.errors)
            } else {
                String::new()
            }
        ),
        target,
    }
}

/// Bytes read from storage by `pid` so far, and bytes read by calls.
fn io_read(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (get("read_bytes:"), get("rchar:"))
}
