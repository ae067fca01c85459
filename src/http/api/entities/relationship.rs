//! `Relationship`: how the owner and one account stand to each other.

use crate::state::AppState;
use crate::store::relations::Rel;
use crate::store::Result;
use crate::time_fmt::now_ms;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct RelationshipEntity {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    /// Languages the owner follows them in; Burrow shows every language.
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

/// The owner's relationship to account `id`. An account that is not
/// known shows every flag off (Mastodon skips unknown ids; callers do).
pub fn relationship(state: &AppState, id: u64) -> Result<RelationshipEntity> {
    let store = &state.store;
    let follow = store
        .relation(Rel::Following, id)?
        .or(store.relation(Rel::Requested, id)?);
    let following = store.has_relation(Rel::Following, id)?;
    let requested = !following && follow.is_some();
    let mute = store
        .relation(Rel::Muting, id)?
        .filter(|m| !m.expires_at_ms.is_some_and(|e| e <= now_ms()));
    let domain = store.account(id)?.and_then(|a| a.domain);
    Ok(RelationshipEntity {
        id: id.to_string(),
        following,
        showing_reblogs: follow.as_ref().is_some_and(|f| f.reblogs),
        notifying: follow.as_ref().is_some_and(|f| f.notify),
        languages: None,
        followed_by: store.has_relation(Rel::FollowedBy, id)?,
        blocking: store.has_relation(Rel::Blocking, id)?,
        blocked_by: store.has_relation(Rel::BlockedBy, id)?,
        muting: mute.is_some(),
        muting_notifications: mute.as_ref().is_some_and(|m| m.hide_notifications),
        requested,
        requested_by: store.has_relation(Rel::RequestedBy, id)?,
        domain_blocking: match domain {
            Some(d) => store.is_domain_blocked(&d)?,
            None => false,
        },
        endorsed: crate::ops::endorsements::endorsed(state, id)?,
        note: store.account_note(id)?,
    })
}
