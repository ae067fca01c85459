//! Hashtags: the ones the owner follows (`followed_tag \0 NAME` →
//! `FollowedTag` and `followed_tag_by_time \0 ID` → name, in `relations`)
//! and the ones known at all, read from the `tag:NAME` timelines.

use super::{index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FollowedTag {
    pub id: u64,
    pub created_at_ms: i64,
}

fn follow_key(name: &str) -> Vec<u8> {
    index_key("followed_tag", &[name.as_bytes()])
}
const ORDER: &str = "followed_tag_by_time";
fn order_key(id: u64) -> Vec<u8> {
    index_key(ORDER, &[&id.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    /// Whether the owner follows `name` (lower case).
    pub fn follows_tag(&self, name: &str) -> Result<bool> {
        Ok(self.relations.contains_key(follow_key(name))?)
    }

    /// Followed tags, newest first: (follow id, name).
    pub fn followed_tags_page(&self, page: timelines::Page) -> Result<Vec<(u64, String)>> {
        let ids = timelines::scan_page(&self.relations, ORDER, page, |_| true)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(n) = self.relations.get(order_key(id))? {
                out.push((id, String::from_utf8_lossy(&n).into_owned()));
            }
        }
        Ok(out)
    }

    /// Names of tags that have a timeline here and start with `prefix`
    /// (lower case), in name order, at most `limit`. Each name costs one
    /// seek, however many statuses carry it.
    pub fn known_tags(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        let start = timelines::tag(prefix);
        let mut from = start.clone().into_bytes();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some((k, _)) = self.timelines.range(from.clone()..).next().transpose()? else {
                break;
            };
            if !k.starts_with(start.as_bytes()) {
                break;
            }
            let end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
            let name = &k[4..end]; // after `tag:`
            out.push(String::from_utf8_lossy(name).into_owned());
            // Skip the rest of this tag's entries: `tag:NAME \x01` sorts after them.
            from = k[..end].to_vec();
            from.push(1);
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Follows a tag; returns whether it is new.
    pub fn follow_tag(&self, name: &str, f: &FollowedTag) -> R<bool> {
        if self.get(T::Relations, &follow_key(name))?.is_some() {
            return Ok(false);
        }
        self.put_rec(T::Relations, &follow_key(name), f)?;
        self.put(T::Relations, &order_key(f.id), name.as_bytes())?;
        Ok(true)
    }

    /// Stops following a tag; returns whether it was followed.
    pub fn unfollow_tag(&self, name: &str) -> R<bool> {
        let Some(old) = self.get_rec::<FollowedTag>(T::Relations, &follow_key(name))? else {
            return Ok(false);
        };
        self.remove(T::Relations, &follow_key(name))?;
        self.remove(T::Relations, &order_key(old.id))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::timeline_key;

    #[test]
    fn known_tags_are_distinct_names_by_prefix() {
        let s = Store::temporary().unwrap();
        for (tag, id) in [("rust", 1u64), ("rust", 2), ("rustlang", 3), ("ruby", 4)] {
            s.timelines
                .insert(timeline_key(&timelines::tag(tag), id), &id.to_be_bytes())
                .unwrap();
        }
        assert_eq!(s.known_tags("rus", 10).unwrap(), ["rust", "rustlang"]);
        assert_eq!(s.known_tags("ru", 2).unwrap(), ["ruby", "rust"]);
        assert!(s.known_tags("x", 10).unwrap().is_empty());
    }

    #[test]
    fn follows_are_listed_until_undone() {
        let s = Store::temporary().unwrap();
        let f = FollowedTag {
            id: 3,
            created_at_ms: 0,
        };
        assert!(s.transact(|tx| tx.follow_tag("rust", &f)).unwrap());
        assert!(s.follows_tag("rust").unwrap());
        let page = timelines::Page {
            limit: 5,
            ..Default::default()
        };
        assert_eq!(
            s.followed_tags_page(page).unwrap(),
            vec![(3, "rust".to_string())]
        );
        assert!(s.transact(|tx| tx.unfollow_tag("rust")).unwrap());
        assert!(!s.follows_tag("rust").unwrap());
        assert!(s.followed_tags_page(page).unwrap().is_empty());
    }
}
