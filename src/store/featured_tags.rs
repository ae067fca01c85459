//! Hashtags the owner features on the profile: `featured_tag \0 NAME` →
//! `FeaturedTag` in `relations`. Mastodon allows ten, so listing them is
//! one short prefix scan and needs no ordering index.

use super::{index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FeaturedTag {
    pub id: u64,
    /// The name as the owner typed it (`RustLang`); the key holds it in
    /// lower case.
    pub display_name: String,
    pub created_at_ms: i64,
}

const PREFIX: &str = "featured_tag";

fn key(name: &str) -> Vec<u8> {
    index_key(PREFIX, &[name.as_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

/// How the owner has used a tag: their public statuses carrying it (the
/// ones a tag timeline holds), and when the newest was posted.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TagUse {
    pub statuses_count: u64,
    pub last_status_at_ms: Option<i64>,
}

impl Store {
    /// Featured tags in the order they were featured.
    pub fn featured_tags(&self) -> Result<Vec<FeaturedTag>> {
        let mut out = Vec::new();
        for kv in self.relations.scan_prefix(index_key(PREFIX, &[&[]])) {
            let (_, v) = kv?;
            out.push(super::codec::decode::<FeaturedTag>(&v)?);
        }
        out.sort_by_key(|f| f.id);
        Ok(out)
    }

    pub fn is_featured_tag(&self, name: &str) -> Result<bool> {
        Ok(self.relations.contains_key(key(name))?)
    }

    /// Counted from the tag's timeline, newest first, reading at most
    /// `timelines::MAX_SCAN` entries: a profile view stays cheap however
    /// busy the tag is elsewhere, at the price of a count that stops
    /// growing past that many.
    pub fn tag_use(&self, account_id: u64, name: &str) -> Result<TagUse> {
        let page = timelines::Page {
            limit: timelines::MAX_SCAN,
            ..Default::default()
        };
        let mut out = TagUse::default();
        self.timeline_page(&timelines::tag(name), page, |id| {
            let Ok(Some(s)) = self.status(id) else {
                return false;
            };
            if s.account_id != account_id || !s.visibility.is_public() || s.reblog_of_id.is_some() {
                return false;
            }
            out.statuses_count += 1;
            if out.last_status_at_ms.is_none() {
                out.last_status_at_ms = Some(s.created_at_ms);
            }
            true
        })?;
        Ok(out)
    }
}

impl Tx<'_> {
    /// Features a tag (lower-case `name`); returns the record, the
    /// existing one when it was already featured.
    pub fn feature_tag(&self, name: &str, f: &FeaturedTag) -> R<FeaturedTag> {
        if let Some(old) = self.get_rec::<FeaturedTag>(T::Relations, &key(name))? {
            return Ok(old);
        }
        self.put_rec(T::Relations, &key(name), f)?;
        Ok(f.clone())
    }

    pub fn unfeature_tag(&self, name: &str) -> R<bool> {
        let had = self.get(T::Relations, &key(name))?.is_some();
        self.remove(T::Relations, &key(name))?;
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn featured_until_unfeatured_and_listed_in_order() {
        let s = Store::temporary().unwrap();
        for (id, name) in [(5u64, "Rust"), (2, "Pi")] {
            let f = FeaturedTag {
                id,
                display_name: name.into(),
                created_at_ms: 0,
            };
            s.transact(|tx| tx.feature_tag(&name.to_lowercase(), &f))
                .unwrap();
        }
        let names: Vec<String> = s
            .featured_tags()
            .unwrap()
            .into_iter()
            .map(|f| f.display_name)
            .collect();
        assert_eq!(names, ["Pi", "Rust"]);
        assert!(s.is_featured_tag("rust").unwrap());
        assert!(s.transact(|tx| tx.unfeature_tag("rust")).unwrap());
        assert!(!s.is_featured_tag("rust").unwrap());
        assert!(!s.transact(|tx| tx.unfeature_tag("rust")).unwrap());
    }
}
