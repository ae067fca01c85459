//! Filling in a thread from the other side: the replies the owner was
//! never sent, fetched by walking each status's `replies` collection, as
//! Mastodon 4.4 does.
//!
//! A walk is asked for when the owner opens a thread (API `context`, the
//! web status page) or a followed account's post arrives showing replies.
//! It never runs on the request path: `schedule` files the thread's root
//! in a small in-memory set and wakes the walker, which otherwise sleeps.
//! The first view shows what is stored; what a walk adds is streamed as
//! an update of the status it replies to (whose reply count changed).
//!
//! Everything a walk reads comes from strangers, so it is bounded: depth,
//! statuses, bytes, fetches and time per walk; pages per collection and
//! items per page; fetches per host (a token bucket); and a thread walked
//! is not walked again for a while. Every fetch goes through the
//! SSRF-safe fetcher; hosts the owner blocked are never asked; and each
//! reply found is fetched from its own origin and stored through the same
//! path as inbound posts (`ops::inbound::store_remote_status`), so an
//! object is believed only from its origin.
//!
//! Collections are read in every shape in use: Mastodon's `Collection`
//! with an embedded `first` `CollectionPage` of `items`, GoToSocial's
//! `OrderedCollection` whose `first` (a link or an embedded page) is an
//! `OrderedCollectionPage` of `orderedItems`; items as ids or as embedded
//! objects (of which only the id is used).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::fetcher::{owner_signer, Document};
use super::origin::id_of;
use crate::events::Event;
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use crate::store::statuses::Status;
use crate::time_fmt::now_ms;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Levels of replies below the root a walk goes (Mastodon's default).
pub const MAX_WALK_DEPTH: usize = 10;
/// Statuses a walk looks at (stored or fetched), root included.
pub const MAX_WALK_STATUSES: usize = 200;
/// Requests one walk makes, pages and statuses together.
pub const MAX_WALK_FETCHES: usize = 3 * MAX_WALK_STATUSES;
/// JSON read by one walk; each document is also capped by the fetcher.
pub const MAX_WALK_BYTES: usize = 8 * 1024 * 1024;
/// Time one walk may take, waits for a host's allowance included.
pub const WALK_BUDGET: Duration = Duration::from_secs(60);
/// Pages of one replies collection read.
pub const MAX_PAGES_PER_COLLECTION: usize = 8;
/// Items read from one page; a longer page is cut.
pub const MAX_ITEMS_PER_PAGE: usize = 100;
/// A thread walked is not walked again within this time.
pub const WALK_COOLDOWN_MS: i64 = 15 * 60 * 1000;
/// Threads remembered as recently walked; beyond it, old ones are
/// forgotten first, and new walks wait for room.
pub const MAX_RECENT_WALKS: usize = 1024;
/// Walks waiting to run; more are refused until the walker catches up.
pub const MAX_PENDING_WALKS: usize = 32;
/// Requests a walk may make to one host at once, then one per
/// `HOST_REFILL_MS` (shared by all walks).
pub const HOST_BURST: f64 = 30.0;
/// Time for one more request to a host, once its burst is spent.
pub const HOST_REFILL_MS: u64 = 500;
/// Hosts with an allowance remembered; full ones are forgotten first.
pub const MAX_RATE_HOSTS: usize = 256;
/// Ancestors followed up to find where a thread begins.
pub const MAX_ROOT_STEPS: usize = 64;

/// The walker's state: pending walks, recent ones, hosts' allowances.
pub struct Walks {
    inner: Mutex<Inner>,
    wake: tokio::sync::Notify,
    /// Milliseconds per request to one host once the burst is spent;
    /// `HOST_REFILL_MS` in production, 0 (no limit) in some tests.
    pub host_refill_ms: AtomicU64,
    /// Walks finished since start, for tests and the log.
    pub finished: AtomicU64,
}

#[derive(Default)]
struct Inner {
    pending: VecDeque<String>,
    /// Root URI → when its walk was scheduled (ms).
    recent: HashMap<String, i64>,
    /// Host → (tokens, when counted, ms).
    hosts: HashMap<String, (f64, i64)>,
}

impl Default for Walks {
    fn default() -> Self {
        Walks {
            inner: Mutex::default(),
            wake: tokio::sync::Notify::new(),
            host_refill_ms: AtomicU64::new(HOST_REFILL_MS),
            finished: AtomicU64::new(0),
        }
    }
}

impl Walks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Files a walk of the thread under `root` unless it was walked (or
    /// filed) within `WALK_COOLDOWN_MS` or no room is left; true when
    /// filed.
    pub fn schedule(&self, root: &str, now: i64) -> bool {
        let mut inner = self.lock();
        if inner
            .recent
            .get(root)
            .is_some_and(|&at| now - at < WALK_COOLDOWN_MS)
        {
            return false;
        }
        if inner.pending.len() >= MAX_PENDING_WALKS {
            return false;
        }
        if inner.recent.len() >= MAX_RECENT_WALKS {
            inner.recent.retain(|_, at| now - *at < WALK_COOLDOWN_MS);
            if inner.recent.len() >= MAX_RECENT_WALKS {
                return false;
            }
        }
        inner.recent.insert(root.to_string(), now);
        inner.pending.push_back(root.to_string());
        drop(inner);
        self.wake.notify_one();
        true
    }

    fn take(&self) -> Option<String> {
        self.lock().pending.pop_front()
    }

    /// Takes one request's allowance at `host`: how long to wait before
    /// sending it (zero within the burst).
    fn reserve(&self, host: &str, now: i64) -> Duration {
        let refill = self.host_refill_ms.load(Ordering::Relaxed);
        if refill == 0 {
            return Duration::ZERO;
        }
        let mut inner = self.lock();
        if inner.hosts.len() >= MAX_RATE_HOSTS && !inner.hosts.contains_key(host) {
            let full = |(tokens, at): &(f64, i64)| {
                tokens + (now - at) as f64 / refill as f64 >= HOST_BURST
            };
            inner.hosts.retain(|_, v| !full(v));
            if inner.hosts.len() >= MAX_RATE_HOSTS {
                inner.hosts.clear();
            }
        }
        let (tokens, at) = inner.hosts.get(host).copied().unwrap_or((HOST_BURST, now));
        let tokens = (tokens + (now - at).max(0) as f64 / refill as f64).min(HOST_BURST) - 1.0;
        inner.hosts.insert(host.to_string(), (tokens, now));
        if tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_millis((-tokens * refill as f64).ceil() as u64)
        }
    }
}

/// The owner opened the thread around `s`: walk it from its root, if
/// this viewer may make the server fetch (`Viewer::may_fetch_remote`).
pub fn thread_opened(state: &AppState, viewer: &Viewer, s: &Status) {
    if !viewer.may_fetch_remote() {
        return;
    }
    let mut root = s.clone();
    for _ in 0..MAX_ROOT_STEPS {
        match root.in_reply_to_id.map(|p| state.store.status(p)) {
            Some(Ok(Some(parent))) => root = parent,
            _ => break,
        }
    }
    if state.walks.schedule(&root.uri, now_ms()) {
        tracing::debug!("walking the replies under {}", root.uri);
    }
}

/// Whether a post's `replies` shows any reply: a count above zero, or
/// items on an embedded page. (A link to a next page alone is no sign:
/// Mastodon always gives one.)
pub fn shows_replies(doc: &Value) -> bool {
    let Some(replies) = doc.get("replies") else {
        return false;
    };
    if replies
        .get("totalItems")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 0)
    {
        return true;
    }
    let first = replies.get("first").unwrap_or(&Value::Null);
    [replies, first]
        .iter()
        .any(|v| !read_page(v).items.is_empty())
}

/// The walker: runs filed walks one at a time; sleeps until one is filed.
pub async fn run(state: AppState) {
    loop {
        let Some(root) = state.walks.take() else {
            state.walks.wake.notified().await;
            continue;
        };
        let mut walk = Walk::default();
        let done = tokio::time::timeout(WALK_BUDGET, walk.run(&state, &root)).await;
        tracing::info!(
            "walked the replies under {root}: {} statuses looked at, {} stored, {} requests, {} bytes{}",
            walk.statuses,
            walk.stored,
            walk.fetches,
            walk.bytes,
            if done.is_err() { ", stopped at the time budget" } else { "" }
        );
        state.walks.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one walk has spent so far.
#[derive(Default)]
struct Walk {
    statuses: usize,
    stored: usize,
    fetches: usize,
    bytes: usize,
}

impl Walk {
    async fn run(&mut self, state: &AppState, root: &str) {
        let mut queue = VecDeque::from([(root.to_string(), 0usize)]);
        let mut seen = HashSet::from([root.to_string()]);
        while let Some((uri, depth)) = queue.pop_front() {
            if self.statuses >= MAX_WALK_STATUSES {
                break;
            }
            self.statuses += 1;
            // At the last level the status is stored, its replies not read.
            let deeper = depth < MAX_WALK_DEPTH;
            for c in self.children(state, &uri, deeper).await {
                // Never more queued than the walk may still look at.
                if seen.len() >= MAX_WALK_STATUSES {
                    break;
                }
                if seen.insert(c.clone()) {
                    queue.push_back((c, depth + 1));
                }
            }
        }
    }

    /// The replies to the status at `uri` (none unless `deeper`): stored
    /// ones for the owner's own statuses; otherwise its origin's replies
    /// collection, after storing the status itself when it is new here.
    async fn children(&mut self, state: &AppState, uri: &str, deeper: bool) -> Vec<String> {
        let stored = state.store.status_by_uri(uri).ok().flatten();
        if let Some(s) = stored.as_ref().filter(|s| s.local) {
            if !deeper {
                return Vec::new();
            }
            return state
                .store
                .replies_after(s.id, None, MAX_ITEMS_PER_PAGE * MAX_PAGES_PER_COLLECTION)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|id| state.store.status(id).ok().flatten())
                .map(|r| r.uri)
                .collect();
        }
        let Some(doc) = self.get(state, uri, true).await else {
            return Vec::new();
        };
        if stored.is_none() {
            match crate::ops::inbound::store_remote_status(state, &doc.json, 1).await {
                Ok(Some(s)) => {
                    self.stored += 1;
                    if let Some(parent) = s.in_reply_to_id {
                        let _ = state.events.send(Event::StatusUpdated(parent));
                    }
                }
                Ok(None) => return Vec::new(),
                Err(e) => {
                    tracing::info!("not keeping {uri} found in a thread: {e}");
                    return Vec::new();
                }
            }
        }
        match doc.json.get("replies") {
            Some(r) if deeper => self.collection(state, uri, r).await,
            _ => Vec::new(),
        }
    }

    /// Item ids of a replies collection (given inline or by its URL),
    /// page after page, all on the status's own server.
    async fn collection(&mut self, state: &AppState, status: &str, replies: &Value) -> Vec<String> {
        let mut page = match replies {
            Value::String(url) => match self.page(state, status, url).await {
                Some(p) => p,
                None => return Vec::new(),
            },
            v => read_page(v),
        };
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES_PER_COLLECTION {
            items.append(&mut page.items);
            let Some(next) = page.next.take() else {
                break;
            };
            match self.page(state, status, &next).await {
                Some(p) => page = p,
                None => break,
            }
        }
        items
    }

    /// Reads one page (or a collection pointing at its first page) at
    /// `url`, on the same server as `status`.
    async fn page(&mut self, state: &AppState, status: &str, url: &str) -> Option<PageRead> {
        if !crate::host::same_origin(url, status) {
            return None;
        }
        // Pages are not objects anyone stores: their items are fetched
        // one by one from their own origins, so no `id` check is needed,
        // only that a redirect did not leave the server.
        let doc = self.get(state, url, false).await?;
        if !crate::host::same_origin(doc.url.as_str(), status) {
            return None;
        }
        Some(read_page(&doc.json))
    }

    /// One request within the walk's bounds, the host's allowance and the
    /// owner's domain blocks.
    async fn get(&mut self, state: &AppState, url: &str, checked: bool) -> Option<Document> {
        let host = crate::host::of_url(url)?;
        if self.fetches >= MAX_WALK_FETCHES || self.bytes >= MAX_WALK_BYTES {
            return None;
        }
        if state.store.is_domain_blocked(&host).unwrap_or(true) {
            return None;
        }
        let wait = state.walks.reserve(&host, now_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.fetches += 1;
        let signer = owner_signer(state);
        let got = if checked {
            state.fetcher.fetch_object(url, signer.as_ref()).await
        } else {
            state.fetcher.fetch_unchecked(url, signer.as_ref()).await
        };
        match got {
            Ok(doc) => {
                self.bytes += doc.json.to_string().len();
                Some(doc)
            }
            Err(e) => {
                tracing::debug!("walking a thread: {e}");
                None
            }
        }
    }
}

/// What one page says: its item ids and where the next page is.
#[derive(Debug, Default, PartialEq)]
pub struct PageRead {
    pub items: Vec<String>,
    pub next: Option<String>,
}

/// Reads a collection or a page in any of the shapes in use. A page
/// gives its `items` or `orderedItems` and its `next`; a collection gives
/// its inline items, if any, and its `first` page, read here when
/// embedded (then that page's `next` is what follows) or left as the
/// next URL when linked. At most `MAX_ITEMS_PER_PAGE` items are read.
pub fn read_page(doc: &Value) -> PageRead {
    let items = |v: &Value| -> Vec<String> {
        let list = v
            .get("orderedItems")
            .or_else(|| v.get("items"))
            .and_then(Value::as_array);
        list.map(|a| {
            a.iter()
                .filter_map(id_of)
                .take(MAX_ITEMS_PER_PAGE)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
    };
    let mut read = PageRead {
        items: items(doc),
        next: doc.get("next").and_then(id_of).map(str::to_string),
    };
    match doc.get("first") {
        Some(first @ Value::Object(_)) => {
            let page = PageRead {
                items: items(first),
                next: first.get("next").and_then(id_of).map(str::to_string),
            };
            read.items.extend(page.items);
            read.items.truncate(MAX_ITEMS_PER_PAGE);
            read.next = page.next;
        }
        Some(Value::String(url)) => read.next = Some(url.clone()),
        _ => {}
    }
    read
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/collections/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn mastodon_replies_are_read() {
        let note = fixture("mastodon_note_replies.json");
        let first = read_page(&note["replies"]);
        assert_eq!(
            first.items,
            ["https://mastodon.example/users/ana/statuses/113000000000000002"]
        );
        assert_eq!(
            first.next.as_deref(),
            Some("https://mastodon.example/users/ana/statuses/113000000000000001/replies?min_id=113000000000000002&page=true")
        );
        let others = read_page(&fixture("mastodon_replies_page.json"));
        assert_eq!(others.items.len(), 2);
        assert_eq!(
            others.items[1],
            "https://gts.example/users/bo/statuses/01J2"
        );
        assert_eq!(others.next, None);
        assert!(shows_replies(&note));
    }

    #[test]
    fn gotosocial_replies_are_read() {
        let coll = read_page(&fixture("gotosocial_replies.json"));
        assert!(coll.items.is_empty());
        assert_eq!(
            coll.next.as_deref(),
            Some("https://gts.example/users/bo/statuses/01J1/replies?limit=20")
        );
        let page = read_page(&fixture("gotosocial_replies_page.json"));
        assert_eq!(
            page.items,
            [
                "https://gts.example/users/cy/statuses/01J5",
                "https://mastodon.example/users/ana/statuses/113000000000000009"
            ]
        );
        assert_eq!(
            page.next.as_deref(),
            Some("https://gts.example/users/bo/statuses/01J1/replies?limit=20&max_id=01J4")
        );
    }

    #[test]
    fn hostile_shapes_are_bounded_or_empty() {
        let many: Vec<Value> = (0..10_000)
            .map(|i| Value::String(format!("https://x.example/{i}")))
            .collect();
        let page = serde_json::json!({"type": "CollectionPage", "items": many, "next": 7});
        let read = read_page(&page);
        assert_eq!(read.items.len(), MAX_ITEMS_PER_PAGE);
        assert_eq!(read.next, None);
        for odd in [
            serde_json::json!(null),
            serde_json::json!([1, 2]),
            serde_json::json!({"items": "nope", "first": 3}),
            serde_json::json!({"orderedItems": [null, {"no": "id"}, 5]}),
        ] {
            assert_eq!(read_page(&odd), PageRead::default());
        }
        assert!(!shows_replies(&serde_json::json!({"replies": {
            "type": "Collection",
            "first": {"type": "CollectionPage", "next": "https://x/n", "items": []}
        }})));
    }

    #[test]
    fn a_thread_is_walked_once_within_the_cooldown() {
        let w = Walks::default();
        assert!(w.schedule("https://x/1", 0));
        assert!(!w.schedule("https://x/1", WALK_COOLDOWN_MS - 1));
        assert_eq!(w.take().as_deref(), Some("https://x/1"));
        assert!(w.schedule("https://x/1", WALK_COOLDOWN_MS));
    }

    #[test]
    fn pending_and_remembered_walks_are_bounded() {
        let w = Walks::default();
        for i in 0..MAX_PENDING_WALKS {
            assert!(w.schedule(&format!("https://x/{i}"), 0));
        }
        assert!(!w.schedule("https://x/more", 0), "no room while pending");
        while w.take().is_some() {}
        for i in MAX_PENDING_WALKS..MAX_RECENT_WALKS {
            assert!(w.schedule(&format!("https://x/{i}"), 0));
            w.take();
        }
        assert!(
            !w.schedule("https://x/late", 1),
            "remembered ones are still recent"
        );
        assert!(
            w.schedule("https://x/late", WALK_COOLDOWN_MS),
            "old ones are forgotten"
        );
        assert!(w.lock().recent.len() <= MAX_RECENT_WALKS);
    }

    #[test]
    fn each_host_gets_a_burst_then_a_steady_allowance() {
        let w = Walks::default();
        for _ in 0..HOST_BURST as usize {
            assert_eq!(w.reserve("a.example", 0), Duration::ZERO);
        }
        assert_eq!(
            w.reserve("a.example", 0),
            Duration::from_millis(HOST_REFILL_MS)
        );
        assert_eq!(
            w.reserve("a.example", 0),
            Duration::from_millis(2 * HOST_REFILL_MS)
        );
        assert_eq!(w.reserve("b.example", 0), Duration::ZERO, "hosts apart");
        for i in 0..MAX_RATE_HOSTS * 2 {
            w.reserve(&format!("h{i}.example"), 0);
        }
        assert!(w.lock().hosts.len() <= MAX_RATE_HOSTS);
    }
}
