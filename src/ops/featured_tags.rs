//! Featuring hashtags on the owner's profile. Peers read them from the
//! actor's `featuredTags` collection when they next refresh the actor, as
//! they do for Mastodon accounts; nothing is pushed.

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::featured_tags::FeaturedTag;
use crate::time_fmt::now_ms;

/// Mastodon's limit, also announced in the instance's configuration.
pub const MAX_FEATURED_TAGS: usize = 10;

/// Features `name` (with or without `#`). Featuring a tag twice returns
/// the first record, as Mastodon does.
pub async fn feature(state: &AppState, name: &str) -> OpResult<FeaturedTag> {
    let key = super::tags::normalize(name).ok_or_else(|| {
        OpError::Invalid(format!(
            "Validation failed: {name:?} is not a hashtag; use letters, digits and _"
        ))
    })?;
    let display = name.trim().trim_start_matches('#').to_string();
    let existing = state.store.featured_tags()?;
    if !state.store.is_featured_tag(&key)? && existing.len() >= MAX_FEATURED_TAGS {
        return Err(OpError::Invalid(format!(
            "Validation failed: at most {MAX_FEATURED_TAGS} hashtags can be featured; remove one first"
        )));
    }
    let f = FeaturedTag {
        id: state.store.next_id(),
        display_name: display,
        created_at_ms: now_ms(),
    };
    let f = state.store.transact(|tx| tx.feature_tag(&key, &f))?;
    durable(state).await?;
    Ok(f)
}

/// Stops featuring the tag with this id.
pub async fn unfeature(state: &AppState, id: u64) -> OpResult<()> {
    let Some(f) = state
        .store
        .featured_tags()?
        .into_iter()
        .find(|f| f.id == id)
    else {
        return Err(OpError::NotFound("Record not found".into()));
    };
    let key = f.display_name.to_lowercase();
    state.store.transact(|tx| tx.unfeature_tag(&key))?;
    durable(state).await?;
    Ok(())
}

/// Tags the owner used lately and does not feature yet, most recent
/// first: what Mastodon offers as suggestions.
pub fn suggestions(state: &AppState, limit: usize) -> OpResult<Vec<String>> {
    let Some(owner) = state.store.owner()? else {
        return Ok(Vec::new());
    };
    let page = crate::store::timelines::Page {
        limit: 100,
        ..Default::default()
    };
    let mut out: Vec<String> = Vec::new();
    for id in state.store.timeline_page(
        &crate::store::timelines::account(owner.account_id),
        page,
        |_| true,
    )? {
        let Some(s) = state.store.status(id)? else {
            continue;
        };
        for t in s.tags {
            if out.len() < limit && !out.contains(&t) && !state.store.is_featured_tag(&t)? {
                out.push(t);
            }
        }
    }
    Ok(out)
}
