//! Moving accounts: the owner's aliases (`alsoKnownAs`, so another
//! server's account can move here) and moving out (`movedTo` and a `Move`
//! to every follower). Both are told to followers' servers through the
//! durable delivery queue; inbound `Move`s are handled in `inbound`.

use super::{commit, owner_account, OpError, OpResult};
use crate::activitypub::{activity, actor, PUBLIC};
use crate::federation::{self, outbox};
use crate::state::AppState;
use crate::store::accounts::Account;
use serde_json::json;

/// More aliases than this is a mistake, not a history of moves; it also
/// bounds the actor document.
pub const MAX_ALIASES: usize = 10;

/// Finds the account `input` names: an `https://…` actor URL, or a
/// `@user@host` / `user@host` handle resolved through WebFinger. Both go
/// through the SSRF-safe fetcher.
pub async fn resolve(state: &AppState, input: &str) -> OpResult<Account> {
    let input = input.trim();
    let found = if input.starts_with("https://") || input.starts_with("http://") {
        federation::fetch_actor(state, input).await
    } else {
        let handle = input.strip_prefix('@').unwrap_or(input);
        if !handle.contains('@') {
            return Err(OpError::Invalid(format!(
                "`{input}` is neither an account URL nor a handle like @user@example.net"
            )));
        }
        federation::resolve_handle(state, handle).await
    };
    found.ok_or_else(|| OpError::NotFound(format!("the account `{input}` could not be found")))
}

/// Adds the account `input` names to the owner's aliases and tells
/// followers (Update of the actor).
pub async fn add_alias(state: &AppState, input: &str) -> OpResult<Account> {
    let target = resolve(state, input).await?;
    let mut owner = owner_account(state)?;
    if target.uri == owner.uri {
        return Err(OpError::Invalid(
            "an account can't be an alias of itself".into(),
        ));
    }
    if !owner.also_known_as.contains(&target.uri) {
        if owner.also_known_as.len() >= MAX_ALIASES {
            return Err(OpError::Invalid(format!(
                "at most {MAX_ALIASES} aliases; remove one first"
            )));
        }
        owner.also_known_as.push(target.uri.clone());
    }
    save_and_announce(state, &owner).await?;
    Ok(owner)
}

/// Removes an alias, given as the URI listed or as the handle or URL that
/// was added (resolved again only when it isn't listed as given).
pub async fn remove_alias(state: &AppState, input: &str) -> OpResult<Account> {
    let mut owner = owner_account(state)?;
    let input = input.trim();
    let uri = if owner.also_known_as.iter().any(|a| a == input) {
        input.to_string()
    } else {
        resolve(state, input).await?.uri
    };
    let before = owner.also_known_as.len();
    owner.also_known_as.retain(|a| *a != uri);
    if owner.also_known_as.len() == before {
        return Err(OpError::NotFound(format!("`{input}` is not an alias")));
    }
    save_and_announce(state, &owner).await?;
    Ok(owner)
}

/// Writes the owner record and queues the `Update` of the actor in one
/// transaction.
async fn save_and_announce(state: &AppState, owner: &Account) -> OpResult<()> {
    let person = actor::person(owner, &state.urls);
    let id = activity::activity_id(owner, "updates", state.store.next_id());
    let doc = activity::update_person(id, owner, person);
    let jobs = outbox::jobs(state, &doc, outbox::follower_inboxes(state)?);
    commit(state, &jobs, |tx| tx.put_account(owner)).await
}

/// Moves the owner to the account `input` names. Only when that account
/// lists the owner in `alsoKnownAs` (freshly fetched): otherwise anyone
/// could be named as where the owner went. Sets `movedTo` and queues a
/// `Move` to every follower, whose servers then follow the new account.
pub async fn move_to(state: &AppState, input: &str) -> OpResult<Account> {
    let mut owner = owner_account(state)?;
    let target = resolve(state, input).await?;
    if target.uri == owner.uri {
        return Err(OpError::Invalid("the owner can't move to itself".into()));
    }
    if !target.also_known_as.contains(&owner.uri) {
        return Err(OpError::Forbidden(format!(
            "{} does not list {} among its aliases (alsoKnownAs); add the alias on the new account first",
            target.uri, owner.uri
        )));
    }
    owner.moved_to = Some(target.uri.clone());
    let id = activity::activity_id(&owner, "moves", state.store.next_id());
    let doc = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Move",
        "actor": owner.uri,
        "object": owner.uri,
        "target": target.uri,
        "to": [PUBLIC],
        "cc": [owner.followers_url],
    });
    let inboxes = outbox::follower_inboxes(state)?;
    let mut jobs = outbox::jobs(state, &doc, inboxes.clone());
    // The actor document carries `movedTo` too, for servers that look
    // there rather than at the Move.
    let person = actor::person(&owner, &state.urls);
    let update_id = activity::activity_id(&owner, "updates", state.store.next_id());
    let update = activity::update_person(update_id, &owner, person);
    jobs.extend(outbox::jobs(state, &update, inboxes));
    commit(state, &jobs, |tx| tx.put_account(&owner)).await?;
    Ok(owner)
}
