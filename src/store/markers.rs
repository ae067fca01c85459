//! Read markers (`home`, `notifications`): where the owner stopped
//! reading, shared between their apps. In `meta` under `marker:NAME`.

use super::{codec, Result, Store, T};
use serde::{Deserialize, Serialize};

/// The timelines Mastodon keeps markers for.
pub const TIMELINES: &[&str] = &["home", "notifications"];

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Marker {
    pub last_read_id: u64,
    /// Starts at 0 and grows with each change, so apps can tell whose
    /// write is newer.
    pub version: u64,
    pub updated_at_ms: i64,
}

fn key(timeline: &str) -> Vec<u8> {
    format!("marker:{timeline}").into_bytes()
}

impl Store {
    pub fn marker(&self, timeline: &str) -> Result<Option<Marker>> {
        match self.meta.get(key(timeline))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Moves a marker; an unchanged position keeps its version.
    pub fn set_marker(&self, timeline: &str, last_read_id: u64, now_ms: i64) -> Result<Marker> {
        let k = key(timeline);
        self.transact(|tx| {
            let old: Option<Marker> = tx.get_rec(T::Meta, &k)?;
            let m = match old {
                Some(o) if o.last_read_id == last_read_id => return Ok(o),
                Some(o) => Marker {
                    last_read_id,
                    version: o.version + 1,
                    updated_at_ms: now_ms,
                },
                None => Marker {
                    last_read_id,
                    version: 0,
                    updated_at_ms: now_ms,
                },
            };
            tx.put_rec(T::Meta, &k, &m)?;
            Ok(m)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_grow_with_changes() {
        let s = Store::temporary().unwrap();
        assert!(s.marker("home").unwrap().is_none());
        assert_eq!(s.set_marker("home", 5, 1).unwrap().version, 0);
        assert_eq!(s.set_marker("home", 5, 2).unwrap().version, 0);
        let m = s.set_marker("home", 9, 3).unwrap();
        assert_eq!((m.last_read_id, m.version, m.updated_at_ms), (9, 1, 3));
        assert_eq!(s.marker("home").unwrap().unwrap(), m);
        assert!(s.marker("notifications").unwrap().is_none());
    }
}
