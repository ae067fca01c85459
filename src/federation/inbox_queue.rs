//! What the inbox worker knows of its queue, in memory: which jobs wait,
//! whose they are and when each is due; and the quotas that keep one peer
//! from filling the queue for everyone.
//!
//! The durable copy is the store's `queue_inbox`. This mirror is read from
//! it once at start, then kept in step by the inbox (a job is admitted
//! before it is stored and published once it is durable) and by the worker
//! (rescheduled after a transient failure, finished when done), so picking
//! the next jobs never rereads the queue's bodies.

use crate::store::inbox::InboxJob;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Jobs one actor may have waiting. A busy account sends a few activities
/// a minute; a hundred waiting means the worker is stuck on them or they
/// are flooding us.
pub const MAX_JOBS_PER_ACTOR: usize = 100;
/// Jobs one server may have waiting, all its actors together.
pub const MAX_JOBS_PER_HOST: usize = 500;
/// Jobs waiting in all, whoever sent them.
pub const MAX_JOBS: usize = 2_000;
/// Bytes of activities waiting in all (bodies are up to 1 MiB each; real
/// ones a few KiB), so a queue full of big bodies can't fill the disk.
pub const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// What a peer over its quota is told to wait before sending again.
pub const QUOTA_RETRY_AFTER: Duration = Duration::from_secs(120);

/// First delay after a transient failure (a peer down, a fetch timing
/// out); doubles with each attempt.
pub const FIRST_RETRY_MS: i64 = 60 * 1000;
/// Time budget of one attempt at one job: a peer that answers slowly (or
/// never) holds a worker slot at most this long.
pub const JOB_BUDGET_MS: u64 = 60 * 1000;

/// Why a job was not admitted: which quota is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Actor,
    Host,
    Server,
}

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Full::Actor => "this actor has too many activities waiting here",
            Full::Host => "this server has too many activities waiting here",
            Full::Server => "too many activities are waiting here",
        })
    }
}

#[derive(Clone, Debug)]
struct Slot {
    signer_id: u64,
    host: String,
    bytes: usize,
    due_ms: i64,
}

#[derive(Default)]
struct Inner {
    /// Published jobs by id; ids grow with arrival, so this is arrival order.
    jobs: BTreeMap<u64, Slot>,
    /// Counts include jobs admitted but not yet published.
    per_actor: HashMap<u64, usize>,
    per_host: HashMap<String, usize>,
    total: usize,
    bytes: usize,
}

impl Inner {
    fn count(&mut self, signer_id: u64, host: &str, bytes: usize) {
        *self.per_actor.entry(signer_id).or_default() += 1;
        *self.per_host.entry(host.to_string()).or_default() += 1;
        self.total += 1;
        self.bytes += bytes;
    }

    fn uncount(&mut self, signer_id: u64, host: &str, bytes: usize) {
        if let Some(n) = self.per_actor.get_mut(&signer_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_actor.remove(&signer_id);
            }
        }
        if let Some(n) = self.per_host.get_mut(host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_host.remove(host);
            }
        }
        self.total = self.total.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(bytes);
    }
}

/// The jobs the worker may start now, and when to look again.
#[derive(Debug, Default, PartialEq)]
pub struct Picked {
    /// `(job id, signer id)`, oldest first.
    pub ready: Vec<(u64, u64)>,
    /// The earliest due time of a job that is not due yet and is the next
    /// in line for its signer.
    pub next_due_ms: Option<i64>,
}

pub struct InboxQueue {
    inner: Mutex<Inner>,
    /// `FIRST_RETRY_MS` in production; tests shorten it to watch a retry.
    pub first_retry_ms: AtomicI64,
    /// `JOB_BUDGET_MS` in production; tests may shorten it.
    pub job_budget_ms: AtomicU64,
}

impl Default for InboxQueue {
    fn default() -> Self {
        InboxQueue {
            inner: Default::default(),
            first_retry_ms: AtomicI64::new(FIRST_RETRY_MS),
            job_budget_ms: AtomicU64::new(JOB_BUDGET_MS),
        }
    }
}

/// A place in the queue, counted against the quotas, for a job not stored
/// yet. Dropped without `publish`, it gives the place back.
pub struct Admission<'a> {
    queue: &'a InboxQueue,
    signer_id: u64,
    host: String,
    bytes: usize,
    published: bool,
}

impl Admission<'_> {
    /// The job is durable: the worker may pick it.
    pub fn publish(mut self, job_id: u64, due_ms: i64) {
        self.published = true;
        self.queue.lock().jobs.insert(
            job_id,
            Slot {
                signer_id: self.signer_id,
                host: std::mem::take(&mut self.host),
                bytes: self.bytes,
                due_ms,
            },
        );
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if !self.published {
            self.queue
                .lock()
                .uncount(self.signer_id, &self.host, self.bytes);
        }
    }
}

impl InboxQueue {
    /// The mirror of the jobs already stored.
    pub fn from_jobs(jobs: &[InboxJob]) -> InboxQueue {
        let q = InboxQueue::default();
        {
            let mut inner = q.lock();
            for j in jobs {
                inner.count(j.signer_id, &j.signer_host, j.body.len());
                inner.jobs.insert(
                    j.id,
                    Slot {
                        signer_id: j.signer_id,
                        host: j.signer_host.clone(),
                        bytes: j.body.len(),
                        due_ms: j.due_ms,
                    },
                );
            }
        }
        q
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for a job of `bytes` from `signer_id` on `host`, or
    /// says which quota is full. Nothing is counted when it is refused.
    pub fn admit(&self, signer_id: u64, host: &str, bytes: usize) -> Result<Admission<'_>, Full> {
        let mut inner = self.lock();
        if inner.per_actor.get(&signer_id).copied().unwrap_or(0) >= MAX_JOBS_PER_ACTOR {
            return Err(Full::Actor);
        }
        if inner.per_host.get(host).copied().unwrap_or(0) >= MAX_JOBS_PER_HOST {
            return Err(Full::Host);
        }
        if inner.total >= MAX_JOBS || inner.bytes.saturating_add(bytes) > MAX_QUEUED_BYTES {
            return Err(Full::Server);
        }
        inner.count(signer_id, host, bytes);
        Ok(Admission {
            queue: self,
            signer_id,
            host: host.to_string(),
            bytes,
            published: false,
        })
    }

    /// A job failed for a passing reason and waits until `due_ms`.
    pub fn reschedule(&self, job_id: u64, due_ms: i64) {
        if let Some(slot) = self.lock().jobs.get_mut(&job_id) {
            slot.due_ms = due_ms;
        }
    }

    /// A job is done (applied or given up): its place is free.
    pub fn finish(&self, job_id: u64) {
        let mut inner = self.lock();
        if let Some(slot) = inner.jobs.remove(&job_id) {
            inner.uncount(slot.signer_id, &slot.host, slot.bytes);
        }
    }

    /// Jobs waiting (published), for tests and logs.
    pub fn len(&self) -> usize {
        self.lock().jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `max` jobs that may start at `now_ms`: each signer's jobs run
    /// one at a time and in the order they came (a Create and its Delete
    /// must not race, nor pass each other), so only a signer's oldest job
    /// can be picked, and only when none of its jobs is running (`busy`)
    /// and it is due. A job waiting for its retry holds its signer's later
    /// jobs back with it.
    pub fn pick(&self, now_ms: i64, busy: &HashSet<u64>, max: usize) -> Picked {
        let inner = self.lock();
        let mut out = Picked::default();
        let mut held: HashSet<u64> = busy.clone();
        for (&id, slot) in &inner.jobs {
            if out.ready.len() >= max {
                break;
            }
            if !held.insert(slot.signer_id) {
                continue;
            }
            if slot.due_ms > now_ms {
                out.next_due_ms = Some(out.next_due_ms.map_or(slot.due_ms, |d| d.min(slot.due_ms)));
                continue;
            }
            out.ready.push((id, slot.signer_id));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(q: &InboxQueue, id: u64, signer: u64, host: &str, due: i64) {
        q.admit(signer, host, 10).unwrap().publish(id, due);
    }

    #[test]
    fn each_signer_runs_one_job_at_a_time_in_order() {
        let q = InboxQueue::default();
        publish(&q, 1, 7, "a.example", 0);
        publish(&q, 2, 7, "a.example", 0);
        publish(&q, 3, 8, "b.example", 0);
        let none = HashSet::new();
        assert_eq!(q.pick(100, &none, 4).ready, vec![(1, 7), (3, 8)]);
        // While 7's first job runs, its second waits.
        assert_eq!(q.pick(100, &HashSet::from([7]), 4).ready, vec![(3, 8)]);
        q.finish(1);
        assert_eq!(q.pick(100, &none, 4).ready, vec![(2, 7), (3, 8)]);
        assert_eq!(q.pick(100, &none, 1).ready, vec![(2, 7)]);
    }

    #[test]
    fn a_job_waiting_for_its_retry_holds_its_signer_back_only() {
        let q = InboxQueue::default();
        publish(&q, 1, 7, "a.example", 0);
        publish(&q, 2, 7, "a.example", 0);
        publish(&q, 3, 8, "b.example", 0);
        q.reschedule(1, 500);
        let picked = q.pick(100, &HashSet::new(), 4);
        assert_eq!(picked.ready, vec![(3, 8)]);
        assert_eq!(picked.next_due_ms, Some(500));
        assert_eq!(q.pick(500, &HashSet::new(), 4).ready, vec![(1, 7), (3, 8)]);
    }

    #[test]
    fn quotas_per_actor_per_host_and_in_all() {
        let q = InboxQueue::default();
        for i in 0..MAX_JOBS_PER_ACTOR as u64 {
            publish(&q, i, 1, "a.example", 0);
        }
        assert_eq!(q.admit(1, "a.example", 10).err(), Some(Full::Actor));
        // Another actor of the same server still fits, up to the host's cap.
        for i in 0..(MAX_JOBS_PER_HOST - MAX_JOBS_PER_ACTOR) as u64 {
            publish(&q, 1_000 + i, 2 + i / 50, "a.example", 0);
        }
        assert_eq!(q.admit(99, "a.example", 10).err(), Some(Full::Host));
        assert!(q.admit(99, "b.example", 10).is_ok());
        // A finished job frees its place.
        q.finish(0);
        assert!(q.admit(1, "a.example", 10).is_ok());

        let mut n = q.len() as u64;
        let mut host = 0;
        while q.len() < MAX_JOBS {
            publish(&q, 10_000 + n, 50_000 + n, &format!("h{host}.example"), 0);
            n += 1;
            host += 1;
        }
        assert_eq!(q.admit(1, "new.example", 10).err(), Some(Full::Server));
    }

    #[test]
    fn a_place_not_published_is_given_back() {
        let q = InboxQueue::default();
        for _ in 0..MAX_JOBS_PER_ACTOR {
            drop(q.admit(1, "a.example", 10).unwrap());
        }
        assert!(q.admit(1, "a.example", 10).is_ok());
        assert!(q.is_empty());
        assert_eq!(
            q.admit(2, "a.example", MAX_QUEUED_BYTES + 1).err(),
            Some(Full::Server)
        );
    }

    #[test]
    fn the_mirror_is_rebuilt_from_stored_jobs() {
        let jobs: Vec<InboxJob> = (0..MAX_JOBS_PER_ACTOR as u64)
            .map(|i| InboxJob {
                id: i,
                signer_id: 1,
                signer_host: "a.example".into(),
                due_ms: 5,
                ..Default::default()
            })
            .collect();
        let q = InboxQueue::from_jobs(&jobs);
        assert_eq!(q.admit(1, "a.example", 1).err(), Some(Full::Actor));
        assert_eq!(q.pick(0, &HashSet::new(), 4).next_due_ms, Some(5));
    }
}
