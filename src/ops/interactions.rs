//! The owner's favourites, boosts, bookmarks and pins.

use super::{commit, durable, emit, owner_account, OpError, OpResult};
use crate::activitypub::activity;
use crate::events::Event;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::relations::{Relation, StatusRel};
use crate::store::statuses::{Status, Visibility};
use crate::store::timelines;
use crate::time_fmt::now_ms;

/// A status the owner may see, or NotFound.
pub fn visible_status(state: &AppState, id: u64) -> OpResult<Status> {
    let s = state
        .store
        .status(id)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    Ok(s)
}

fn rel(id: u64, activity_uri: String) -> Relation {
    Relation {
        id,
        activity_uri,
        created_at_ms: now_ms(),
        ..Default::default()
    }
}

pub async fn favourite(state: &AppState, id: u64) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let status = visible_status(state, id)?;
    if state
        .store
        .status_rel(StatusRel::Favourite, id, owner.id)?
        .is_some()
    {
        return Ok(status);
    }
    let rid = state.store.next_id();
    let like_id = activity::activity_id(&owner, "likes", rid);
    let like = activity::simple("Like", like_id.clone(), &owner, &status.uri, None);
    let jobs = outbox::jobs(
        state,
        &like,
        outbox::account_inboxes(state, &[status.account_id])?,
    );
    let r = rel(rid, like_id);
    commit(state, &jobs, |tx| {
        if tx.set_status_rel(StatusRel::Favourite, id, owner.id, owner.id, &r)? {
            if let Some(mut s) = tx.status(id)? {
                s.favourites_count += 1;
                tx.update_status(&s)?;
            }
        }
        Ok(())
    })
    .await?;
    visible_status(state, id)
}

pub async fn unfavourite(state: &AppState, id: u64) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let status = visible_status(state, id)?;
    let Some(old) = state.store.status_rel(StatusRel::Favourite, id, owner.id)? else {
        return Ok(status);
    };
    let like = activity::simple("Like", old.activity_uri.clone(), &owner, &status.uri, None);
    let undo = activity::respond(
        "Undo",
        format!("{}/undo", old.activity_uri),
        &owner,
        like,
        &status_author_uri(state, &status),
    );
    let jobs = outbox::jobs(
        state,
        &undo,
        outbox::account_inboxes(state, &[status.account_id])?,
    );
    commit(state, &jobs, |tx| {
        if tx
            .remove_status_rel(StatusRel::Favourite, id, owner.id, owner.id)?
            .is_some()
        {
            if let Some(mut s) = tx.status(id)? {
                s.favourites_count = s.favourites_count.saturating_sub(1);
                tx.update_status(&s)?;
            }
        }
        Ok(())
    })
    .await?;
    visible_status(state, id)
}

fn status_author_uri(state: &AppState, s: &Status) -> String {
    state
        .store
        .account(s.account_id)
        .ok()
        .flatten()
        .map(|a| a.uri)
        .unwrap_or_default()
}

/// Boosts a status; returns the boost (a status wrapping the original).
pub async fn reblog(state: &AppState, id: u64, visibility: Option<Visibility>) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let original = visible_status(state, id)?;
    let original = match original.reblog_of_id {
        Some(inner) => visible_status(state, inner)?,
        None => original,
    };
    if !original.visibility.is_public() {
        return Err(OpError::Forbidden(
            "This action is not allowed: only public posts can be boosted".into(),
        ));
    }
    if let Some(r) = state
        .store
        .status_rel(StatusRel::Reblog, original.id, owner.id)?
    {
        if let Some(b) = state.store.status(r.id)? {
            return Ok(b);
        }
    }
    let bid = state.store.next_id();
    let now = crate::store::ids::id_time_ms(bid);
    let visibility = visibility.unwrap_or(Visibility::Public);
    let uri = format!("{}/activity", state.urls.status(&owner.username, bid));
    let boost = Status {
        id: bid,
        uri: uri.clone(),
        url: state.urls.status_page(&owner.username, bid),
        account_id: owner.id,
        local: true,
        reblog_of_id: Some(original.id),
        visibility,
        created_at_ms: now,
        placed: vec![timelines::home(), timelines::account(owner.id)],
        ..Default::default()
    };
    let author = status_author_uri(state, &original);
    let announce = activity::announce(
        uri.clone(),
        &owner,
        &original.uri,
        &author,
        visibility == Visibility::Public,
        now,
    );
    let mut inboxes = outbox::follower_inboxes(state)?;
    inboxes.extend(outbox::account_inboxes(state, &[original.account_id])?);
    let jobs = outbox::jobs(state, &announce, inboxes);
    let r = rel(bid, uri);
    let oid = original.id;
    commit(state, &jobs, |tx| {
        tx.insert_status(&boost)?;
        if tx.set_status_rel(StatusRel::Reblog, oid, owner.id, owner.id, &r)? {
            if let Some(mut s) = tx.status(oid)? {
                s.reblogs_count += 1;
                tx.update_status(&s)?;
            }
        }
        Ok(())
    })
    .await?;
    emit(state, Event::StatusCreated(bid));
    Ok(boost)
}

/// Undoes the owner's boost; returns the original status.
pub async fn unreblog(state: &AppState, id: u64) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let original = visible_status(state, id)?;
    let original = match original.reblog_of_id {
        Some(inner) => visible_status(state, inner)?,
        None => original,
    };
    let Some(r) = state
        .store
        .status_rel(StatusRel::Reblog, original.id, owner.id)?
    else {
        return Ok(original);
    };
    let boost = state.store.status(r.id)?;
    let author = status_author_uri(state, &original);
    let announce = activity::announce(
        r.activity_uri.clone(),
        &owner,
        &original.uri,
        &author,
        true,
        r.created_at_ms,
    );
    let undo = activity::respond(
        "Undo",
        format!("{}/undo", r.activity_uri),
        &owner,
        announce,
        crate::activitypub::PUBLIC,
    );
    let mut inboxes = outbox::follower_inboxes(state)?;
    inboxes.extend(outbox::account_inboxes(state, &[original.account_id])?);
    let jobs = outbox::jobs(state, &undo, inboxes);
    let oid = original.id;
    commit(state, &jobs, |tx| {
        if let Some(b) = &boost {
            tx.delete_status(b)?;
        }
        if tx
            .remove_status_rel(StatusRel::Reblog, oid, owner.id, owner.id)?
            .is_some()
        {
            if let Some(mut s) = tx.status(oid)? {
                s.reblogs_count = s.reblogs_count.saturating_sub(1);
                tx.update_status(&s)?;
            }
        }
        Ok(())
    })
    .await?;
    if let Some(b) = boost {
        emit(state, Event::StatusDeleted(b.id));
    }
    visible_status(state, oid)
}

/// Bookmarks, pins and status mutes are the owner's own business: stored,
/// never federated (pins are read from the `featured` collection).
pub async fn set_flag(state: &AppState, id: u64, kind: StatusRel, on: bool) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let status = visible_status(state, id)?;
    if kind == StatusRel::Pin {
        if status.account_id != owner.id || status.reblog_of_id.is_some() {
            return Err(OpError::Invalid(
                "Validation failed: you can only pin your own posts".into(),
            ));
        }
        if on && !status.visibility.is_public() {
            return Err(OpError::Invalid(
                "Validation failed: only public or unlisted posts can be pinned".into(),
            ));
        }
    }
    let r = rel(state.store.next_id(), String::new());
    state.store.transact(|tx| {
        if on {
            tx.set_status_rel(kind, id, owner.id, owner.id, &r)?;
        } else {
            tx.remove_status_rel(kind, id, owner.id, owner.id)?;
        }
        Ok(())
    })?;
    durable(state).await?;
    Ok(status)
}
