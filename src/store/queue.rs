//! Durable delivery queue: `queue_delivery` keyed by
//! `due_ms (BE) ‖ job id (BE)`, so the next job due is the first key.
//!
//! A job is leased (moved to `now + lease`) when a worker takes it; a
//! crash mid-delivery therefore retries after the lease instead of losing
//! the job or sending it twice at once.
//!
//! A body is stored once however many jobs send it, in `index` under
//! `delivery_body \0 SHA-256` with the count of jobs holding it under
//! `delivery_refs \0 SHA-256`: a post to 300 servers stores its activity
//! once, not 300 times, and each lease or retry rewrites only a small job.
//! The count changes in the same transaction as the jobs, so the last job
//! to finish removes the body.

use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DeliveryJob {
    pub id: u64,
    /// Destination inbox URL.
    pub inbox: String,
    /// The signed body, exactly as it will be sent (JSON bytes). Filled in
    /// when jobs are read; stored apart when `body_ref` is set.
    pub body: Vec<u8>,
    pub attempts: u32,
    pub first_attempt_ms: i64,
    pub last_error: String,
    /// What the job carries; jobs stored before push existed are activities.
    pub kind: JobKind,
    /// The hex SHA-256 of the body stored apart (see the module notes);
    /// empty in jobs stored before, which carry their body inline.
    pub body_ref: String,
}

/// Key prefixes in `index` of shared bodies and of their job counts.
const BODY_PREFIX: &str = "delivery_body";
const REFS_PREFIX: &str = "delivery_refs";

/// The job as stored: without its body when that is stored apart.
fn stored_form(job: &DeliveryJob) -> DeliveryJob {
    if job.body_ref.is_empty() {
        return job.clone();
    }
    DeliveryJob {
        id: job.id,
        inbox: job.inbox.clone(),
        body: Vec::new(),
        attempts: job.attempts,
        first_attempt_ms: job.first_attempt_ms,
        last_error: job.last_error.clone(),
        kind: job.kind.clone(),
        body_ref: job.body_ref.clone(),
    }
}

fn refs_count(v: Option<sled::IVec>) -> u64 {
    v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// Activities go to inboxes, signed; push messages go to push services
/// (see `crate::push::deliver`), which answer differently.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub enum JobKind {
    #[default]
    Activity,
    /// A Web Push message; `inbox` is the subscription's endpoint and
    /// `body` the encrypted message.
    Push {
        /// The subscription's key (its token's hash)…
        token_hash: String,
        /// …and id, so a subscription replaced since queueing is not sent
        /// its predecessor's message.
        subscription_id: u64,
        /// Set when `body` is in the legacy `aesgcm` coding, whose salt
        /// and key travel in headers; `None` for RFC 8291 `aes128gcm`.
        #[serde(default)]
        legacy: Option<LegacyPushHeaders>,
    },
}

/// What the `Encryption` and `Crypto-Key` headers of a legacy `aesgcm`
/// push message carry (see `crate::push::aesgcm`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LegacyPushHeaders {
    pub salt: Vec<u8>,
    /// The sender's ephemeral public key.
    pub dh: Vec<u8>,
}

/// Where a job sits in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueKey {
    pub due_ms: i64,
    pub id: u64,
}

impl QueueKey {
    fn bytes(self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&(self.due_ms.max(0) as u64).to_be_bytes());
        k[8..].copy_from_slice(&self.id.to_be_bytes());
        k
    }
    fn parse(k: &[u8]) -> Option<QueueKey> {
        if k.len() != 16 {
            return None;
        }
        Some(QueueKey {
            due_ms: super::accounts::be_u64(&k[..8]) as i64,
            id: super::accounts::be_u64(&k[8..]),
        })
    }
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Tx<'_> {
    /// Queues a job inside the operation's own transaction, so a write and
    /// the deliveries it owes are stored together or not at all.
    pub fn enqueue_delivery(&self, job: &DeliveryJob, due_ms: i64) -> R<()> {
        let key = QueueKey { due_ms, id: job.id };
        let body_ref = crate::crypto::hex(&crate::crypto::sha256(&job.body));
        let refs_key = index_key(REFS_PREFIX, &[body_ref.as_bytes()]);
        let refs = refs_count(self.get(T::Index, &refs_key)?);
        if refs == 0 {
            self.put(
                T::Index,
                &index_key(BODY_PREFIX, &[body_ref.as_bytes()]),
                &job.body,
            )?;
        }
        self.put(T::Index, &refs_key, &(refs + 1).to_be_bytes())?;
        let stored = DeliveryJob {
            body: Vec::new(),
            body_ref,
            ..stored_form(job)
        };
        self.put_rec(T::QueueDelivery, &key.bytes(), &stored)
    }

    /// One job less holds the body `body_ref`; the last one removes it.
    fn release_body(&self, body_ref: &str) -> R<()> {
        if body_ref.is_empty() {
            return Ok(());
        }
        let refs_key = index_key(REFS_PREFIX, &[body_ref.as_bytes()]);
        match refs_count(self.get(T::Index, &refs_key)?) {
            0 | 1 => {
                self.remove(T::Index, &refs_key)?;
                self.remove(T::Index, &index_key(BODY_PREFIX, &[body_ref.as_bytes()]))?;
            }
            n => self.put(T::Index, &refs_key, &(n - 1).to_be_bytes())?,
        }
        Ok(())
    }
}

impl Store {
    /// Takes up to `limit` jobs due at `now`, leasing each until
    /// `now + lease_ms`.
    pub fn lease_due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<(QueueKey, DeliveryJob)>> {
        let end = QueueKey {
            due_ms: now,
            id: u64::MAX,
        }
        .bytes();
        let mut out = Vec::new();
        for kv in self.queue_delivery.range(..=end.as_slice()).take(limit) {
            let (k, v) = kv?;
            let Some(old) = QueueKey::parse(&k) else {
                continue;
            };
            let mut job: DeliveryJob = codec::decode(&v)?;
            self.fill_body(&mut job)?;
            let leased = QueueKey {
                due_ms: now + lease_ms,
                id: old.id,
            };
            self.move_job(old, leased, &job)?;
            out.push((leased, job));
        }
        Ok(out)
    }

    fn move_job(&self, from: QueueKey, to: QueueKey, job: &DeliveryJob) -> Result<()> {
        let mut batch = sled::Batch::default();
        batch.remove(&from.bytes());
        batch.insert(&to.bytes(), codec::encode(&stored_form(job)));
        let _writing = self.writing();
        self.queue_delivery.apply_batch(batch)?;
        Ok(())
    }

    /// Puts a job back for another attempt at `due_ms`.
    pub fn reschedule_delivery(&self, key: QueueKey, job: &DeliveryJob, due_ms: i64) -> Result<()> {
        self.move_job(key, QueueKey { due_ms, id: job.id }, job)
    }

    /// Removes a finished (delivered or abandoned) job.
    pub fn finish_delivery(&self, key: QueueKey) -> Result<()> {
        self.transact(|tx| {
            if let Some(job) = tx.remove(T::QueueDelivery, &key.bytes())? {
                let job: DeliveryJob = codec::decode(&job)
                    .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                tx.release_body(&job.body_ref)?;
            }
            Ok(())
        })
    }

    /// Puts a job's shared body into it. A body gone missing (a damaged
    /// store) leaves it empty, which the peer refuses: the job ends
    /// instead of blocking the queue.
    fn fill_body(&self, job: &mut DeliveryJob) -> Result<()> {
        if job.body_ref.is_empty() {
            return Ok(());
        }
        match self
            .index
            .get(index_key(BODY_PREFIX, &[job.body_ref.as_bytes()]))?
        {
            Some(body) => job.body = body.to_vec(),
            None => tracing::error!("the body of delivery job {} is missing", job.id),
        }
        Ok(())
    }

    /// When the next job is due, if any.
    pub fn next_delivery_due(&self) -> Result<Option<i64>> {
        Ok(match self.queue_delivery.first()? {
            Some((k, _)) => QueueKey::parse(&k).map(|q| q.due_ms),
            None => None,
        })
    }

    /// Every queued job, due or leased, in due order, without taking
    /// any: what a crash left owed (durability checks, operators).
    pub fn delivery_jobs(&self) -> Result<Vec<(QueueKey, DeliveryJob)>> {
        let mut out = Vec::new();
        for kv in self.queue_delivery.iter() {
            let (k, v) = kv?;
            if let Some(key) = QueueKey::parse(&k) {
                let mut job: DeliveryJob = codec::decode(&v)?;
                self.fill_body(&mut job)?;
                out.push((key, job));
            }
        }
        Ok(out)
    }

    pub fn delivery_queue_len(&self) -> usize {
        self.queue_delivery.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_come_out_in_due_order_and_leases_hide_them() {
        let s = Store::temporary().unwrap();
        for (id, due) in [(1u64, 300i64), (2, 100), (3, 200)] {
            let job = DeliveryJob {
                id,
                inbox: format!("i{id}"),
                ..Default::default()
            };
            s.transact(|tx| tx.enqueue_delivery(&job, due)).unwrap();
        }
        assert_eq!(s.next_delivery_due().unwrap(), Some(100));
        let got = s.lease_due_deliveries(250, 1000, 10).unwrap();
        assert_eq!(
            got.iter().map(|(_, j)| j.id).collect::<Vec<_>>(),
            vec![2, 3]
        );
        // Leased jobs are not due again until the lease ends.
        assert!(s.lease_due_deliveries(260, 1000, 10).unwrap().is_empty());
        s.finish_delivery(got[0].0).unwrap();
        s.reschedule_delivery(got[1].0, &got[1].1, 5000).unwrap();
        assert_eq!(s.next_delivery_due().unwrap(), Some(300));
        assert_eq!(s.delivery_queue_len(), 2);
    }

    fn stored_bodies(s: &Store) -> usize {
        s.index.scan_prefix(index_key(BODY_PREFIX, &[])).count()
    }

    /// A post to many servers stores its body once; every job still sends
    /// it, and the last job to finish, however it ends, removes it.
    #[test]
    fn a_body_is_stored_once_and_leaves_with_its_last_job() {
        let s = Store::temporary().unwrap();
        let shared = b"{\"type\":\"Create\"}".to_vec();
        let jobs: Vec<DeliveryJob> = (1..=3u64)
            .map(|id| DeliveryJob {
                id,
                inbox: format!("https://h{id}/inbox"),
                body: shared.clone(),
                ..Default::default()
            })
            .collect();
        s.transact(|tx| {
            for j in &jobs {
                tx.enqueue_delivery(j, 100)?;
            }
            Ok(())
        })
        .unwrap();
        let other = DeliveryJob {
            id: 4,
            inbox: "https://h4/inbox".into(),
            body: b"other".to_vec(),
            ..Default::default()
        };
        s.transact(|tx| tx.enqueue_delivery(&other, 100)).unwrap();
        assert_eq!(stored_bodies(&s), 2);
        // Jobs are stored small, without the body.
        for kv in s.queue_delivery.iter() {
            let (_, v) = kv.unwrap();
            let raw: DeliveryJob = codec::decode(&v).unwrap();
            assert!(raw.body.is_empty() && !raw.body_ref.is_empty());
        }
        let listed = s.delivery_jobs().unwrap();
        assert_eq!(listed.len(), 4);
        let got = s.lease_due_deliveries(200, 1000, 10).unwrap();
        assert_eq!(got.len(), 4);
        for (_, j) in &got {
            let want = if j.id == 4 { &other.body } else { &shared };
            assert_eq!(&j.body, want, "job {} sends its body", j.id);
        }
        // A retry keeps the body shared and readable.
        let (key, mut retried) = got[0].clone();
        retried.attempts += 1;
        s.reschedule_delivery(key, &retried, 5000).unwrap();
        s.finish_delivery(got[3].0).unwrap();
        assert_eq!(stored_bodies(&s), 1, "the other body left with its job");
        s.finish_delivery(got[1].0).unwrap();
        s.finish_delivery(got[2].0).unwrap();
        let again = s.lease_due_deliveries(6000, 1000, 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].1.body, shared);
        assert_eq!(again[0].1.attempts, 1);
        assert_eq!(stored_bodies(&s), 1);
        s.finish_delivery(again[0].0).unwrap();
        assert_eq!(stored_bodies(&s), 0);
        assert_eq!(s.index.scan_prefix(index_key(REFS_PREFIX, &[])).count(), 0);
    }

    /// Jobs stored before bodies were shared carry theirs inline.
    #[test]
    fn inline_bodies_of_older_jobs_still_send() {
        let s = Store::temporary().unwrap();
        let old = DeliveryJob {
            id: 9,
            inbox: "https://h/inbox".into(),
            body: b"inline".to_vec(),
            ..Default::default()
        };
        let key = QueueKey { due_ms: 10, id: 9 };
        s.queue_delivery
            .insert(key.bytes(), codec::encode(&old))
            .unwrap();
        let got = s.lease_due_deliveries(20, 1000, 10).unwrap();
        assert_eq!(got[0].1.body, b"inline".to_vec());
        s.finish_delivery(got[0].0).unwrap();
        assert_eq!(s.delivery_queue_len(), 0);
    }
}
