//! Follows, follow requests, blocks and mutes from the owner's side.
//! A follow of a remote account stays "requested" until its server's
//! Accept arrives (see the inbox).

use super::{commit, durable, owner_account, OpError, OpResult};
use crate::activitypub::activity;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::{Rel, Relation};
use crate::store::TxResult;
use crate::time_fmt::now_ms;
use serde_json::json;

fn target(state: &AppState, id: u64, owner: &Account) -> OpResult<Account> {
    let a = state
        .store
        .account(id)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    if a.id == owner.id {
        return Err(OpError::Invalid(
            "Validation failed: you can't do that to yourself".into(),
        ));
    }
    Ok(a)
}

pub struct FollowOptions {
    pub reblogs: bool,
    pub notify: bool,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            reblogs: true,
            notify: false,
        }
    }
}

/// Sends a Follow; the relation is "requested" until accepted.
pub async fn follow(state: &AppState, id: u64, opts: FollowOptions) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    if state.store.has_relation(Rel::Blocking, id)?
        || state.store.has_relation(Rel::BlockedBy, id)?
    {
        return Err(OpError::Forbidden(
            "This action is not allowed: a block is in place".into(),
        ));
    }
    if let Some(mut r) = state
        .store
        .relation(Rel::Following, id)?
        .or(state.store.relation(Rel::Requested, id)?)
    {
        // Already following or asked: only the options change.
        r.reblogs = opts.reblogs;
        r.notify = opts.notify;
        let rel = if state.store.has_relation(Rel::Following, id)? {
            Rel::Following
        } else {
            Rel::Requested
        };
        state
            .store
            .transact(|tx| tx.set_relation(owner.id, rel, id, &r).map(|_| ()))?;
        durable(state).await?;
        return Ok(them);
    }
    let f = FollowChange::follow(state, &owner, &them, opts)?;
    commit(state, &f.jobs, |tx| f.write(tx, owner.id)).await?;
    Ok(them)
}

/// Withdraws a follow or a pending request.
pub async fn unfollow(state: &AppState, id: u64) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    let Some(f) = FollowChange::unfollow(state, &owner, &them)? else {
        return Ok(them);
    };
    commit(state, &f.jobs, |tx| f.write(tx, owner.id)).await?;
    Ok(them)
}

/// A follow begun or ended, worked out before anything is written: what
/// the owner's relations become and what is sent. `follow` and
/// `unfollow` commit one alone; an inbound Move commits an end and a
/// beginning in one transaction with its other writes.
pub(crate) struct FollowChange {
    account: u64,
    /// The new request, or `None` when the follow ends.
    request: Option<Relation>,
    /// Lists the account leaves when the follow ends.
    lists: Vec<u64>,
    pub(crate) jobs: Vec<crate::store::queue::DeliveryJob>,
}

impl FollowChange {
    /// A Follow of `them`, pending until their server accepts.
    pub(crate) fn follow(
        state: &AppState,
        owner: &Account,
        them: &Account,
        opts: FollowOptions,
    ) -> OpResult<FollowChange> {
        let rid = state.store.next_id();
        let follow_id = activity::activity_id(owner, "follows", rid);
        let doc = activity::simple("Follow", follow_id.clone(), owner, &them.uri, None);
        let jobs = outbox::jobs(state, &doc, outbox::account_inboxes(state, &[them.id])?);
        Ok(FollowChange {
            account: them.id,
            request: Some(Relation {
                id: rid,
                activity_uri: follow_id,
                created_at_ms: now_ms(),
                reblogs: opts.reblogs,
                notify: opts.notify,
                ..Default::default()
            }),
            lists: vec![],
            jobs,
        })
    }

    /// The end of the owner's follow (or request) of `them`, with the
    /// Undo their server is sent; `None` when there is none.
    pub(crate) fn unfollow(
        state: &AppState,
        owner: &Account,
        them: &Account,
    ) -> OpResult<Option<FollowChange>> {
        let old = state
            .store
            .relation(Rel::Following, them.id)?
            .or(state.store.relation(Rel::Requested, them.id)?);
        let Some(old) = old else { return Ok(None) };
        let follow = activity::simple("Follow", old.activity_uri.clone(), owner, &them.uri, None);
        let undo = activity::respond(
            "Undo",
            format!("{}/undo", old.activity_uri),
            owner,
            follow,
            &them.uri,
        );
        let jobs = outbox::jobs(state, &undo, outbox::account_inboxes(state, &[them.id])?);
        Ok(Some(FollowChange {
            account: them.id,
            request: None,
            // Lists hold only followed accounts (see `ops::lists::add_accounts`);
            // like Mastodon, ending the follow takes the account out of them.
            lists: state.store.lists_for_account(them.id)?,
            jobs,
        }))
    }

    /// The change's writes, inside the caller's transaction.
    pub(crate) fn write(&self, tx: &crate::store::Tx, owner_id: u64) -> TxResult<()> {
        match &self.request {
            Some(r) => tx
                .set_relation(owner_id, Rel::Requested, self.account, r)
                .map(|_| ()),
            None => {
                tx.remove_relation(owner_id, Rel::Following, self.account)?;
                tx.remove_relation(owner_id, Rel::Requested, self.account)?;
                tx.remove_from_lists(self.account, &self.lists)
            }
        }
    }
}

/// The Follow activity they sent us, rebuilt from what we kept.
fn their_follow(them: &Account, owner: &Account, r: &Relation) -> serde_json::Value {
    json!({ "id": r.activity_uri, "type": "Follow", "actor": them.uri, "object": owner.uri })
}

/// Answers a follow request (or ends a follow) with Accept or Reject.
async fn answer(state: &AppState, id: u64, accept: bool, from: Rel) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    let Some(r) = state.store.relation(from, id)? else {
        return Err(OpError::NotFound(
            "Record not found: no such follow request".into(),
        ));
    };
    let kind = if accept { "Accept" } else { "Reject" };
    let reply_id = activity::activity_id(&owner, &kind.to_lowercase(), state.store.next_id());
    let doc = activity::respond(
        kind,
        reply_id,
        &owner,
        their_follow(&them, &owner, &r),
        &them.uri,
    );
    let jobs = outbox::jobs(state, &doc, outbox::account_inboxes(state, &[id])?);
    commit(state, &jobs, |tx| {
        tx.remove_relation(owner.id, from, id)?;
        if accept {
            tx.set_relation(owner.id, Rel::FollowedBy, id, &r)?;
        }
        tx.unnotify("follow_request", id, None)?;
        Ok(())
    })
    .await?;
    Ok(them)
}

pub async fn authorize_request(state: &AppState, id: u64) -> OpResult<Account> {
    let them = answer(state, id, true, Rel::RequestedBy).await?;
    let mut n = crate::store::notifications::Notification {
        id: state.store.next_id(),
        kind: "follow".into(),
        account_id: id,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    super::notification_groups::assign(&state.store, &mut n)?;
    state.store.transact(|tx| tx.notify(&n).map(|_| ()))?;
    Ok(them)
}

pub async fn reject_request(state: &AppState, id: u64) -> OpResult<Account> {
    answer(state, id, false, Rel::RequestedBy).await
}

/// Makes a follower stop following (Mastodon sends a Reject of their Follow).
pub async fn remove_from_followers(state: &AppState, id: u64) -> OpResult<Account> {
    answer(state, id, false, Rel::FollowedBy).await
}

/// Blocks: ends follows both ways and tells their server.
pub async fn block(state: &AppState, id: u64) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    if state.store.has_relation(Rel::Blocking, id)? {
        return Ok(them);
    }
    let rid = state.store.next_id();
    let block_id = activity::activity_id(&owner, "blocks", rid);
    let doc = activity::simple("Block", block_id.clone(), &owner, &them.uri, None);
    let jobs = outbox::jobs(state, &doc, outbox::account_inboxes(state, &[id])?);
    // A block ends the follow, so the lists go too, as on unfollow.
    let lists = state.store.lists_for_account(id)?;
    let r = Relation {
        id: rid,
        activity_uri: block_id,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    commit(state, &jobs, |tx| {
        tx.set_relation(owner.id, Rel::Blocking, id, &r)?;
        tx.remove_follows(owner.id, id)?;
        tx.remove_from_lists(id, &lists)?;
        Ok(())
    })
    .await?;
    Ok(them)
}

pub async fn unblock(state: &AppState, id: u64) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    let Some(old) = state.store.relation(Rel::Blocking, id)? else {
        return Ok(them);
    };
    let block = activity::simple("Block", old.activity_uri.clone(), &owner, &them.uri, None);
    let undo = activity::respond(
        "Undo",
        format!("{}/undo", old.activity_uri),
        &owner,
        block,
        &them.uri,
    );
    let jobs = outbox::jobs(state, &undo, outbox::account_inboxes(state, &[id])?);
    commit(state, &jobs, |tx| {
        tx.remove_relation(owner.id, Rel::Blocking, id)?;
        Ok(())
    })
    .await?;
    Ok(them)
}

/// Mutes are private: nothing is sent.
pub async fn mute(
    state: &AppState,
    id: u64,
    notifications: bool,
    duration_secs: Option<i64>,
) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    let r = Relation {
        id: state.store.next_id(),
        created_at_ms: now_ms(),
        hide_notifications: notifications,
        expires_at_ms: duration_secs
            .filter(|d| *d > 0)
            .map(|d| now_ms() + d * 1000),
        ..Default::default()
    };
    state
        .store
        .transact(|tx| tx.set_relation(owner.id, Rel::Muting, id, &r).map(|_| ()))?;
    durable(state).await?;
    Ok(them)
}

pub async fn unmute(state: &AppState, id: u64) -> OpResult<Account> {
    let owner = owner_account(state)?;
    let them = target(state, id, &owner)?;
    state
        .store
        .transact(|tx| tx.remove_relation(owner.id, Rel::Muting, id).map(|_| ()))?;
    durable(state).await?;
    Ok(them)
}

/// A delivery got 410 Gone: followers behind that inbox are gone too.
pub fn inbox_gone(state: &AppState, inbox: &str) {
    let Ok(owner) = owner_account(state) else {
        return;
    };
    let Ok(ids) = state.store.relation_accounts(Rel::FollowedBy) else {
        return;
    };
    for id in ids {
        if let Ok(Some(a)) = state.store.account(id) {
            if a.inbox == inbox {
                let _ = state.store.transact(|tx| {
                    tx.remove_relation(owner.id, Rel::FollowedBy, id)
                        .map(|_| ())
                });
            }
        }
    }
}
