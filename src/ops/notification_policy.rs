//! The notification policy: the one place that decides whether a
//! notification enters the list, waits as a notification request, or is
//! not kept at all (Mastodon 4.3's `NotificationPolicy`). Whatever makes
//! a notification asks [`screen`] before writing it; `Tx::notify` keeps a
//! filtered one under its sender's request, and nothing announces it, so
//! it is neither streamed nor pushed.

use super::OpResult;
use crate::state::AppState;
use crate::store::notification_requests::{NotificationPolicy, PolicyAction};
use crate::store::notifications::Notification;
use crate::store::relations::Rel;
use crate::store::statuses::Visibility;
use crate::store::StoreError;
use crate::time_fmt::now_ms;

/// Kinds the policy may hold back (Mastodon's `filterable` types). Poll
/// results, edits and reports always arrive: they are about what the
/// owner already chose to see.
pub const FILTERABLE: [&str; 5] = ["mention", "reblog", "follow", "follow_request", "favourite"];
/// An account younger than this is new (`for_new_accounts`).
pub const NEW_ACCOUNT_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// A follower of less than this long does not count as one yet
/// (`for_not_followers`), so following in order to mention passes no
/// filter.
pub const NEW_FOLLOWER_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// How far up a thread a private mention is traced to find the owner's
/// own private mention of the sender (a reply to the owner is no
/// stranger's message).
pub const MAX_THREAD_DEPTH: usize = 100;
/// Pending requests at most: past it, a filtered notification from yet
/// another stranger is dropped rather than stored.
pub const MAX_REQUESTS: usize = 1000;

/// What becomes of one notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Filter,
    Drop,
}

/// The facts about a sender the rules ask.
struct Sender {
    not_following: bool,
    not_follower: bool,
    new_account: bool,
    private_mention: bool,
}

/// Applies the policy to a notification about to be written: `None` when
/// it is dropped, else the notification, marked `filtered` when it is to
/// wait as a request.
pub fn screen(state: &AppState, mut n: Notification) -> OpResult<Option<Notification>> {
    match verdict(state, &n)? {
        Verdict::Accept => Ok(Some(n)),
        Verdict::Filter => {
            n.filtered = true;
            Ok(Some(n))
        }
        Verdict::Drop => Ok(None),
    }
}

/// The policy's answer for `n`.
pub fn verdict(state: &AppState, n: &Notification) -> Result<Verdict, StoreError> {
    let store = &state.store;
    if !FILTERABLE.contains(&n.kind.as_str()) || store.notifications_allowed_from(n.account_id)? {
        return Ok(Verdict::Accept);
    }
    let policy = store.notification_policy()?;
    let sender = sender(state, n)?;
    let verdict = judge(&policy, &sender);
    // A new stranger past the cap of pending requests is not kept.
    if verdict == Verdict::Filter
        && store.notification_request_from(n.account_id)?.is_none()
        && store.notification_requests()?.len() >= MAX_REQUESTS
    {
        return Ok(Verdict::Drop);
    }
    Ok(verdict)
}

/// The rules themselves: a `drop` that matches wins over a `filter` that
/// matches. New accounts and private mentions count only from accounts
/// the owner does not follow.
fn judge(p: &NotificationPolicy, s: &Sender) -> Verdict {
    let matched = [
        (p.for_not_following, s.not_following),
        (p.for_not_followers, s.not_follower),
        (p.for_new_accounts, s.new_account && s.not_following),
        (p.for_private_mentions, s.private_mention && s.not_following),
    ];
    let applies = |action: PolicyAction| matched.iter().any(|(a, hit)| *a == action && *hit);
    if applies(PolicyAction::Drop) {
        Verdict::Drop
    } else if applies(PolicyAction::Filter) {
        Verdict::Filter
    } else {
        Verdict::Accept
    }
}

fn sender(state: &AppState, n: &Notification) -> Result<Sender, StoreError> {
    let store = &state.store;
    let now = now_ms();
    let follower_since = store
        .relation(Rel::FollowedBy, n.account_id)?
        .map(|r| r.created_at_ms);
    let created = store
        .account(n.account_id)?
        .map(|a| a.created_at_ms)
        .unwrap_or(0);
    Ok(Sender {
        not_following: !store.has_relation(Rel::Following, n.account_id)?,
        not_follower: follower_since.map_or(true, |t| t > now - NEW_FOLLOWER_MS),
        // A peer that gave no `published` date is taken as old.
        new_account: created > now - NEW_ACCOUNT_MS,
        private_mention: private_mention_not_in_reply(state, n)?,
    })
}

/// A direct mention that is not an answer in a thread where the owner
/// privately mentioned the sender first.
fn private_mention_not_in_reply(state: &AppState, n: &Notification) -> Result<bool, StoreError> {
    if n.kind != "mention" {
        return Ok(false);
    }
    let Some(status) = n
        .status_id
        .map(|id| state.store.status(id))
        .transpose()?
        .flatten()
    else {
        return Ok(false);
    };
    if status.visibility != Visibility::Direct {
        return Ok(false);
    }
    let mut next = status.in_reply_to_id;
    for _ in 0..MAX_THREAD_DEPTH {
        let Some(id) = next else { break };
        let Some(s) = state.store.status(id)? else {
            break;
        };
        if s.local
            && s.visibility == Visibility::Direct
            && s.mentions.iter().any(|m| m.account_id == n.account_id)
        {
            return Ok(false);
        }
        next = s.in_reply_to_id;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(not_following: bool, not_follower: bool, new: bool, private: bool) -> Sender {
        Sender {
            not_following,
            not_follower,
            new_account: new,
            private_mention: private,
        }
    }

    #[test]
    fn drop_wins_and_followed_accounts_pass_the_new_and_private_rules() {
        let defaults = NotificationPolicy::default();
        // By default only a stranger's private mention waits.
        assert_eq!(
            judge(&defaults, &sender(true, true, true, false)),
            Verdict::Accept
        );
        assert_eq!(
            judge(&defaults, &sender(true, true, false, true)),
            Verdict::Filter
        );
        assert_eq!(
            judge(&defaults, &sender(false, true, false, true)),
            Verdict::Accept
        );
        let strict = NotificationPolicy {
            for_not_following: PolicyAction::Filter,
            for_not_followers: PolicyAction::Drop,
            for_new_accounts: PolicyAction::Drop,
            ..defaults
        };
        assert_eq!(
            judge(&strict, &sender(true, false, false, false)),
            Verdict::Filter
        );
        assert_eq!(
            judge(&strict, &sender(true, true, false, false)),
            Verdict::Drop
        );
        // A new account the owner follows is not dropped as new.
        assert_eq!(
            judge(&strict, &sender(false, false, true, false)),
            Verdict::Accept
        );
    }
}
