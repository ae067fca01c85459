//! The owner's avatar and header: uploaded with the other profile fields
//! (`update_credentials`, the settings form) or removed on their own
//! (`DELETE /api/v1/profile/avatar`).
//!
//! All or nothing: the text fields are checked, then the pictures decoded
//! and written (fsynced, as `ops::media` writes), and only then are the
//! account's text and picture URLs saved in one transaction and flushed. A
//! bad picture or a bad field leaves everything as it was and removes any
//! file already written. Replaced files are deleted after the new record
//! is durable, so a crash in between leaves a stray file, never an account
//! pointing at nothing. Followers' servers then get an `Update` of the
//! actor (`profile::announce`), which carries the new `icon` and `image`.

use super::media::{
    io_error, media_dir, media_error, remove_files, sync_dir, write_new, DECODE_SLOTS,
};
use super::profile::{announce, apply, load, ProfileUpdate};
use super::{OpError, OpResult};
use crate::media::{self, ImageSize, MediaError, MAX_UPLOAD_BYTES};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::preferences::Preferences;
use std::path::Path;

/// Which of the two profile pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Avatar,
    Header,
}

impl Picture {
    pub fn name(self) -> &'static str {
        match self {
            Picture::Avatar => "avatar",
            Picture::Header => "header",
        }
    }

    /// The box it is cut to (Mastodon's sizes).
    fn fit(self) -> ImageSize {
        match self {
            Picture::Avatar => media::AVATAR_BOX,
            Picture::Header => media::HEADER_BOX,
        }
    }

    fn url(self, account: &mut Account) -> &mut String {
        match self {
            Picture::Avatar => &mut account.avatar,
            Picture::Header => &mut account.header,
        }
    }
}

/// What to do with one picture.
#[derive(Debug)]
pub enum PictureChange {
    /// The uploaded file's bytes, as sent.
    Replace(Vec<u8>),
    /// Back to the default picture.
    Remove,
}

/// Picture changes; `None` leaves a picture as it is.
#[derive(Debug, Default)]
pub struct PictureUpdate {
    pub avatar: Option<PictureChange>,
    pub header: Option<PictureChange>,
}

impl PictureUpdate {
    fn changes(self) -> impl Iterator<Item = (Picture, PictureChange)> {
        [
            (Picture::Avatar, self.avatar),
            (Picture::Header, self.header),
        ]
        .into_iter()
        .filter_map(|(p, c)| c.map(|c| (p, c)))
    }
}

/// Updates the profile's text and pictures together, then tells
/// followers. See the module comment for the order of steps.
pub async fn update(
    state: &AppState,
    text: ProfileUpdate,
    pictures: PictureUpdate,
) -> OpResult<(Account, Preferences)> {
    // The bytes move to the decoder; `removed` remembers the rest.
    let mut uploads: Vec<(Picture, Vec<u8>)> = Vec::new();
    let mut removed: Vec<Picture> = Vec::new();
    for (picture, change) in pictures.changes() {
        match change {
            PictureChange::Replace(bytes) => uploads.push((picture, bytes)),
            PictureChange::Remove => removed.push(picture),
        }
    }
    if !uploads.is_empty() {
        // Refuse bad text before spending a decode on the pictures.
        let (mut account, mut prefs) = load(&state.store)?;
        apply(&mut account, &mut prefs, text.clone())?;
    }
    let dir = media_dir(&state.data_dir);
    let written = write_pictures(&dir, uploads).await?;
    let new_names: Vec<&str> = written.iter().map(|(_, n)| n.as_str()).collect();

    let saved = save(state, text, &removed, &written).await;
    let (account, prefs, replaced) = match saved {
        Ok(r) => r,
        Err(e) => {
            remove_files(&dir, &new_names);
            return Err(e);
        }
    };
    let replaced: Vec<&str> = replaced.iter().map(String::as_str).collect();
    remove_files(&dir, &replaced);
    announce(state, &account).await?;
    Ok((account, prefs))
}

/// Back to the default avatar or header; the file is deleted.
pub async fn remove(state: &AppState, picture: Picture) -> OpResult<(Account, Preferences)> {
    let mut pictures = PictureUpdate::default();
    match picture {
        Picture::Avatar => pictures.avatar = Some(PictureChange::Remove),
        Picture::Header => pictures.header = Some(PictureChange::Remove),
    }
    update(state, ProfileUpdate::default(), pictures).await
}

/// Applies text and pictures to fresh records (the decode took a while;
/// counters may have moved meanwhile), saves them and makes them durable.
/// Returns the names of the files no longer used.
async fn save(
    state: &AppState,
    text: ProfileUpdate,
    removed: &[Picture],
    written: &[(Picture, String)],
) -> OpResult<(Account, Preferences, Vec<String>)> {
    let (mut account, mut prefs) = load(&state.store)?;
    apply(&mut account, &mut prefs, text)?;
    let new_urls = written
        .iter()
        .map(|(p, name)| (*p, state.urls.media(name)))
        .chain(removed.iter().map(|p| (*p, String::new())));
    let mut replaced = Vec::new();
    for (picture, new_url) in new_urls {
        let url = picture.url(&mut account);
        if *url != new_url {
            if let Some(old) = local_file(state, url) {
                replaced.push(old);
            }
            *url = new_url;
        }
    }
    state.store.save_profile(&account, &prefs)?;
    super::durable(state).await?;
    Ok((account, prefs, replaced))
}

/// The media file name behind one of our own media URLs.
fn local_file(state: &AppState, url: &str) -> Option<String> {
    let prefix = state.urls.media("");
    let name = url.strip_prefix(&prefix)?;
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    (plain && !name.starts_with('.')).then(|| name.to_string())
}

/// Decodes, cuts and writes each upload durably, one decode at a time
/// (the slot `ops::media` uses); on any failure removes what it wrote.
async fn write_pictures(
    dir: &Path,
    uploads: Vec<(Picture, Vec<u8>)>,
) -> OpResult<Vec<(Picture, String)>> {
    if uploads.is_empty() {
        return Ok(Vec::new());
    }
    for (picture, bytes) in &uploads {
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(refused(
                *picture,
                MediaError::TooLarge { size: bytes.len() },
            ));
        }
    }
    let _slot = DECODE_SLOTS
        .acquire()
        .await
        .map_err(|e| OpError::Internal(e.to_string()))?;
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut written: Vec<(Picture, String)> = Vec::new();
        let result = (|| {
            std::fs::create_dir_all(&dir).map_err(io_error)?;
            for (picture, bytes) in &uploads {
                let c = media::cover(bytes, picture.fit()).map_err(|e| refused(*picture, e))?;
                written.push((*picture, write_new(&dir, c.format, &c.bytes)?));
            }
            sync_dir(&dir).map_err(io_error)
        })();
        match result {
            Ok(()) => Ok(written),
            Err(e) => {
                let names: Vec<&str> = written.iter().map(|(_, n)| n.as_str()).collect();
                remove_files(&dir, &names);
                Err(e)
            }
        }
    })
    .await
    .map_err(|e| OpError::Internal(format!("picture task failed: {e}")))?
}

/// A refused picture, named, in Mastodon's "Validation failed" form.
fn refused(picture: Picture, e: MediaError) -> OpError {
    match media_error(e) {
        OpError::Invalid(m) => OpError::Invalid(format!(
            "Validation failed: the {} can't be used: {m}",
            picture.name()
        )),
        other => other,
    }
}
