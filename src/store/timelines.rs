//! Timelines: ordered lists of status ids, one key prefix each
//! (`home`, `public`, `local`, `direct`, `account:ID`, `tag:NAME`,
//! `list:ID`), paged the way Mastodon pages them.

use super::{accounts::be_u64, index_key, Result, Store};

/// Entries examined at most for one page when a filter skips many; keeps a
/// request's work bounded whatever the filter.
pub const MAX_SCAN: usize = 2000;

/// Mastodon's paging: `max_id` strictly older, `since_id` strictly newer,
/// `min_id` the page just newer than it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Page {
    pub max_id: Option<u64>,
    pub since_id: Option<u64>,
    pub min_id: Option<u64>,
    pub limit: usize,
}

pub fn home() -> String {
    "home".into()
}
pub fn public() -> String {
    "public".into()
}
pub fn local() -> String {
    "local".into()
}
pub fn direct() -> String {
    "direct".into()
}
pub fn account(id: u64) -> String {
    format!("account:{id}")
}
pub fn tag(name: &str) -> String {
    format!("tag:{}", name.to_lowercase())
}
pub fn list(id: u64) -> String {
    format!("list:{id}")
}

impl Store {
    /// Ids in a timeline for one page, newest first, keeping only those
    /// `keep` accepts.
    pub fn timeline_page(
        &self,
        name: &str,
        page: Page,
        keep: impl FnMut(u64) -> bool,
    ) -> Result<Vec<u64>> {
        scan_page(&self.timelines, name, page, keep)
    }
}

/// Pages any `prefix \0 id → …` range of a tree (timelines,
/// notifications, bookmarks…), newest first.
pub(crate) fn scan_page(
    tree: &sled::Tree,
    name: &str,
    page: Page,
    keep: impl FnMut(u64) -> bool,
) -> Result<Vec<u64>> {
    let lo = |id: u64| index_key(name, &[&id.to_be_bytes()]);
    let limit = page.limit.max(1);
    if let Some(min) = page.min_id {
        let start = lo(min.saturating_add(1));
        let end = match page.max_id {
            Some(max) => lo(max),
            None => lo(u64::MAX),
        };
        let mut out = take_kept(tree.range(start..end), limit, keep)?;
        out.reverse();
        return Ok(out);
    }
    let start = lo(page.since_id.map(|s| s.saturating_add(1)).unwrap_or(0));
    let end = match page.max_id {
        Some(max) => lo(max),
        None => {
            let mut e = index_key(name, &[]);
            e.push(1);
            e
        }
    };
    take_kept(tree.range(start..end).rev(), limit, keep)
}

/// The first `limit` ids that `keep` accepts, in the order `entries`
/// walks, reading at most `MAX_SCAN` entries.
fn take_kept(
    entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
    limit: usize,
    mut keep: impl FnMut(u64) -> bool,
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (scanned, kv) in entries.enumerate() {
        let (k, _) = kv?;
        let id = be_u64(&k[k.len() - 8..]);
        if keep(id) {
            out.push(id);
            if out.len() >= limit {
                break;
            }
        }
        if scanned + 1 >= MAX_SCAN {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::timeline_key;

    fn fill(store: &Store) {
        for id in 1..=10u64 {
            store
                .timelines
                .insert(timeline_key("home", id), &id.to_be_bytes())
                .unwrap();
            store
                .timelines
                .insert(timeline_key("homer", id), &id.to_be_bytes())
                .unwrap();
        }
    }

    fn page(max: Option<u64>, since: Option<u64>, min: Option<u64>, limit: usize) -> Page {
        Page {
            max_id: max,
            since_id: since,
            min_id: min,
            limit,
        }
    }

    #[test]
    fn pages_like_mastodon() {
        let s = Store::temporary().unwrap();
        fill(&s);
        let all = |_| true;
        assert_eq!(
            s.timeline_page("home", page(None, None, None, 3), all)
                .unwrap(),
            vec![10, 9, 8]
        );
        assert_eq!(
            s.timeline_page("home", page(Some(8), None, None, 3), all)
                .unwrap(),
            vec![7, 6, 5]
        );
        assert_eq!(
            s.timeline_page("home", page(None, Some(7), None, 20), all)
                .unwrap(),
            vec![10, 9, 8]
        );
        // min_id: the page just newer than 2, newest first.
        assert_eq!(
            s.timeline_page("home", page(None, None, Some(2), 3), all)
                .unwrap(),
            vec![5, 4, 3]
        );
        assert_eq!(
            s.timeline_page("home", page(Some(1), None, None, 3), all)
                .unwrap(),
            Vec::<u64>::new()
        );
        assert_eq!(
            s.timeline_page("home", page(None, None, None, 20), |id| id % 2 == 0)
                .unwrap(),
            vec![10, 8, 6, 4, 2]
        );
        assert!(s
            .timeline_page("nothing", page(None, None, None, 20), all)
            .unwrap()
            .is_empty());
    }
}
