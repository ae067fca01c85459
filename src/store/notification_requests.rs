//! The owner's notification policy and the notifications it holds back.
//!
//! The policy (Mastodon 4.3's `accept`/`filter`/`drop` per kind of
//! sender) is one record in `meta`. A filtered notification is not put
//! in the list: it waits in the `notifications` tree under its sender
//! (`held \0 account \0 id`), and the sender has one request (`request \0
//! id`, found by `request_from \0 account`) counting what waits. Accepting
//! a request moves what waits into the list and lets the sender through
//! from then on (`notif_allow \0 account` in `index`); dismissing it
//! deletes what waits. `ops::notification_policy` decides; this module
//! only keeps.

use super::accounts::be_u64;
use super::notifications::Notification;
use super::timelines::{scan_page, Page};
use super::{codec, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

const KEY_POLICY: &[u8] = b"notification_policy";
const REQUEST: &str = "request";
const REQUEST_FROM: &str = "request_from";
const HELD: &str = "held";
const ALLOW: &str = "notif_allow";

/// At most this many notifications wait per sender; later ones from the
/// same sender still move the request's `updated_at` and last status but
/// are not kept (an app shows a request as "N notifications", and a
/// stranger's flood should not grow the store).
pub const MAX_HELD_PER_SENDER: u64 = 100;

/// What the policy does with notifications from one kind of sender.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PolicyAction {
    #[default]
    Accept,
    /// Held as a notification request.
    Filter,
    /// Not stored at all.
    Drop,
}

impl PolicyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::Accept => "accept",
            PolicyAction::Filter => "filter",
            PolicyAction::Drop => "drop",
        }
    }

    pub fn parse(s: &str) -> Option<PolicyAction> {
        Some(match s {
            "accept" => PolicyAction::Accept,
            "filter" => PolicyAction::Filter,
            "drop" => PolicyAction::Drop,
            _ => return None,
        })
    }
}

/// Mastodon's `NotificationPolicy`, with its defaults: private mentions
/// from strangers and limited accounts are filtered, the rest accepted.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct NotificationPolicy {
    pub for_not_following: PolicyAction,
    pub for_not_followers: PolicyAction,
    pub for_new_accounts: PolicyAction,
    pub for_private_mentions: PolicyAction,
    /// Burrow limits no accounts, so this never matches; kept so apps
    /// read back what they set.
    pub for_limited_accounts: PolicyAction,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        NotificationPolicy {
            for_not_following: PolicyAction::Accept,
            for_not_followers: PolicyAction::Accept,
            for_new_accounts: PolicyAction::Accept,
            for_private_mentions: PolicyAction::Filter,
            for_limited_accounts: PolicyAction::Filter,
        }
    }
}

/// Notifications from one sender waiting for the owner's decision.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct NotificationRequest {
    pub id: u64,
    pub account_id: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// How many notifications wait (at most `MAX_HELD_PER_SENDER`).
    pub notifications_count: u64,
    /// The newest status among them, if any carried one.
    pub last_status_id: Option<u64>,
}

fn request_key(id: u64) -> Vec<u8> {
    index_key(REQUEST, &[&id.to_be_bytes()])
}
fn request_from_key(account: u64) -> Vec<u8> {
    index_key(REQUEST_FROM, &[&account.to_be_bytes()])
}
pub(super) fn held_key(account: u64, id: u64) -> Vec<u8> {
    index_key(HELD, &[&account.to_be_bytes(), &id.to_be_bytes()])
}
fn allow_key(account: u64) -> Vec<u8> {
    index_key(ALLOW, &[&account.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    pub fn notification_policy(&self) -> Result<NotificationPolicy> {
        match self.meta.get(KEY_POLICY)? {
            Some(v) => codec::decode(&v),
            None => Ok(NotificationPolicy::default()),
        }
    }

    pub fn set_notification_policy(&self, p: &NotificationPolicy) -> Result<()> {
        self.meta.insert(KEY_POLICY, codec::encode(p))?;
        Ok(())
    }

    /// Whether the owner accepted a request from `account`, so its
    /// notifications pass the policy.
    pub fn notifications_allowed_from(&self, account: u64) -> Result<bool> {
        Ok(self.index.contains_key(allow_key(account))?)
    }

    pub fn notification_request(&self, id: u64) -> Result<Option<NotificationRequest>> {
        match self.notifications.get(request_key(id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn notification_request_from(&self, account: u64) -> Result<Option<NotificationRequest>> {
        match self.notifications.get(request_from_key(account))? {
            Some(id) => self.notification_request(be_u64(&id)),
            None => Ok(None),
        }
    }

    /// Every pending request, newest first (there are at most as many as
    /// the policy lets wait; see `ops::notification_policy`).
    pub fn notification_requests(&self) -> Result<Vec<NotificationRequest>> {
        let mut prefix = REQUEST.as_bytes().to_vec();
        prefix.push(0);
        let mut out: Vec<NotificationRequest> = self
            .notifications
            .scan_prefix(prefix)
            .map(|kv| codec::decode(&kv?.1))
            .collect::<Result<_>>()?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    /// One page of pending requests, newest first, in Mastodon's paging.
    pub fn notification_request_page(&self, page: Page) -> Result<Vec<NotificationRequest>> {
        let ids = scan_page(&self.notifications, REQUEST, page, |_| true)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.notification_request(id)?);
        }
        Ok(out)
    }

    /// The notifications waiting from `account`, newest first.
    pub fn held_notifications(&self, account: u64) -> Result<Vec<Notification>> {
        let prefix = index_key(HELD, &[&account.to_be_bytes(), &[]]);
        let mut out: Vec<Notification> = self
            .notifications
            .scan_prefix(prefix)
            .map(|kv| codec::decode(&kv?.1))
            .collect::<Result<_>>()?;
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        Ok(out)
    }

    /// Accepts the request: what waits enters the list (as it was, with
    /// its own id and time), and the sender passes the policy from now
    /// on. Returns the notifications moved.
    pub fn accept_notification_request(
        &self,
        r: &NotificationRequest,
    ) -> Result<Vec<Notification>> {
        let held = self.held_notifications(r.account_id)?;
        let now = crate::time_fmt::now_ms();
        self.transact(|tx| {
            for n in &held {
                tx.remove(T::Notifications, &held_key(r.account_id, n.id))?;
                let mut n = n.clone();
                n.filtered = false;
                tx.put_rec(T::Notifications, &super::notifications::key(n.id), &n)?;
            }
            tx.remove_request(r)?;
            tx.put(T::Index, &allow_key(r.account_id), &now.to_be_bytes())?;
            Ok(())
        })?;
        Ok(held)
    }

    /// Dismisses the request and deletes what waits; the sender's next
    /// filtered notification opens a new one.
    pub fn dismiss_notification_request(&self, r: &NotificationRequest) -> Result<()> {
        let held = self.held_notifications(r.account_id)?;
        self.transact(|tx| {
            for n in &held {
                tx.remove(T::Notifications, &held_key(r.account_id, n.id))?;
                tx.remove(T::Notifications, &super::notifications::dedup_key_of(n))?;
            }
            tx.remove_request(r)
        })
    }
}

impl Tx<'_> {
    fn remove_request(&self, r: &NotificationRequest) -> R<()> {
        self.remove(T::Notifications, &request_key(r.id))?;
        self.remove(T::Notifications, &request_from_key(r.account_id))?;
        Ok(())
    }

    /// Keeps a filtered notification under its sender's request, opening
    /// the request if there is none.
    pub(super) fn hold_notification(&self, n: &Notification) -> R<()> {
        let existing: Option<NotificationRequest> =
            match self.get(T::Notifications, &request_from_key(n.account_id))? {
                Some(id) => self.get_rec(T::Notifications, &request_key(be_u64(&id)))?,
                None => None,
            };
        let mut r = existing.unwrap_or_else(|| NotificationRequest {
            // The notification's id is fresh and unique; the request
            // takes it, so requests page in the order they opened.
            id: n.id,
            account_id: n.account_id,
            created_at_ms: n.created_at_ms,
            ..Default::default()
        });
        r.updated_at_ms = n.created_at_ms;
        if n.status_id.is_some() {
            r.last_status_id = n.status_id;
        }
        if r.notifications_count < MAX_HELD_PER_SENDER {
            r.notifications_count += 1;
            self.put_rec(T::Notifications, &held_key(n.account_id, n.id), n)?;
        }
        self.put_rec(T::Notifications, &request_key(r.id), &r)?;
        self.put(
            T::Notifications,
            &request_from_key(n.account_id),
            &r.id.to_be_bytes(),
        )?;
        Ok(())
    }

    /// Forgets a held notification whose cause was undone.
    pub(super) fn unhold_notification(&self, account: u64, id: u64) -> R<()> {
        if self
            .remove(T::Notifications, &held_key(account, id))?
            .is_none()
        {
            return Ok(());
        }
        let Some(rid) = self.get(T::Notifications, &request_from_key(account))? else {
            return Ok(());
        };
        let key = request_key(be_u64(&rid));
        if let Some(mut r) = self.get_rec::<NotificationRequest>(T::Notifications, &key)? {
            r.notifications_count = r.notifications_count.saturating_sub(1);
            self.put_rec(T::Notifications, &key, &r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(s: &Store, id: u64, from: u64, kind: &str) -> bool {
        held_about(s, id, from, kind, id * 10)
    }

    fn held_about(s: &Store, id: u64, from: u64, kind: &str, status: u64) -> bool {
        let n = Notification {
            id,
            kind: kind.into(),
            account_id: from,
            status_id: Some(status),
            filtered: true,
            ..Default::default()
        };
        s.transact(|tx| tx.notify(&n)).unwrap()
    }

    #[test]
    fn filtered_notifications_wait_per_sender_until_accepted_or_dismissed() {
        let s = Store::temporary().unwrap();
        assert!(!held(&s, 1, 7, "mention"));
        assert!(!held(&s, 2, 7, "favourite"));
        assert!(!held(&s, 3, 8, "follow"));
        // A repeated favourite waits once.
        assert!(!held_about(&s, 4, 7, "favourite", 20));
        let reqs = s.notification_requests().unwrap();
        assert_eq!(
            reqs.iter()
                .map(|r| (r.id, r.account_id))
                .collect::<Vec<_>>(),
            vec![(3, 8), (1, 7)]
        );
        let r7 = s.notification_request_from(7).unwrap().unwrap();
        assert_eq!((r7.notifications_count, r7.last_status_id), (2, Some(20)));
        // An undone follow takes its waiting notification with it.
        s.transact(|tx| tx.unnotify("follow", 8, Some(30))).unwrap();
        assert!(s.held_notifications(8).unwrap().is_empty());
        let r8 = s.notification_request_from(8).unwrap().unwrap();
        assert_eq!(r8.notifications_count, 0);
        assert!(!held(&s, 6, 8, "follow"));
        assert!(s.notification(1).unwrap().is_none(), "not in the list");

        let moved = s.accept_notification_request(&r7).unwrap();
        assert_eq!(moved.len(), 2);
        assert!(!s.notification(1).unwrap().unwrap().filtered);
        assert!(s.notifications_allowed_from(7).unwrap());
        assert!(s.notification_request_from(7).unwrap().is_none());

        let r8 = s.notification_request_from(8).unwrap().unwrap();
        s.dismiss_notification_request(&r8).unwrap();
        assert!(s.held_notifications(8).unwrap().is_empty());
        assert!(!s.notifications_allowed_from(8).unwrap());
        assert!(s.notification_requests().unwrap().is_empty());
        // Dismissed, the same follow can wait again.
        assert!(!held_about(&s, 5, 8, "follow", 60));
        assert_eq!(s.held_notifications(8).unwrap().len(), 1);
    }

    #[test]
    fn a_sender_keeps_at_most_the_cap_waiting() {
        let s = Store::temporary().unwrap();
        for i in 1..=MAX_HELD_PER_SENDER + 5 {
            held(&s, i, 9, "mention");
        }
        let r = s.notification_request_from(9).unwrap().unwrap();
        assert_eq!(r.notifications_count, MAX_HELD_PER_SENDER);
        assert_eq!(
            s.held_notifications(9).unwrap().len() as u64,
            MAX_HELD_PER_SENDER
        );
        assert_eq!(r.last_status_id, Some((MAX_HELD_PER_SENDER + 5) * 10));
    }

    #[test]
    fn the_policy_defaults_to_mastodons() {
        let s = Store::temporary().unwrap();
        let p = s.notification_policy().unwrap();
        assert_eq!(p.for_private_mentions, PolicyAction::Filter);
        assert_eq!(p.for_not_following, PolicyAction::Accept);
        let changed = NotificationPolicy {
            for_not_following: PolicyAction::Drop,
            ..p
        };
        s.set_notification_policy(&changed).unwrap();
        assert_eq!(s.notification_policy().unwrap(), changed);
    }
}
