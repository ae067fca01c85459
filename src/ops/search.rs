//! Search without a full-text index: known accounts by name, the
//! owner's recent statuses by text, hashtags by prefix, and — when asked
//! to resolve — a handle or URL looked up on its server.

use super::{filters::searchable_text, inbound, owner_account, OpResult};
use crate::federation;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use crate::store::statuses::Status;
use crate::store::timelines::{self, Page};

/// Matching accounts gathered before ranking; more matches than this are
/// not ranked (a query that broad needs more letters anyway).
pub const MAX_ACCOUNT_CANDIDATES: usize = 400;

/// Status search reads at most this many recent entries of each timeline
/// it looks in (`home` and the owner's own): there is no text index, so
/// older statuses are out of reach until there is one.
pub const STATUS_SEARCH_SCAN: usize = timelines::MAX_SCAN;

/// `@user@host` or `user@host` → (`user`, `host`); `None` for anything else.
pub fn split_handle(q: &str) -> Option<(&str, &str)> {
    let q = q.trim().trim_start_matches('@');
    let (user, host) = q.split_once('@')?;
    let ok = |s: &str| !s.is_empty() && !s.contains(['@', '/', ' ', '?', '#']);
    (ok(user) && ok(host)).then_some((user, host))
}

fn is_url(q: &str) -> bool {
    q.starts_with("https://") || q.starts_with("http://")
}

/// A known account by handle (`alice`, `@alice@here`, `bob@there`).
pub fn known_handle(state: &AppState, q: &str) -> OpResult<Option<Account>> {
    let q = q.trim().trim_start_matches('@');
    match split_handle(q) {
        Some((user, host)) if host.eq_ignore_ascii_case(&state.urls.host) => {
            Ok(state.store.account_by_acct(user)?)
        }
        Some(_) => Ok(state.store.account_by_acct(q)?),
        None if !q.is_empty() && !q.contains('/') => Ok(state.store.account_by_acct(q)?),
        None => Ok(None),
    }
}

/// What a resolved query turned out to be.
pub enum Resolved {
    Account(Account),
    Status(Status),
    Nothing,
}

const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

/// Looks a handle or URL up, asking its server when it is not known
/// here: a handle through WebFinger, a URL by fetching it (an actor is
/// stored as an account, a post as a status kept even though nobody
/// here follows its author).
pub async fn resolve(state: &AppState, q: &str) -> OpResult<Resolved> {
    let q = q.trim();
    if is_url(q) {
        if let Some(s) = state.store.status_by_uri(q)? {
            return Ok(Resolved::Status(s));
        }
        if let Some(a) = state.store.account_by_uri(q)? {
            return Ok(Resolved::Account(a));
        }
        let Some(doc) = federation::fetch_object(state, q).await else {
            return Ok(Resolved::Nothing);
        };
        let kind = doc.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if ACTOR_TYPES.contains(&kind) {
            return Ok(match federation::actors::store_actor(state, &doc) {
                Ok(a) => Resolved::Account(a),
                Err(e) => {
                    tracing::info!("cannot store actor {q}: {e}");
                    Resolved::Nothing
                }
            });
        }
        return Ok(match inbound::store_remote_status(state, &doc, 1).await {
            Ok(Some(s)) => Resolved::Status(s),
            Ok(None) => Resolved::Nothing,
            Err(e) => {
                tracing::info!("cannot store status {q}: {e}");
                Resolved::Nothing
            }
        });
    }
    if let Some(a) = known_handle(state, q)? {
        return Ok(Resolved::Account(a));
    }
    if let Some((user, host)) = split_handle(q) {
        if let Some(a) = federation::resolve_handle(state, &format!("{user}@{host}")).await {
            return Ok(Resolved::Account(a));
        }
    }
    Ok(Resolved::Nothing)
}

/// Known accounts whose username, handle or display name (any word of
/// it) starts with the query, ignoring case: exact handles first, then
/// people the owner follows, then the rest.
pub fn find_accounts(
    state: &AppState,
    q: &str,
    offset: usize,
    limit: usize,
) -> OpResult<Vec<Account>> {
    let q = q.trim().trim_start_matches('@').to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    // `bob@host` as typed for the owner is just `alice` here.
    let local_form = match split_handle(&q) {
        Some((user, host)) if host == state.urls.host.to_lowercase() => user.to_string(),
        _ => q.clone(),
    };
    let mut found = state.store.find_accounts(
        |a| {
            let acct = a.acct_key();
            acct.starts_with(&local_form)
                || a.username.to_lowercase().starts_with(&local_form)
                || a.display_name
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&local_form))
                || a.display_name.to_lowercase().starts_with(&local_form)
        },
        MAX_ACCOUNT_CANDIDATES,
    )?;
    let rank = |a: &Account| -> u8 {
        if a.acct_key() == local_form {
            0
        } else if state
            .store
            .has_relation(Rel::Following, a.id)
            .unwrap_or(false)
        {
            1
        } else {
            2
        }
    };
    found.sort_by_key(|a| (rank(a), a.id));
    Ok(found.into_iter().skip(offset).take(limit).collect())
}

/// The owner's recent statuses and home timeline entries whose text
/// contains the query (ignoring case), newest first.
pub fn find_statuses(state: &AppState, q: &str, offset: usize, limit: usize) -> OpResult<Vec<u64>> {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let owner = owner_account(state)?;
    let wanted = offset + limit;
    let page = Page {
        limit: wanted.min(STATUS_SEARCH_SCAN),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for name in [timelines::home(), timelines::account(owner.id)] {
        ids.extend(state.store.timeline_page(&name, page, |id| {
            matches!(state.store.status(id), Ok(Some(s))
                if s.reblog_of_id.is_none() && searchable_text(&s).to_lowercase().contains(&q))
        })?);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    Ok(ids.into_iter().skip(offset).take(limit).collect())
}

/// Hashtags starting with the query: the query itself when it is a valid
/// tag name (as Mastodon offers it even before anyone used it), then
/// known ones.
pub fn find_tags(state: &AppState, q: &str, offset: usize, limit: usize) -> OpResult<Vec<String>> {
    let Some(name) = super::tags::normalize(q) else {
        return Ok(Vec::new());
    };
    let mut out = vec![name.clone()];
    for t in state.store.known_tags(&name, offset + limit + 1)? {
        if t != name {
            out.push(t);
        }
    }
    Ok(out.into_iter().skip(offset).take(limit).collect())
}
