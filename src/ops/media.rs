//! Media uploads: process, store the files, record them; update alt text
//! and focus; sweep uploads never attached to a post.
//!
//! Durability order: both files are written and fsynced (and their
//! directory entry), then the record is inserted and the store flushed.
//! Success is reported only after that, so it survives power loss; any
//! failing step removes what the earlier steps made, so no record ever
//! points at a missing file.

use super::{OpError, OpResult};
use crate::media::{self, Format, MediaError, MAX_UPLOAD_BYTES};
use crate::state::AppState;
use crate::store::media::{Focus, MediaRecord};
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::Semaphore;

/// Mastodon's limit on alt text.
pub const MAX_DESCRIPTION_CHARS: usize = 1500;

/// Uploads not attached to a post within this time are deleted (apps
/// upload first and post later; a day covers any draft left open).
pub const UNATTACHED_MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;

/// Records deleted per store pass of the sweeper, so one pass never holds
/// a long list in memory.
pub const SWEEP_BATCH: usize = 100;

/// Images decoded at the same time. A decode can take 100 MB; two at once
/// on a 512 MB Pi would squeeze everything else, so uploads queue.
pub const MAX_CONCURRENT_DECODES: usize = 1;

pub(super) static DECODE_SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_DECODES);

/// Where media files live.
pub fn media_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media")
}

/// Stores an uploaded image for the owner. `filename` and `content_type`
/// are what the client declared: the bytes decide the type, these only
/// appear in the log.
pub async fn upload(
    state: &AppState,
    bytes: Vec<u8>,
    filename: Option<&str>,
    content_type: Option<&str>,
    description: Option<&str>,
    focus: Option<(f32, f32)>,
) -> OpResult<MediaRecord> {
    let description = check_description(description.unwrap_or(""))?;
    let focus = check_focus(focus.unwrap_or((0.0, 0.0)))?;
    let owner = state
        .store
        .owner()?
        .ok_or_else(|| OpError::Forbidden("this server is not set up yet".into()))?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(media_error(MediaError::TooLarge { size: bytes.len() }));
    }

    let _slot = DECODE_SLOTS
        .acquire()
        .await
        .map_err(|e| OpError::Internal(e.to_string()))?;
    let dir = media_dir(&state.data_dir);
    let files = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || process_and_write(&bytes, &dir))
            .await
            .map_err(|e| OpError::Internal(format!("media task failed: {e}")))?
    };
    let files = files.inspect_err(|e| {
        tracing::info!(
            "upload refused ({}, {}): {e}",
            filename.unwrap_or("no name"),
            content_type.unwrap_or("no type")
        )
    })?;

    let record = MediaRecord {
        id: state.store.next_id(),
        account_id: owner.account_id,
        file: files.file.clone(),
        content_type: files.format.mime().into(),
        file_size: files.file_size,
        original: files.processed_original,
        small_file: files.small_file.clone(),
        small_content_type: files.small_format.mime().into(),
        small: files.processed_small,
        blurhash: files.blurhash.clone(),
        description,
        focus,
        created_at_ms: crate::time_fmt::now_ms(),
        status_id: None,
    };
    let saved = match state.store.put_media(&record) {
        Ok(()) => state.store.flush().await,
        Err(e) => Err(e),
    };
    if let Err(e) = saved {
        let _ = state.store.delete_media(record.id);
        remove_files(&dir, &[&files.file, &files.small_file]);
        return Err(e.into());
    }
    Ok(record)
}

/// What `process_and_write` made.
struct Written {
    format: Format,
    file: String,
    file_size: u64,
    processed_original: media::ImageSize,
    small_format: Format,
    small_file: String,
    processed_small: media::ImageSize,
    blurhash: String,
}

/// Blocking: decode and write both files durably, or leave nothing.
fn process_and_write(bytes: &[u8], dir: &Path) -> OpResult<Written> {
    let p = media::process(bytes).map_err(media_error)?;
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let file = write_new(dir, p.format, &p.original)?;
    let small_file = match write_new(dir, p.small_format, &p.small) {
        Ok(f) => f,
        Err(e) => {
            remove_files(dir, &[&file]);
            return Err(e);
        }
    };
    if let Err(e) = sync_dir(dir) {
        remove_files(dir, &[&file, &small_file]);
        return Err(io_error(e));
    }
    Ok(Written {
        format: p.format,
        file,
        file_size: p.original.len() as u64,
        processed_original: p.original_size,
        small_format: p.small_format,
        small_file,
        processed_small: p.small_size,
        blurhash: p.blurhash,
    })
}

/// Writes a new file with a random name and fsyncs it.
pub(super) fn write_new(dir: &Path, format: Format, data: &[u8]) -> OpResult<String> {
    let name = format!("{}.{}", crate::crypto::random_token(), format.extension());
    let path = dir.join(&name);
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(data)?;
            f.sync_all()
        });
    match result {
        Ok(()) => Ok(name),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(io_error(e))
        }
    }
}

/// Makes new directory entries durable (on Linux a file's fsync does not
/// cover its name in the directory).
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(super) fn remove_files(dir: &Path, names: &[&str]) {
    for name in names {
        if let Err(e) = std::fs::remove_file(dir.join(name)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("could not remove media file {name}: {e}");
            }
        }
    }
}

pub(super) fn io_error(e: std::io::Error) -> OpError {
    OpError::Internal(format!("writing media files: {e}"))
}

pub(super) fn media_error(e: MediaError) -> OpError {
    match e {
        MediaError::Internal(m) => OpError::Internal(m),
        e => OpError::Invalid(e.to_string()),
    }
}

fn check_description(d: &str) -> OpResult<String> {
    let n = d.chars().count();
    if n > MAX_DESCRIPTION_CHARS {
        return Err(OpError::Invalid(format!(
            "the description is {n} characters; it may be at most {MAX_DESCRIPTION_CHARS}, shorten it"
        )));
    }
    Ok(d.trim().to_string())
}

fn check_focus((x, y): (f32, f32)) -> OpResult<Focus> {
    let ok = |v: f32| v.is_finite() && (-1.0..=1.0).contains(&v);
    if !ok(x) || !ok(y) {
        return Err(OpError::Invalid(format!(
            "the focus point ({x}, {y}) is outside the image; both values must be between -1.0 and 1.0"
        )));
    }
    Ok(Focus { x, y })
}

/// A record with new alt text and/or focus, checked but not saved.
pub fn changed(
    mut record: MediaRecord,
    description: Option<&str>,
    focus: Option<(f32, f32)>,
) -> OpResult<MediaRecord> {
    if let Some(d) = description {
        record.description = check_description(d)?;
    }
    if let Some(f) = focus {
        record.focus = check_focus(f)?;
    }
    Ok(record)
}

pub fn get(state: &AppState, id: u64) -> OpResult<MediaRecord> {
    state
        .store
        .media(id)?
        .ok_or_else(|| OpError::NotFound(format!("there is no media attachment {id}")))
}

/// Changes alt text and/or focus; `None` leaves a value as it is.
///
/// Only uploads not yet posted, as on Mastodon: once posted, alt text
/// changes with an edit of the post (`media_attributes`), which also
/// tells followers' servers; a quiet change here would not.
pub async fn update(
    state: &AppState,
    id: u64,
    description: Option<&str>,
    focus: Option<(f32, f32)>,
) -> OpResult<MediaRecord> {
    let record = get(state, id)?;
    if record.status_id.is_some() {
        return Err(OpError::NotFound(format!(
            "Record not found: media {id} is posted; change its description by editing the post"
        )));
    }
    let record = changed(record, description, focus)?;
    state.store.put_media(&record)?;
    state.store.flush().await?;
    Ok(record)
}

/// Deletes one upload that no post uses yet (Mastodon's `DELETE
/// /api/v1/media/:id`); media of a posted status stay with it.
pub async fn delete_unattached(state: &AppState, id: u64) -> OpResult<()> {
    let record = get(state, id)?;
    if record.status_id.is_some() {
        return Err(OpError::Invalid(
            "Validation failed: the media is attached to a post; delete the post instead".into(),
        ));
    }
    state.store.delete_media(id)?;
    state.store.flush().await?;
    remove_files(
        &media_dir(&state.data_dir),
        &[&record.file, &record.small_file],
    );
    Ok(())
}

/// Deletes uploads attached to no post and older than
/// `UNATTACHED_MAX_AGE_MS` at `now_ms`; returns how many. Records go
/// first (flushed), files after, so a crash in between leaves stray files,
/// never records without files.
pub async fn sweep_unattached(state: &AppState, now_ms: i64) -> OpResult<usize> {
    let dir = media_dir(&state.data_dir);
    let mut total = 0;
    loop {
        let batch = state
            .store
            .unattached_media_before(now_ms - UNATTACHED_MAX_AGE_MS, SWEEP_BATCH)?;
        if batch.is_empty() {
            return Ok(total);
        }
        for r in &batch {
            state.store.delete_media(r.id)?;
        }
        state.store.flush().await?;
        for r in &batch {
            remove_files(&dir, &[&r.file, &r.small_file]);
        }
        total += batch.len();
        if batch.len() < SWEEP_BATCH {
            return Ok(total);
        }
    }
}
