//! Keeping the store small: remote statuses nobody kept are forgotten
//! after `[prune] max_age_days` (`burrow prune`, and daily in the server);
//! `burrow stats` shows records and bytes per kind.
//!
//! Kept for ever: the owner's own statuses; what the owner favourited,
//! boosted, bookmarked, pinned or muted; direct statuses, statuses that
//! mention the owner, polls the owner voted in; statuses the owner's
//! notifications name; and, for each kept status, its whole thread (what
//! it replies to, what replies to it) and what it boosts. Everything
//! younger than the age is kept too. A forgotten status takes its
//! timeline, thread, conversation and relation entries with it, so no
//! timeline pages through a missing status; it leaves no tombstone,
//! since it still exists at its origin.
//!
//! Remote accounts are not pruned (a busy month adds hundreds, not
//! hundreds of thousands), and the owner's media belong to the owner's
//! statuses, which stay; remote media are never copied here.

use super::{owner_account, OpError, OpResult};
use crate::state::AppState;
use crate::store::Store;
use std::collections::{HashMap, HashSet};

/// Statuses forgotten per transaction, so writes of the owner and the
/// inbox are never held back long.
pub const PRUNE_BATCH: usize = 200;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Which statuses a prune would forget.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub remove: Vec<u64>,
    pub remove_bytes: u64,
    pub kept: usize,
}

/// Decides, from one pass over the statuses, what goes (see the module
/// comment for what stays).
pub fn plan(store: &Store, owner_id: u64, cutoff_ms: i64) -> crate::store::Result<Plan> {
    let facts = store.status_facts(owner_id)?;
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut by_id = HashMap::with_capacity(facts.len());
    let mut work = Vec::new();
    for f in &facts {
        by_id.insert(f.id, f);
        if let Some(p) = f.in_reply_to_id {
            children.entry(p).or_default().push(f.id);
        }
        if f.local || f.personal || f.created_at_ms >= cutoff_ms {
            work.push(f.id);
        }
    }
    work.extend(store.statuses_owner_touched(owner_id)?);
    work.extend(store.statuses_notified()?);
    let mut keep = HashSet::new();
    while let Some(id) = work.pop() {
        if !keep.insert(id) {
            continue;
        }
        if let Some(f) = by_id.get(&id) {
            work.extend(f.in_reply_to_id);
            work.extend(f.reblog_of_id);
        }
        if let Some(c) = children.get(&id) {
            work.extend(c.iter().copied());
        }
    }
    let mut plan = Plan::default();
    for f in &facts {
        if keep.contains(&f.id) {
            plan.kept += 1;
        } else {
            plan.remove.push(f.id);
            plan.remove_bytes += f.bytes;
        }
    }
    Ok(plan)
}

/// `burrow stats`: one line per kind of record, then the totals.
pub fn stats_text(store: &Store) -> OpResult<String> {
    let stats = store.stats()?;
    let mut out = format!(
        "{:<16} {:<28} {:>10} {:>12}\n",
        "tree", "kind", "records", "bytes"
    );
    let (mut records, mut bytes) = (0u64, 0u64);
    for s in &stats {
        out.push_str(&format!(
            "{:<16} {:<28} {:>10} {:>12}\n",
            s.tree, s.kind, s.records, s.bytes
        ));
        records += s.records;
        bytes += s.bytes;
    }
    out.push_str(&format!(
        "{:<16} {:<28} {records:>10} {bytes:>12}\non disk: {} bytes\n",
        "total",
        "",
        store.size_on_disk()
    ));
    Ok(out)
}

/// What a prune removed, or would remove.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
}

impl Report {
    pub fn text(&self, applied: bool) -> String {
        let mut out = self.lines.join("\n");
        out.push('\n');
        if !applied {
            out.push_str("Dry run: nothing was removed. Run with --apply to remove it.\n");
        }
        out
    }
}

/// Prunes once, or only counts with `apply` false.
pub async fn run_once(state: &AppState, apply: bool) -> OpResult<Report> {
    let days = state.config.prune.max_age_days;
    let cutoff = crate::time_fmt::now_ms() - i64::from(days) * DAY_MS;
    let mut report = prune_before(state, cutoff, apply).await?;
    report.lines.insert(0, format!("older than {days} days:"));
    Ok(report)
}

/// Forgets (with `apply`; else counts) remote statuses from before
/// `cutoff_ms` that nothing keeps.
pub async fn prune_before(state: &AppState, cutoff: i64, apply: bool) -> OpResult<Report> {
    let owner = owner_account(state)?;
    let store = state.store.clone();
    let plan = tokio::task::spawn_blocking(move || plan(&store, owner.id, cutoff))
        .await
        .map_err(|e| OpError::Internal(format!("the prune task failed: {e}")))??;
    let mut removed = 0usize;
    if apply {
        for batch in plan.remove.chunks(PRUNE_BATCH) {
            let mut statuses = Vec::with_capacity(batch.len());
            for id in batch {
                if let Some(s) = state.store.status(*id)? {
                    let rels = state.store.status_rel_keys(*id)?;
                    statuses.push((s, rels));
                }
            }
            removed += state.store.transact(|tx| {
                let mut n = 0;
                for (s, rels) in &statuses {
                    n += usize::from(tx.forget_status(s, owner.id, rels)?);
                }
                Ok(n)
            })?;
            // Give the owner's and the inbox's writes their turn.
            tokio::task::yield_now().await;
        }
        super::durable(state).await?;
    }
    let verb = if apply { "removed" } else { "to remove" };
    Ok(Report {
        lines: vec![
            format!(
                "remote statuses nothing keeps: {} {verb} ({} bytes of records, indexes and timeline entries); {} statuses kept",
                if apply { removed } else { plan.remove.len() },
                plan.remove_bytes,
                plan.kept
            ),
            "remote accounts: not pruned; media files: only the owner's, which stay".into(),
        ],
    })
}

/// The daily prune (`[prune] daily`): sleeps a day, prunes, again.
pub async fn run(state: AppState) {
    if !state.config.prune.daily {
        return std::future::pending().await;
    }
    let mut stopping = state.stopping.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = stopping.changed() => return,
        }
        match run_once(&state, true).await {
            Ok(report) => tracing::info!("daily prune: {}", report.lines.join("; ")),
            Err(e) => tracing::error!("daily prune failed: {e}"),
        }
    }
}

/// The daily prune runs this long after the server starts, then daily.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
