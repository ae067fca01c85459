//! Media attachments: one record per upload in the `media` tree, keyed by
//! id. Ids are snowflakes, so a range scan up to a moment's id floor finds
//! everything uploaded before it (the sweeper's query).

use super::ids::id_floor;
use super::{codec, Result, Store};
use crate::media::ImageSize;
use serde::{Deserialize, Serialize};

/// Where the interesting part of the image is, for cropping previews:
/// both in -1..=1, (0, 0) the centre, y up (Mastodon's convention).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Focus {
    pub x: f32,
    pub y: f32,
}

/// A focus coordinate as JSON shows it: two decimals, as Mastodon keeps
/// them, so `0.1` reads `0.1` and not the `0.10000000149…` an `f32`
/// widens to.
pub fn focus_decimal(v: f32) -> f64 {
    (f64::from(v) * 100.0).round() / 100.0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MediaRecord {
    pub id: u64,
    pub account_id: u64,
    /// File name of the original under `<data_dir>/media/`.
    pub file: String,
    pub content_type: String,
    /// Bytes of the stored original.
    pub file_size: u64,
    pub original: ImageSize,
    /// File name of the thumbnail (Mastodon's `small`).
    pub small_file: String,
    pub small_content_type: String,
    pub small: ImageSize,
    pub blurhash: String,
    /// Alt text, as typed.
    pub description: String,
    pub focus: Focus,
    pub created_at_ms: i64,
    /// The status it is attached to; `None` until posted (the sweeper
    /// deletes uploads left unattached).
    pub status_id: Option<u64>,
}

impl Store {
    pub fn media(&self, id: u64) -> Result<Option<MediaRecord>> {
        match self.media.get(id.to_be_bytes())? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Inserts or replaces a record. The caller flushes.
    pub fn put_media(&self, record: &MediaRecord) -> Result<()> {
        self.media
            .insert(record.id.to_be_bytes(), codec::encode(record))?;
        Ok(())
    }

    pub fn delete_media(&self, id: u64) -> Result<Option<MediaRecord>> {
        match self.media.remove(id.to_be_bytes())? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Records attached to no status, held by no scheduled one, and made before `before_ms`, oldest
    /// first, at most `limit` of them.
    pub fn unattached_media_before(
        &self,
        before_ms: i64,
        limit: usize,
    ) -> Result<Vec<MediaRecord>> {
        let mut out = Vec::new();
        for item in self.media.range(..id_floor(before_ms).to_be_bytes()) {
            let (_, v) = item?;
            let record: MediaRecord = codec::decode(&v)?;
            // Uploads a scheduled post holds are not strays.
            if record.status_id.is_none() && self.media_scheduled_by(record.id)?.is_none() {
                out.push(record);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

impl super::Tx<'_> {
    /// Marks an upload as part of a status (inside the status's own
    /// transaction, so the sweeper never takes media of a stored post).
    /// Replaces a record inside a transaction (an edit changing alt text).
    pub fn put_media_record(&self, record: &MediaRecord) -> super::TxResult<()> {
        self.put_rec(super::T::Media, &record.id.to_be_bytes(), record)
    }

    pub fn attach_media(&self, media_id: u64, status_id: u64) -> super::TxResult<()> {
        let key = media_id.to_be_bytes();
        if let Some(mut m) = self.get_rec::<MediaRecord>(super::T::Media, &key)? {
            m.status_id = Some(status_id);
            self.put_rec(super::T::Media, &key, &m)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ids::IdGen;

    #[test]
    fn records_round_trip_and_old_unattached_ones_are_found() {
        let store = Store::temporary().unwrap();
        let ids = IdGen::default();
        let old = MediaRecord {
            id: ids.next_at(1_000_000),
            file: "a.jpg".into(),
            description: "alt".into(),
            focus: Focus { x: 0.5, y: -0.25 },
            ..Default::default()
        };
        let old_attached = MediaRecord {
            id: ids.next_at(1_000_001),
            status_id: Some(7),
            ..Default::default()
        };
        let new = MediaRecord {
            id: ids.next_at(5_000_000),
            ..Default::default()
        };
        for r in [&old, &old_attached, &new] {
            store.put_media(r).unwrap();
        }
        assert_eq!(store.media(old.id).unwrap().unwrap(), old);
        let found = store.unattached_media_before(2_000_000, 10).unwrap();
        assert_eq!(found, vec![old.clone()]);
        assert_eq!(store.delete_media(old.id).unwrap().unwrap().id, old.id);
        assert!(store.media(old.id).unwrap().is_none());
        assert!(store
            .unattached_media_before(2_000_000, 10)
            .unwrap()
            .is_empty());
    }
}
