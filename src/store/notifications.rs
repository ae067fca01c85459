//! The owner's notifications, keyed by id (newest last), with a
//! de-duplication index so a repeated favourite or follow notifies once.

use super::{codec, index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Notification {
    pub id: u64,
    /// Mastodon's type: mention, status, reblog, follow, follow_request,
    /// favourite, poll, update, admin.report, moved…
    pub kind: String,
    /// Who caused it.
    pub account_id: u64,
    pub status_id: Option<u64>,
    /// For `admin.report`: the report text and the statuses it names.
    pub report_comment: Option<String>,
    pub report_status_ids: Vec<u64>,
    pub created_at_ms: i64,
    /// For kinds that group (`ops::notification_groups`): the hour its
    /// group opened. Stored because it depends on every earlier
    /// notification of the kind; derived when read, group keys would shift
    /// as older notifications are dismissed or scroll out of reach.
    /// `None` on notifications from before grouping.
    pub group_bucket: Option<i64>,
    /// Held back by the notification policy (`ops::notification_policy`):
    /// `Tx::notify` keeps it under its sender's request instead of in the
    /// list, and nothing announces it.
    pub filtered: bool,
}

pub(super) fn key(id: u64) -> Vec<u8> {
    index_key("n", &[&id.to_be_bytes()])
}

pub(super) fn dedup_key_of(n: &Notification) -> Vec<u8> {
    dedup_key(&n.kind, n.account_id, n.status_id)
}
fn dedup_key(kind: &str, account: u64, status: Option<u64>) -> Vec<u8> {
    index_key(
        "dedup",
        &[
            kind.as_bytes(),
            &account.to_be_bytes(),
            &status.unwrap_or(0).to_be_bytes(),
        ],
    )
}

impl Store {
    pub fn notification(&self, id: u64) -> Result<Option<Notification>> {
        match self.notifications.get(key(id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// One page of notifications, newest first, keeping those `keep` accepts.
    pub fn notification_page(
        &self,
        page: timelines::Page,
        mut keep: impl FnMut(&Notification) -> bool,
    ) -> Result<Vec<Notification>> {
        let mut out = Vec::new();
        let ids = timelines::scan_page(&self.notifications, "n", page, |id| {
            match self.notification(id) {
                Ok(Some(n)) if keep(&n) => {
                    out.push(n);
                    true
                }
                _ => false,
            }
        })?;
        out.retain(|n| ids.contains(&n.id));
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        Ok(out)
    }

    pub fn dismiss_notification(&self, id: u64) -> Result<bool> {
        let Some(n) = self.notification(id)? else {
            return Ok(false);
        };
        self.transact(|tx| {
            tx.remove(T::Notifications, &key(id))?;
            tx.remove(
                T::Notifications,
                &dedup_key(&n.kind, n.account_id, n.status_id),
            )?;
            Ok(())
        })?;
        Ok(true)
    }

    /// Removes several notifications (a dismissed group) in one step;
    /// returns how many existed.
    pub fn dismiss_notifications(&self, list: &[Notification]) -> Result<usize> {
        self.transact(|tx| {
            let mut gone = 0;
            for n in list {
                if tx.remove(T::Notifications, &key(n.id))?.is_some() {
                    gone += 1;
                }
                tx.remove(
                    T::Notifications,
                    &dedup_key(&n.kind, n.account_id, n.status_id),
                )?;
            }
            Ok(gone)
        })
    }

    pub fn clear_notifications(&self) -> Result<()> {
        self.notifications.clear()?;
        Ok(())
    }
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Tx<'_> {
    /// Adds a notification unless the same one exists; returns whether it
    /// is new in the list (and so to be announced). A `filtered` one
    /// waits under its sender's request instead, and is not announced.
    pub fn notify(&self, n: &Notification) -> R<bool> {
        let dk = dedup_key(&n.kind, n.account_id, n.status_id);
        if n.kind != "mention" && n.kind != "update" && self.get(T::Notifications, &dk)?.is_some() {
            return Ok(false);
        }
        if n.filtered {
            self.hold_notification(n)?;
            self.put(T::Notifications, &dk, &n.id.to_be_bytes())?;
            return Ok(false);
        }
        self.put_rec(T::Notifications, &key(n.id), n)?;
        self.put(T::Notifications, &dk, &n.id.to_be_bytes())?;
        Ok(true)
    }

    /// Removes the notifications an undone action caused (unfavourite…).
    pub fn unnotify(&self, kind: &str, account: u64, status: Option<u64>) -> R<()> {
        let dk = dedup_key(kind, account, status);
        if let Some(id) = self.remove(T::Notifications, &dk)? {
            let id = super::accounts::be_u64(&id);
            self.remove(T::Notifications, &key(id))?;
            self.unhold_notification(account, id)?;
        }
        Ok(())
    }
}
