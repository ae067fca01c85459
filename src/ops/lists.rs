//! The owner's lists: named groups of followed accounts, each with its
//! own timeline (`list:ID`). New statuses of members are placed in the
//! list timelines as they arrive (see `inbound::store_remote_status`).

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::lists::List;
use crate::store::relations::Rel;

/// Longest list title accepted; titles are labels in an app's menu.
pub const MAX_TITLE_CHARS: usize = 256;

/// Mastodon's reply policies, in its words.
pub const REPLIES_POLICIES: &[&str] = &["followed", "list", "none"];

/// What a create or update sets; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct ListInput {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

fn not_found() -> OpError {
    OpError::NotFound("Record not found".into())
}

fn apply(list: &mut List, input: ListInput) -> OpResult<()> {
    if let Some(t) = input.title {
        list.title = t.trim().to_string();
    }
    if list.title.is_empty() {
        return Err(OpError::Invalid(
            "Validation failed: Title can't be blank".into(),
        ));
    }
    if list.title.chars().count() > MAX_TITLE_CHARS {
        return Err(OpError::Invalid(format!(
            "Validation failed: Title is too long (maximum is {MAX_TITLE_CHARS} characters)"
        )));
    }
    if let Some(p) = input.replies_policy {
        if !REPLIES_POLICIES.contains(&p.as_str()) {
            return Err(OpError::Invalid(format!(
                "Validation failed: Replies policy `{p}` is not one of followed, list, none"
            )));
        }
        list.replies_policy = p;
    }
    if let Some(e) = input.exclusive {
        list.exclusive = e;
    }
    Ok(())
}

pub async fn create(state: &AppState, input: ListInput) -> OpResult<List> {
    let mut list = List {
        id: state.store.next_id(),
        replies_policy: "list".into(),
        ..Default::default()
    };
    apply(&mut list, input)?;
    state.store.transact(|tx| tx.put_list(&list))?;
    durable(state).await?;
    Ok(list)
}

pub async fn update(state: &AppState, id: u64, input: ListInput) -> OpResult<List> {
    let mut list = state.store.list(id)?.ok_or_else(not_found)?;
    apply(&mut list, input)?;
    state.store.transact(|tx| tx.put_list(&list))?;
    durable(state).await?;
    Ok(list)
}

/// Deletes a list and its memberships. Entries already in its timeline
/// stay in the `timelines` tree, unreachable; deleting their statuses
/// later removes them (each status remembers where it was placed).
pub async fn delete(state: &AppState, id: u64) -> OpResult<()> {
    state.store.list(id)?.ok_or_else(not_found)?;
    let members = state.store.list_members_all(id)?;
    state.store.transact(|tx| tx.delete_list(id, &members))?;
    durable(state).await
}

/// Adds accounts the owner follows (or asked to follow); like Mastodon,
/// anyone else, or someone already in the list, refuses the whole call.
pub async fn add_accounts(state: &AppState, list: u64, accounts: &[u64]) -> OpResult<()> {
    state.store.list(list)?.ok_or_else(not_found)?;
    for id in accounts {
        state.store.account(*id)?.ok_or_else(not_found)?;
        if !state.store.has_relation(Rel::Following, *id)?
            && !state.store.has_relation(Rel::Requested, *id)?
        {
            return Err(OpError::Invalid(format!(
                "Validation failed: account {id} is not followed; follow it before adding it to a list"
            )));
        }
        if state.store.is_list_member(list, *id)? {
            return Err(OpError::Invalid(
                "Validation failed: Account has already been taken".into(),
            ));
        }
    }
    let entries: Vec<u64> = accounts.iter().map(|_| state.store.next_id()).collect();
    state.store.transact(|tx| {
        for (id, entry) in accounts.iter().zip(&entries) {
            tx.add_list_member(list, *id, *entry)?;
        }
        Ok(())
    })?;
    durable(state).await
}

pub async fn remove_accounts(state: &AppState, list: u64, accounts: &[u64]) -> OpResult<()> {
    state.store.list(list)?.ok_or_else(not_found)?;
    state.store.transact(|tx| {
        for id in accounts {
            tx.remove_list_member(list, *id)?;
        }
        Ok(())
    })?;
    durable(state).await
}
