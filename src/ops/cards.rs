//! Link preview cards, as Mastodon makes them: after a status with a
//! link is stored (the owner's or a peer's), the first eligible link's
//! page is fetched, off the request path, and its OpenGraph, Twitter-card
//! or plain `<title>` description becomes the status's `card`.
//!
//! The work list is durable (`store::cards`: a job filed by the status
//! write itself), so a restart loses no pending card. The worker sleeps
//! until the first job is due and, like the poll worker, wakes on every
//! status event (any stored status change is announced there): no
//! polling, and no operation has to remember to wake it.
//!
//! Pages are fetched through the SSRF-safe fetcher (private addresses
//! refused unless `allow_private_network`), only from hosts the owner has
//! not blocked, at most [`HOST_BURST`] at once per host and then one per
//! [`HOST_INTERVAL_MS`]; only the head of a page is read, at most
//! [`MAX_PAGE_BYTES`]. A card is kept once per link and shared by every
//! status showing it; the image is an address, never downloaded.

use super::{durable, emit, OpResult};
use crate::content::cards::{card_link, parse_page, PageMeta};
use crate::events::Event;
use crate::federation::transient;
use crate::state::AppState;
use crate::store::cards::{may_have_card, Card, CardJob};
use crate::store::statuses::Status;
use crate::time_fmt::{now_ms, parse_rfc3339_ms};
use std::collections::HashMap;
use std::time::Duration;

/// Most of a page read: its head is what matters, and real heads are a
/// few KiB; reading also stops at `</head>`.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Jobs handled per look at the list; a backlog is worked in batches.
pub const JOBS_PER_PASS: usize = 16;
/// Longest sleep even when the next job is far off: the wall clock can
/// step, so the worker looks again at least this often.
pub const MAX_SLEEP_MS: i64 = 10 * 60 * 1000;
/// Pause after the list itself could not be read.
pub const PAUSE_AFTER_STORE_ERROR: Duration = Duration::from_secs(60);
/// Passing failures (timeouts, 5xx) retried before a card is given up.
pub const MAX_ATTEMPTS: u8 = 4;
/// First retry after a passing failure, doubling after.
pub const FIRST_RETRY_MS: i64 = 60_000;
/// Pages fetched from one host at once before the pace below applies:
/// a thread of posts linking one site fetches a few at once.
pub const HOST_BURST: i64 = 5;
/// Then one page per host this often.
pub const HOST_INTERVAL_MS: i64 = 10_000;
/// Hosts whose pace is remembered; beyond it the memory starts afresh
/// (a peer naming many hosts only spends its own burst).
pub const MAX_HOSTS_TRACKED: usize = 1_024;

/// Set in a job's stored byte (beside its attempts) once its fetch time
/// was reserved in its host's pace: when it comes due it fetches without
/// asking again, so a thousand links to one site are each moved once,
/// not at every turn of the site.
const PACED: u8 = 0x80;

/// Per-host pace of page fetches (a token bucket kept as the time the
/// next fetch would be on pace), in memory: a restart forgets it, which
/// costs at most one burst per host.
#[derive(Default)]
pub struct HostPace {
    next_ms: HashMap<String, i64>,
}

impl HostPace {
    /// Reserves a fetch for `host`: `Ok` to fetch now, or the later time
    /// reserved for it.
    pub fn take(&mut self, host: &str, now: i64) -> Result<(), i64> {
        if self.next_ms.len() >= MAX_HOSTS_TRACKED && !self.next_ms.contains_key(host) {
            self.next_ms.clear();
        }
        let next = self.next_ms.get(host).copied().unwrap_or(now).max(now);
        let slot = next - (HOST_BURST - 1) * HOST_INTERVAL_MS;
        self.next_ms
            .insert(host.to_string(), next + HOST_INTERVAL_MS);
        if slot > now {
            Err(slot)
        } else {
            Ok(())
        }
    }
}

/// Runs forever; spawn it once at start-up.
pub async fn run(state: AppState) {
    let mut events = state.events.subscribe();
    let mut pace = HostPace::default();
    loop {
        let now = now_ms();
        let due = match state.store.card_jobs(now, JOBS_PER_PASS) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("the card job list is unreadable: {e}");
                tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                continue;
            }
        };
        if !due.is_empty() {
            for j in due {
                if let Err(err) = handle(&state, &mut pace, j).await {
                    // One job that cannot be done must not hold back the
                    // rest: it goes, at the cost of that card.
                    tracing::error!("cannot make the card of status {}: {err}", j.status_id);
                    if let Err(err) = state.store.transact(|tx| tx.take_card_job(j)) {
                        tracing::error!("cannot drop its card job either: {err}");
                        tokio::time::sleep(PAUSE_AFTER_STORE_ERROR).await;
                    }
                }
            }
            continue;
        }
        let wait = match state.store.next_card_job() {
            Ok(Some(next)) => (next.due_ms - now).clamp(1, MAX_SLEEP_MS),
            _ => MAX_SLEEP_MS,
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
            r = events.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                    return;
                }
            }
        }
    }
}

/// The link of `s` that gets a card, if any (see `content::cards`).
pub fn eligible_link(state: &AppState, s: &Status) -> Option<String> {
    if !may_have_card(s) {
        return None;
    }
    let mut skip: Vec<&str> = Vec::new();
    for m in &s.mentions {
        skip.push(&m.url);
        skip.push(&m.uri);
    }
    skip.extend(s.remote_media.iter().map(|m| m.url.as_str()));
    let local = crate::host::of_url(&state.urls.base).unwrap_or_default();
    card_link(&s.content, &skip, &local)
}

/// Does one job: attaches a stored card, fetches a page for a new one,
/// takes a card away from a status whose link went, or waits for the
/// host's pace.
pub async fn handle(state: &AppState, pace: &mut HostPace, j: CardJob) -> OpResult<()> {
    let Some(s) = state.store.status(j.status_id)? else {
        state.store.transact(|tx| tx.take_card_job(j))?;
        return Ok(());
    };
    let Some(link) = eligible_link(state, &s) else {
        return finish(state, j, None).await;
    };
    if s.card_url.as_deref() == Some(link.as_str()) {
        state.store.transact(|tx| tx.take_card_job(j))?;
        return Ok(());
    }
    if state.store.card(&link)?.is_some() {
        return finish(state, j, Some((&link, None))).await;
    }
    let host = crate::host::of_url(&link).unwrap_or_default();
    if state.store.is_domain_blocked(&host)? {
        return finish(state, j, None).await;
    }
    let now = now_ms();
    let attempts = j.attempts & !PACED;
    if j.attempts & PACED == 0 {
        if let Err(slot_ms) = pace.take(&host, now) {
            state
                .store
                .transact(|tx| tx.retry_card_job(j, slot_ms, attempts | PACED))?;
            return Ok(());
        }
    }
    match state.fetcher.fetch_html(&link, MAX_PAGE_BYTES).await {
        Ok(page) => {
            // A redirect may lead to a host the owner blocked.
            let landed = crate::host::of_url(page.url.as_str()).unwrap_or_default();
            if state.store.is_domain_blocked(&landed)? {
                return finish(state, j, None).await;
            }
            match parse_page(&page.html, &page.url) {
                Some(meta) => {
                    let card = card_of(&link, meta, now);
                    finish(state, j, Some((&link, Some(&card)))).await
                }
                None => finish(state, j, None).await,
            }
        }
        Err(e) if transient::is_transient(&e) && attempts + 1 < MAX_ATTEMPTS => {
            let backoff = FIRST_RETRY_MS.saturating_mul(1 << attempts);
            tracing::info!("no card for {link} yet: {e}");
            // A retry asks the host's pace again.
            state
                .store
                .transact(|tx| tx.retry_card_job(j, now + backoff, attempts + 1))?;
            Ok(())
        }
        Err(e) => {
            tracing::info!("no card for {link}: {e}");
            finish(state, j, None).await
        }
    }
}

/// Takes the job and, in the same transaction, attaches the card for the
/// link (`fresh` stored first when given), or takes the status's card
/// away when there is none. A status whose card changed is announced,
/// so streaming clients see it arrive (`status.update`, as Mastodon).
async fn finish(state: &AppState, j: CardJob, card: Option<(&str, Option<&Card>)>) -> OpResult<()> {
    let changed = state.store.transact(|tx| {
        if !tx.take_card_job(j)? {
            return Ok(false);
        }
        match card {
            Some((url, fresh)) => tx.attach_card(j.status_id, url, fresh),
            None => tx.detach_card(j.status_id),
        }
    })?;
    if changed {
        durable(state).await?;
        emit(state, Event::StatusUpdated(j.status_id));
    }
    Ok(())
}

fn card_of(link: &str, meta: PageMeta, now: i64) -> Card {
    Card {
        url: meta.canonical_url.unwrap_or_else(|| link.to_string()),
        title: meta.title,
        description: meta.description,
        author_name: meta.author_name,
        author_url: String::new(),
        provider_name: meta.site_name,
        provider_url: String::new(),
        image: meta.image,
        image_description: meta.image_description,
        width: meta.image_width,
        height: meta.image_height,
        language: meta.language,
        published_at_ms: meta.published.as_deref().and_then(parse_rfc3339_ms),
        fetched_at_ms: now,
        refs: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_gets_its_burst_then_one_slot_each_at_its_pace() {
        let mut pace = HostPace::default();
        for _ in 0..HOST_BURST {
            assert_eq!(pace.take("a.example", 1_000), Ok(()));
        }
        for n in 1..=3 {
            assert_eq!(
                pace.take("a.example", 1_000),
                Err(1_000 + n * HOST_INTERVAL_MS)
            );
        }
        assert_eq!(pace.take("b.example", 1_000), Ok(()));
        // Once the reserved slots have passed, the host is free again.
        assert_eq!(
            pace.take("a.example", 1_000 + 10 * HOST_INTERVAL_MS),
            Ok(())
        );
    }
}
