//! Following hashtags. Placing followed tags' statuses in the home
//! timeline is the timelines' job (`Store::follows_tag`).

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::tags::FollowedTag;
use crate::time_fmt::now_ms;

/// Longest tag name accepted (Mastodon's limit too).
pub const MAX_TAG_CHARS: usize = 100;

/// `#RustLang` → `rustlang`; `None` when it is not a hashtag.
pub fn normalize(input: &str) -> Option<String> {
    let name = input.trim().trim_start_matches('#').to_lowercase();
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_TAG_CHARS
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.chars().all(|c| c.is_ascii_digit());
    valid.then_some(name)
}

fn checked(name: &str) -> OpResult<String> {
    normalize(name).ok_or_else(|| OpError::NotFound("Record not found: no such hashtag".into()))
}

pub async fn follow(state: &AppState, name: &str) -> OpResult<String> {
    let name = checked(name)?;
    let f = FollowedTag {
        id: state.store.next_id(),
        created_at_ms: now_ms(),
    };
    state.store.transact(|tx| tx.follow_tag(&name, &f))?;
    durable(state).await?;
    Ok(name)
}

pub async fn unfollow(state: &AppState, name: &str) -> OpResult<String> {
    let name = checked(name)?;
    state.store.transact(|tx| tx.unfollow_tag(&name))?;
    durable(state).await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names() {
        assert_eq!(normalize("#RustLang").as_deref(), Some("rustlang"));
        assert_eq!(normalize("café_2").as_deref(), Some("café_2"));
        assert_eq!(normalize("1234"), None);
        assert_eq!(normalize("two words"), None);
        assert_eq!(normalize("#"), None);
    }
}
