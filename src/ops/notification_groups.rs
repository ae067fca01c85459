//! Notification groups as Mastodon 4.3 forms them: favourites of one post,
//! boosts of one post, and follows that arrive close together share a
//! `group_key`, so apps can say "xavier and 3 others favourited your post".
//!
//! A group opens in the hour its first notification arrives and takes in
//! later ones of the same kind (and post) until `MAX_GROUP_SPAN_HOURS`
//! after that hour; the next one opens a new group. The opening hour is
//! stored in each notification when it is made (`assign`); everything else
//! (counts, sample accounts, page bounds) is worked out per page, in
//! memory, over at most `timelines::MAX_SCAN` stored notifications.

use crate::store::ids::id_floor;
use crate::store::notifications::Notification;
use crate::store::timelines::{Page, MAX_SCAN};
use crate::store::{Result, Store};
use std::collections::HashMap;

/// The kinds that group (Mastodon's `GROUPABLE_NOTIFICATION_TYPES`); also
/// what an app that sends no `grouped_types` gets grouped.
pub const GROUPABLE: &[&str] = &["favourite", "reblog", "follow"];

/// How long a group keeps taking in notifications after the hour it
/// opened (Mastodon's `MAXIMUM_GROUP_SPAN_HOURS`): long enough for a post's
/// day of attention to read as one line, short enough that a favourite a
/// day later is news again.
pub const MAX_GROUP_SPAN_HOURS: i64 = 12;

/// Accounts named per group (Mastodon's `SAMPLE_ACCOUNTS_SIZE`): a row of
/// avatars; `/accounts` lists the rest.
pub const SAMPLE_ACCOUNTS: usize = 8;

const HOUR_MS: i64 = 3_600_000;

/// Ids come from the clock a moment before `created_at_ms` is read, so a
/// notification's id may sit just before the hour its time falls in;
/// range scans by hour reach back this far to include it.
const CLOCK_SLACK_MS: i64 = 60_000;

fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// What a group is about, before its hour: `favourite-POST`, `reblog-POST`
/// or `follow`; `None` for kinds that never group.
fn subject(kind: &str, status: Option<u64>) -> Option<String> {
    match (kind, status) {
        ("favourite" | "reblog", Some(s)) => Some(format!("{kind}-{s}")),
        ("follow", _) => Some("follow".into()),
        _ => None,
    }
}

/// The hour a notification's group opened; a notification stored before
/// grouping existed counts its own hour.
fn opened(n: &Notification) -> i64 {
    n.group_bucket.unwrap_or_else(|| hour_of(n.created_at_ms))
}

/// The notification's group key as Mastodon writes it: `SUBJECT-HOUR`
/// for kinds that group, `ungrouped-ID` for the rest.
pub fn group_key(n: &Notification) -> String {
    match subject(&n.kind, n.status_id) {
        Some(s) => format!("{s}-{}", opened(n)),
        None => format!("ungrouped-{}", n.id),
    }
}

/// The key an app sees when it groups only `types` (its `grouped_types`).
pub fn key_for(n: &Notification, types: &[&str]) -> String {
    if types.contains(&n.kind.as_str()) {
        group_key(n)
    } else {
        format!("ungrouped-{}", n.id)
    }
}

/// Which kinds to group for an app: `GROUPABLE` when it does not say,
/// else those of its `grouped_types` that can group (so an empty
/// `grouped_types[]=` groups nothing, as on Mastodon).
pub fn grouped_types(asked: Option<&[String]>) -> Vec<&'static str> {
    match asked {
        None => GROUPABLE.to_vec(),
        Some(list) => GROUPABLE
            .iter()
            .copied()
            .filter(|t| list.iter().any(|x| x == t))
            .collect(),
    }
}

/// Sets the hour a new notification's group opened: that of the newest
/// notification of the same kind and post from the last
/// `MAX_GROUP_SPAN_HOURS`, if its group is still open, else this hour.
/// Read outside the transaction that stores it: two arriving at once can
/// at worst open two groups, which Mastodon accepts too.
pub fn assign(store: &Store, n: &mut Notification) -> Result<()> {
    let Some(subj) = subject(&n.kind, n.status_id) else {
        return Ok(());
    };
    let hour = hour_of(n.created_at_ms);
    let reach = n.created_at_ms - MAX_GROUP_SPAN_HOURS * HOUR_MS;
    let mut previous = None;
    let page = Page {
        since_id: Some(id_floor(reach)),
        limit: 1,
        ..Default::default()
    };
    store.notification_page(page, |m| {
        let same = previous.is_none() && subject(&m.kind, m.status_id).as_ref() == Some(&subj);
        if same {
            previous = Some(opened(m));
        }
        same
    })?;
    n.group_bucket = Some(match previous {
        Some(open) if hour < open + MAX_GROUP_SPAN_HOURS => open,
        _ => hour,
    });
    Ok(())
}

/// What a page says about one group.
#[derive(Clone, Debug, Default)]
pub struct GroupData {
    /// Notifications in the group up to the page's newest.
    pub count: u64,
    /// The newest of them.
    pub most_recent: Notification,
    /// Their accounts, newest first, at most `SAMPLE_ACCOUNTS`.
    pub sample_account_ids: Vec<u64>,
    /// The oldest of the group's notifications within the page's range.
    pub page_min_id: u64,
}

/// Ids a page of groups covers, both ends included (Mastodon's
/// `pagination_range`).
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub begin: u64,
    pub end: u64,
}

impl Range {
    pub const ALL: Range = Range {
        begin: 0,
        end: u64::MAX,
    };
}

/// Counts, samples and bounds for the groups `keys` (grouped keys only)
/// within `range`, over notifications `member` accepts. One scan from the
/// range's end back to the hour the oldest of them opened (group members
/// are never older), at most `MAX_SCAN` notifications.
pub fn gather(
    store: &Store,
    keys: &[String],
    range: Range,
    mut member: impl FnMut(&Notification) -> bool,
) -> Result<HashMap<String, GroupData>> {
    let mut out: HashMap<String, GroupData> = HashMap::new();
    let Some(oldest) = keys.iter().filter_map(|k| hour_in_key(k)).min() else {
        return Ok(out);
    };
    let from = id_floor(oldest * HOUR_MS - CLOCK_SLACK_MS);
    let page = Page {
        max_id: range.end.checked_add(1),
        since_id: from.checked_sub(1),
        min_id: None,
        limit: MAX_SCAN,
    };
    // Newest first: the first member seen is the most recent.
    store.notification_page(page, |n| {
        if subject(&n.kind, n.status_id).is_none() {
            return false;
        }
        let key = group_key(n);
        if !keys.contains(&key) || !member(n) {
            return false;
        }
        let g = out.entry(key).or_insert_with(|| GroupData {
            most_recent: n.clone(),
            page_min_id: n.id,
            ..Default::default()
        });
        g.count += 1;
        if g.sample_account_ids.len() < SAMPLE_ACCOUNTS {
            g.sample_account_ids.push(n.account_id);
        }
        if n.id >= range.begin {
            g.page_min_id = n.id;
        }
        false
    })?;
    Ok(out)
}

/// All notifications `member` accepts in the group `key` (an
/// `ungrouped-ID` key names that one notification, whatever its kind),
/// newest first; bounded as `gather` is.
pub fn members(
    store: &Store,
    key: &str,
    mut member: impl FnMut(&Notification) -> bool,
) -> Result<Vec<Notification>> {
    if let Some(id) = key.strip_prefix("ungrouped-") {
        let found = match crate::store::ids::parse_id(id) {
            Some(id) => store.notification(id)?.filter(|n| member(n)),
            None => None,
        };
        return Ok(found.into_iter().collect());
    }
    let Some(hour) = hour_in_key(key) else {
        return Ok(vec![]);
    };
    let page = Page {
        max_id: Some(id_floor(
            (hour + MAX_GROUP_SPAN_HOURS) * HOUR_MS + CLOCK_SLACK_MS,
        )),
        since_id: id_floor(hour * HOUR_MS - CLOCK_SLACK_MS).checked_sub(1),
        min_id: None,
        limit: MAX_SCAN,
    };
    store.notification_page(page, |n| {
        subject(&n.kind, n.status_id).is_some() && group_key(n) == key && member(n)
    })
}

/// The hour a grouped key names (its last part).
fn hour_in_key(key: &str) -> Option<i64> {
    if key.starts_with("ungrouped-") {
        return None;
    }
    key.rsplit_once('-')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u64, kind: &str, status: Option<u64>, bucket: Option<i64>) -> Notification {
        Notification {
            id,
            kind: kind.into(),
            status_id: status,
            created_at_ms: 7 * HOUR_MS + 5,
            group_bucket: bucket,
            ..Default::default()
        }
    }

    #[test]
    fn keys_as_mastodon_writes_them() {
        assert_eq!(
            group_key(&n(9, "favourite", Some(4), Some(6))),
            "favourite-4-6"
        );
        assert_eq!(group_key(&n(9, "reblog", Some(4), None)), "reblog-4-7");
        assert_eq!(group_key(&n(9, "follow", None, Some(3))), "follow-3");
        assert_eq!(group_key(&n(9, "mention", Some(4), Some(3))), "ungrouped-9");
        assert_eq!(
            key_for(&n(9, "follow", None, Some(3)), &["favourite"]),
            "ungrouped-9"
        );
        assert_eq!(hour_in_key("favourite-4-6"), Some(6));
        assert_eq!(hour_in_key("ungrouped-6"), None);
        assert_eq!(hour_in_key("nonsense"), None);
    }

    #[test]
    fn grouped_types_default_and_limit() {
        assert_eq!(grouped_types(None), GROUPABLE);
        let asked = vec!["follow".to_string(), "mention".to_string()];
        assert_eq!(grouped_types(Some(&asked)), ["follow"]);
        assert!(grouped_types(Some(&[String::new()])).is_empty());
    }

    #[test]
    fn a_group_stays_open_for_its_span() {
        let store = Store::temporary().unwrap();
        let ids = crate::store::ids::IdGen::default();
        let at = |h: i64| 1_000 * HOUR_MS + h * HOUR_MS / 2;
        let put = |half_hours: i64| {
            let mut m = Notification {
                id: ids.next_at(at(half_hours)),
                kind: "follow".into(),
                account_id: half_hours as u64,
                created_at_ms: at(half_hours),
                ..Default::default()
            };
            assign(&store, &mut m).unwrap();
            store.transact(|tx| tx.notify(&m)).unwrap();
            m.group_bucket.unwrap()
        };
        // Opens at hour 1000; 11.5 hours on still joins; 12 hours on opens
        // the next group.
        assert_eq!(put(0), 1000);
        assert_eq!(put(10), 1000);
        assert_eq!(put(23), 1000);
        assert_eq!(put(24), 1012);
    }
}
