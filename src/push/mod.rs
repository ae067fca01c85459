//! Web Push: phones and browsers hear of the owner's notifications while
//! the app is closed.
//!
//! How it runs: [`run`] listens on `state.events` for
//! `Event::Notification`; for each subscription that wants it
//! ([`wants`]), it builds Mastodon's payload, encrypts it for that
//! subscriber (`aesgcm`, the legacy coding most apps read, or RFC 8291
//! `ece` when the subscription said `standard`) and queues it on the
//! durable delivery queue as a push job, in one write. The delivery worker sends push jobs through
//! `deliver::attempt` (VAPID-signed POST, retries, removal of expired
//! subscriptions). Encrypting before queueing means the queue holds only
//! ciphertext, and a retry sends the same bytes.
//!
//! Events are not durable: a notification that arrives while the
//! listener lags far behind (more than `events::EVENT_BUFFER` events) is
//! not pushed; it is still in the notification list.

pub mod aesgcm;
pub mod deliver;
pub mod ece;
pub mod vapid;

use crate::events::Event;
use crate::http::api::entities::push::payload;
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::notifications::Notification;
use crate::store::push::{PushPolicy, PushSubscription};
use crate::store::queue::{DeliveryJob, JobKind, LegacyPushHeaders};
use crate::store::relations::Rel;
use crate::store::{Store, StoreError};
use crate::time_fmt::now_ms;
use tokio::sync::broadcast::error::RecvError;

/// Runs until the event channel closes; spawn it once at start-up. It
/// listens from the moment it is called, before the future first runs, so
/// no notification made after start-up slips past.
pub fn run(state: AppState) -> impl std::future::Future<Output = ()> + Send {
    let events = state.events.subscribe();
    listen(state, events)
}

async fn listen(state: AppState, mut events: tokio::sync::broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(Event::Notification(id)) => match queue_notification(&state, id).await {
                Ok(_) => {}
                Err(e) => tracing::error!("cannot queue push messages for notification {id}: {e}"),
            },
            Ok(_) => {}
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("push fell {n} events behind; those notifications are not pushed")
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Whether `sub` wants notification `n` pushed: its alert is on and the
/// policy admits the sender.
pub fn wants(store: &Store, sub: &PushSubscription, n: &Notification) -> Result<bool, StoreError> {
    if !sub.alerts.allows(&n.kind) {
        return Ok(false);
    }
    Ok(match sub.policy {
        PushPolicy::All => true,
        PushPolicy::None => false,
        PushPolicy::Followed => store.has_relation(Rel::Following, n.account_id)?,
        PushPolicy::Follower => store.has_relation(Rel::FollowedBy, n.account_id)?,
    })
}

/// Encrypts `json` in the coding the subscription reads: RFC 8291 when
/// it said `standard`, else the legacy `aesgcm`, whose salt and key go
/// with the job for its headers.
fn seal(
    sub: &PushSubscription,
    json: &[u8],
) -> Result<(Vec<u8>, Option<LegacyPushHeaders>), ece::EceError> {
    if sub.standard {
        return Ok((ece::encrypt(&sub.p256dh, &sub.auth, json)?, None));
    }
    let sealed = aesgcm::encrypt(&sub.p256dh, &sub.auth, json)?;
    let headers = LegacyPushHeaders {
        salt: sealed.salt.to_vec(),
        dh: sealed.dh,
    };
    Ok((sealed.body, Some(headers)))
}

/// Encrypts and queues notification `id` for every subscription that
/// wants it; returns how many messages were queued.
pub async fn queue_notification(state: &AppState, id: u64) -> Result<usize, StoreError> {
    let store = &state.store;
    let subs = store.push_subscriptions()?;
    if subs.is_empty() {
        return Ok(0);
    }
    let Some(n) = store.notification(id)? else {
        return Ok(0);
    };
    // What the owner hides in the app is not pushed to their phone either.
    let words =
        crate::ops::filters::Filters::load(state, crate::ops::filters::Context::Notifications)?;
    if crate::ops::hiding::domain_hidden(state, n.account_id)?
        || words.hides_notification(state, &n)
    {
        return Ok(0);
    }
    let Some(from) = store.account(n.account_id)? else {
        return Ok(0);
    };
    // Push goes to the owner's own devices; the gate is still asked, so
    // no path to a status skips it.
    let status = match n.status_id {
        Some(s) => visibility::visible_status(state, &Viewer::Owner, s)?,
        None => None,
    };
    let prefs = store.preferences()?;
    let locale = if prefs.language.is_empty() {
        "en"
    } else {
        prefs.language.as_str()
    };
    let mut jobs = Vec::new();
    for sub in subs {
        // A revoked token takes its subscription with it.
        if store.token(&sub.token_hash)?.is_none() {
            store.delete_push_subscription_if(&sub.token_hash, sub.id)?;
            continue;
        }
        if !wants(store, &sub, &n)? {
            continue;
        }
        let message = payload(
            &n,
            &from,
            status.as_ref(),
            // Only the token's hash is stored (see `store::push`).
            "",
            locale,
            &state.urls,
        );
        let json = serde_json::to_vec(&message).expect("a payload serializes");
        match seal(&sub, &json) {
            Ok((body, legacy)) => jobs.push(DeliveryJob {
                id: store.next_id(),
                inbox: sub.endpoint.clone(),
                body,
                kind: JobKind::Push {
                    token_hash: sub.token_hash.clone(),
                    subscription_id: sub.id,
                    legacy,
                },
                ..Default::default()
            }),
            Err(e) => tracing::warn!("cannot encrypt for push subscription {}: {e}", sub.id),
        }
    }
    if jobs.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    store.transact(|tx| {
        for job in &jobs {
            tx.enqueue_delivery(job, now)?;
        }
        Ok(())
    })?;
    store.flush().await?;
    state.delivery_wake.notify_one();
    Ok(jobs.len())
}
