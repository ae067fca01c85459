//! Who may see a status: the one gate every path that returns statuses
//! asks, be it the client API, the web pages and feeds, streaming and
//! push, or an ActivityPub fetch.
//!
//! The rule, as Mastodon keeps it:
//! - public and unlisted: anyone, except a remote actor the owner blocks
//!   (the actor, or their whole domain);
//! - followers-only (`private`): the owner, the author, accounts it
//!   mentions, and followers of its author;
//! - direct: the owner, the author, and the accounts it mentions;
//! - a boost: only when the boost and the boosted status may both be seen.
//!
//! Which statuses a list shows (public timelines and tag pages list only
//! public posts, profiles leave out replies to others) and what the owner
//! chose to hide (`hiding`, `filters`) are separate questions, asked
//! after this one.

use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use crate::store::statuses::{Status, Visibility};
use crate::store::Result;

/// Who is looking.
#[derive(Clone, Debug)]
pub enum Viewer {
    /// The owner. The store keeps only what reached them, so they see
    /// everything in it.
    Owner,
    /// Nobody in particular: a web visitor, a request without a token, an
    /// app-only (`client_credentials`) token, an unsigned peer. Sees public
    /// and unlisted statuses.
    Anonymous,
    /// A remote actor proven by a verified HTTP signature (ActivityPub
    /// fetches): sees what Mastodon would show that actor.
    Remote(Box<Account>),
}

impl Viewer {
    pub fn is_owner(&self) -> bool {
        matches!(self, Viewer::Owner)
    }

    /// Whether this viewer may make the server fetch from elsewhere
    /// (resolving a handle or URL): only the owner, so a stranger cannot
    /// aim this small server at any address they name.
    pub fn may_fetch_remote(&self) -> bool {
        self.is_owner()
    }
}

/// Whether `viewer` may see `s` (for a boost: the boost and what it
/// boosts).
pub fn may_see(state: &AppState, viewer: &Viewer, s: &Status) -> Result<bool> {
    if viewer.is_owner() {
        return Ok(true);
    }
    if !alone(state, viewer, s)? {
        return Ok(false);
    }
    match s.reblog_of_id {
        None => Ok(true),
        Some(inner) => match state.store.status(inner)? {
            Some(i) => alone(state, viewer, &i),
            None => Ok(false),
        },
    }
}

/// The status with id `id` if it exists and `viewer` may see it.
pub fn visible_status(state: &AppState, viewer: &Viewer, id: u64) -> Result<Option<Status>> {
    match state.store.status(id)? {
        Some(s) if may_see(state, viewer, &s)? => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// The rule for one status, not looking into what it boosts.
fn alone(state: &AppState, viewer: &Viewer, s: &Status) -> Result<bool> {
    let actor = match viewer {
        Viewer::Owner => return Ok(true),
        Viewer::Anonymous => return Ok(s.visibility.is_public()),
        Viewer::Remote(actor) => actor,
    };
    if state.store.has_relation(Rel::Blocking, actor.id)?
        || crate::ops::hiding::domain_hidden(state, actor.id)?
    {
        return Ok(false);
    }
    if s.account_id == actor.id {
        return Ok(true);
    }
    let mentioned = s.mentions.iter().any(|m| m.account_id == actor.id);
    Ok(match s.visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => mentioned || follows_author(state, actor, s)?,
        Visibility::Direct => mentioned,
    })
}

/// Whether `actor` follows the author of `s`. Only the owner's followers
/// are known here; for a remote author nobody is taken to follow them.
fn follows_author(state: &AppState, actor: &Account, s: &Status) -> Result<bool> {
    let owner = state.store.owner_account_id()?;
    if owner != Some(s.account_id) {
        return Ok(false);
    }
    state.store.has_relation(Rel::FollowedBy, actor.id)
}
