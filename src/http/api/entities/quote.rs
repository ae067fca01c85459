//! The quote pieces of `Status` (Mastodon 4.5): the state a quote shows
//! a viewer, and `quote_approval`, who may quote a post.

use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::quotes::{QuoteLink, QuotePolicy, QuoteState};
use crate::store::relations::Rel;
use crate::store::statuses::Status;
use crate::store::Result;
use serde::Serialize;

/// Who may quote a post: `automatic` and `manual` name audiences
/// (`public`, `followers`), `current_user` says what the owner's own
/// quote would meet (`automatic`, `manual`, `denied`).
#[derive(Serialize, Debug, Clone)]
pub struct QuoteApprovalEntity {
    pub automatic: Vec<&'static str>,
    pub manual: Vec<&'static str>,
    pub current_user: &'static str,
}

/// The state a quote shows `viewer`, and the quoted post when they may
/// see it: as Mastodon, an accepted quote of a post that is gone is
/// `deleted`, and of one the viewer may not see `unauthorized`.
pub fn state_for(
    state: &AppState,
    q: &QuoteLink,
    quoted: Option<&Status>,
    viewer: &Viewer,
) -> Result<(&'static str, Option<Status>)> {
    if q.state != QuoteState::Accepted {
        return Ok((q.state.as_str(), None));
    }
    match quoted {
        None => Ok(("deleted", None)),
        Some(inner) if visibility::may_see(state, viewer, inner)? => {
            Ok(("accepted", Some(inner.clone())))
        }
        Some(_) => Ok(("unauthorized", None)),
    }
}

/// `quote_approval` of `s` (by `author`), for the owner (`owner_id`).
pub fn approval(
    state: &AppState,
    s: &Status,
    author: &Account,
    owner_id: u64,
) -> Result<QuoteApprovalEntity> {
    let audience = |p: Option<QuotePolicy>| match p {
        Some(QuotePolicy::Public) => vec!["public"],
        Some(QuotePolicy::Followers) => vec!["followers"],
        _ => vec![],
    };
    if s.reblog_of_id.is_some() {
        return Ok(QuoteApprovalEntity {
            automatic: vec![],
            manual: vec![],
            current_user: "denied",
        });
    }
    if s.local {
        let policy = crate::ops::quotes::effective_policy(s.visibility, s.quote_policy);
        return Ok(QuoteApprovalEntity {
            automatic: audience(Some(policy)),
            manual: vec![],
            current_user: if s.account_id == owner_id {
                "automatic"
            } else {
                "denied"
            },
        });
    }
    let current_user = if !s.visibility.is_public() {
        "denied"
    } else {
        match s.quote_policy {
            // A server without quote policies asks for no approval.
            None | Some(QuotePolicy::Public) => "automatic",
            Some(QuotePolicy::Followers)
                if state.store.has_relation(Rel::Following, author.id)? =>
            {
                "automatic"
            }
            Some(QuotePolicy::Followers) => "manual",
            Some(QuotePolicy::Nobody) => "denied",
        }
    };
    Ok(QuoteApprovalEntity {
        automatic: if s.visibility.is_public() {
            audience(s.quote_policy)
        } else {
            vec![]
        },
        manual: vec![],
        current_user,
    })
}
