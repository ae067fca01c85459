//! Who voted for what in the owner's polls: `poll_vote \0 STATUS \0
//! ACCOUNT` → the chosen option indexes, in `index`. Peers send one
//! Create per chosen option, so remembering the choices is what keeps a
//! repeated or replayed vote from being counted twice.

use super::{index_key, Result, Store, Tx, T};

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

fn key(status_id: u64, account_id: u64) -> Vec<u8> {
    index_key(
        "poll_vote",
        &[&status_id.to_be_bytes(), &account_id.to_be_bytes()],
    )
}

/// What one remote vote did to a poll.
#[derive(Debug, PartialEq, Eq)]
pub enum VoteOutcome {
    Counted,
    /// The voter already chose this option, or already chose another in a
    /// single-choice poll.
    Refused,
    /// No such poll here.
    NoPoll,
}

impl Store {
    /// The accounts that voted in the poll on `status_id`, in id order.
    pub fn poll_voters(&self, status_id: u64) -> Result<Vec<u64>> {
        let prefix = index_key("poll_vote", &[&status_id.to_be_bytes()]);
        let mut out = Vec::new();
        for kv in self.index.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if k.len() == prefix.len() + 9 {
                out.push(super::accounts::be_u64(&k[k.len() - 8..]));
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Counts `account_id`'s vote for option `choice` of the poll on
    /// `status_id`, in the same transaction as the count itself.
    pub fn record_poll_vote(
        &self,
        status_id: u64,
        account_id: u64,
        choice: usize,
    ) -> R<VoteOutcome> {
        let Some(mut s) = self.status(status_id)? else {
            return Ok(VoteOutcome::NoPoll);
        };
        let Some(poll) = s.poll.as_mut() else {
            return Ok(VoteOutcome::NoPoll);
        };
        if choice >= poll.options.len() {
            return Ok(VoteOutcome::Refused);
        }
        let k = key(status_id, account_id);
        let mut chosen: Vec<usize> = match self.get(T::Index, &k)? {
            Some(v) => v.iter().map(|b| *b as usize).collect(),
            None => Vec::new(),
        };
        if chosen.contains(&choice) || (!poll.multiple && !chosen.is_empty()) {
            return Ok(VoteOutcome::Refused);
        }
        if chosen.is_empty() {
            poll.voters_count += 1;
        }
        poll.options[choice].votes += 1;
        chosen.push(choice);
        // Polls have at most a handful of options: one byte each.
        let bytes: Vec<u8> = chosen.iter().map(|c| *c as u8).collect();
        self.put(T::Index, &k, &bytes)?;
        self.update_status(&s)?;
        Ok(VoteOutcome::Counted)
    }
}
