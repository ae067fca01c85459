//! Durable delivery queue: `queue_delivery` keyed by
//! `due_ms (BE) ‖ job id (BE)`, so the next job due is the first key.
//!
//! A job is leased (moved to `now + lease`) when a worker takes it; a
//! crash mid-delivery therefore retries after the lease instead of losing
//! the job or sending it twice at once.

use super::{codec, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DeliveryJob {
    pub id: u64,
    /// Destination inbox URL.
    pub inbox: String,
    /// The signed body, exactly as it will be sent (JSON bytes).
    pub body: Vec<u8>,
    pub attempts: u32,
    pub first_attempt_ms: i64,
    pub last_error: String,
    /// What the job carries; jobs stored before push existed are activities.
    pub kind: JobKind,
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
        self.put_rec(T::QueueDelivery, &key.bytes(), job)
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
            let job: DeliveryJob = codec::decode(&v)?;
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
        batch.insert(&to.bytes(), codec::encode(job));
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
        self.queue_delivery.remove(key.bytes())?;
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
                out.push((key, codec::decode(&v)?));
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
}
