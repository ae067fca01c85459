//! Mastodon's `FeaturedTag`. Its `statuses_count` is a string and
//! `last_status_at` a bare date, as Mastodon's serializer writes them;
//! apps parse exactly that.

use crate::state::AppState;
use crate::store::featured_tags::FeaturedTag;
use crate::store::Result;
use crate::time_fmt::date_only;
use serde::Serialize;

#[derive(Serialize, Debug)]
pub struct FeaturedTagEntity {
    pub id: String,
    pub name: String,
    pub url: String,
    pub statuses_count: String,
    pub last_status_at: Option<String>,
}

/// The entity of one of `account_id`'s featured tags. Its `url` is the
/// tag's page here, which lists the owner's posts first.
pub fn featured_tag(
    state: &AppState,
    account_id: u64,
    f: &FeaturedTag,
) -> Result<FeaturedTagEntity> {
    let key = f.display_name.to_lowercase();
    let used = state.store.tag_use(account_id, &key)?;
    Ok(FeaturedTagEntity {
        id: f.id.to_string(),
        name: f.display_name.clone(),
        url: state.urls.tag(&key),
        statuses_count: used.statuses_count.to_string(),
        last_status_at: used.last_status_at_ms.map(date_only),
    })
}
