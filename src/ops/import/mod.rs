//! Moving in: the owner's own posts from a Mastodon or Twitter/X archive.
//!
//! The archive is hostile input like any other: entries are read only by
//! name from inside the zip (nothing is extracted to disk), every read is
//! bounded, and a broken post is skipped and counted, never a panic.
//!
//! Imported posts keep their original dates: their ids are made from the
//! original time ([`crate::store::ids::id_floor`]), so timelines order
//! them by date, and the sequence bits step past any id already taken.
//! They are stored like the owner's own posts (so peers can fetch them at
//! their new ids) but no delivery is queued: followers are not told about
//! years-old posts as if they were new. An index from the archive's own
//! id to the new status makes a second run add nothing; each post is
//! committed on its own, so an interrupted run resumes where it stopped.

pub mod mastodon;
pub mod twitter;

use super::{OpError, OpResult};
use crate::content::{MentionRef, MentionResolver, StoreResolver};
use crate::state::AppState;
use crate::store::statuses::{Status, Visibility};
use crate::store::{index_key, T};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Most entries a zip may list; a real archive of a very active account
/// holds some tens of thousands of media files.
pub const MAX_ENTRIES: usize = 200_000;
/// Largest JSON file read whole (the outbox or tweets.js of a very active
/// account runs to tens of MB).
pub const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;
/// Largest media file read; larger ones could not be uploaded either.
pub const MAX_MEDIA_BYTES: u64 = crate::media::MAX_UPLOAD_BYTES as u64;
/// Longest post text imported; longer ones are skipped, not cut.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Posts listed at most in one archive.
pub const MAX_POSTS: usize = 500_000;
/// Ids made within one millisecond: the low bits of an id.
const SEQUENCE_SPAN: u64 = 1 << 16;

/// A zip archive opened for reading entries by name, with bounds.
pub struct Archive {
    zip: zip::ZipArchive<std::fs::File>,
}

impl Archive {
    pub fn open(path: &Path) -> Result<Archive, String> {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let zip = zip::ZipArchive::new(file)
            .map_err(|e| format!("{} is not a readable zip archive: {e}", path.display()))?;
        if zip.len() > MAX_ENTRIES {
            return Err(format!(
                "{} lists {} entries; at most {MAX_ENTRIES} are read",
                path.display(),
                zip.len()
            ));
        }
        Ok(Archive { zip })
    }

    /// Whether the archive has an entry of this name.
    pub fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// The names of all entries.
    pub fn names(&self) -> Vec<String> {
        self.zip.file_names().map(str::to_string).collect()
    }

    /// One entry's bytes, at most `max` of them. The declared size is
    /// checked first and the read itself is cut at `max + 1`, because a
    /// hostile header can lie about the size.
    pub fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, String> {
        if name.split(['/', '\\']).any(|p| p == "..") || name.starts_with('/') {
            return Err(format!("{name}: a path leaving the archive"));
        }
        let mut entry = self
            .zip
            .by_name(name)
            .map_err(|e| format!("{name}: not readable in the archive: {e}"))?;
        if entry.size() > max {
            return Err(format!(
                "{name}: {} bytes, more than the {max} read",
                entry.size()
            ));
        }
        let mut out = Vec::new();
        (&mut entry)
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: cannot be read: {e}"))?;
        if out.len() as u64 > max {
            return Err(format!("{name}: larger than the {max} bytes read"));
        }
        Ok(out)
    }
}

/// One image of a post, as named in the archive.
#[derive(Clone, Debug, Default)]
pub struct MediaRef {
    pub path: String,
    pub alt: String,
}

/// One of the owner's posts, read from an archive.
#[derive(Clone, Debug, Default)]
pub struct Post {
    /// The archive's own id for it (a URL or a tweet id): the key that
    /// makes a second import add nothing.
    pub source_id: String,
    pub created_ms: i64,
    /// Plain text, as the owner would type it.
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    /// The archive id of the owner's own post this answers.
    pub reply_to: Option<String>,
    pub media: Vec<MediaRef>,
}

/// What an archive held, as the reader found it.
#[derive(Default)]
pub struct Parsed {
    pub posts: Vec<Post>,
    /// Reasons for leaving something out, with counts.
    pub skipped: BTreeMap<String, usize>,
}

impl Parsed {
    pub fn skip(&mut self, why: &str) {
        *self.skipped.entry(why.to_string()).or_default() += 1;
    }
}

/// What an import did.
#[derive(Default, Debug)]
pub struct Summary {
    pub imported: usize,
    pub already: usize,
    pub skipped: BTreeMap<String, usize>,
}

impl Summary {
    fn skip(&mut self, why: impl Into<String>) {
        *self.skipped.entry(why.into()).or_default() += 1;
    }
}

/// Which archive the posts came from: part of each index key, so a tweet
/// id and a Mastodon URL never meet.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Mastodon,
    Twitter,
}

impl Source {
    fn key(self) -> &'static str {
        match self {
            Source::Mastodon => "mastodon",
            Source::Twitter => "twitter",
        }
    }
}

fn source_key(source: Source, id: &str) -> Vec<u8> {
    index_key("import", &[source.key().as_bytes(), id.as_bytes()])
}

/// Mentions in imported text stay plain text: they name accounts of the
/// old server (or of Twitter), not ones this server knows.
struct NoMentions<'a>(StoreResolver<'a>);

impl MentionResolver for NoMentions<'_> {
    fn resolve(&self, _acct: &str) -> Option<MentionRef> {
        None
    }
    fn tag_url(&self, tag: &str) -> String {
        self.0.tag_url(tag)
    }
}

/// Imports the posts, oldest first (so a thread's parent is there before
/// its replies). `progress` is called after each post with (done, total).
pub async fn import(
    state: &AppState,
    source: Source,
    archive: &mut Archive,
    parsed: Parsed,
    mut progress: impl FnMut(usize, usize),
) -> OpResult<Summary> {
    let owner = super::owner_account(state)?;
    let mut summary = Summary {
        skipped: parsed.skipped,
        ..Default::default()
    };
    let mut posts = parsed.posts;
    posts.sort_by_key(|p| p.created_ms);
    let total = posts.len();
    let now = crate::time_fmt::now_ms();
    for (done, post) in posts.into_iter().enumerate() {
        match import_one(state, &owner, source, archive, post, now).await? {
            Ok(true) => summary.imported += 1,
            Ok(false) => summary.already += 1,
            Err(why) => summary.skip(why),
        }
        progress(done + 1, total);
    }
    Ok(summary)
}

/// `Ok(Ok(true))` imported, `Ok(Ok(false))` imported before, `Ok(Err(why))`
/// skipped; `Err` only when the store fails.
async fn import_one(
    state: &AppState,
    owner: &crate::store::accounts::Account,
    source: Source,
    archive: &mut Archive,
    post: Post,
    now: i64,
) -> OpResult<Result<bool, String>> {
    let key = source_key(source, &post.source_id);
    if state.store.get_index(&key)?.is_some() {
        return Ok(Ok(false));
    }
    if post.created_ms <= 0 || post.created_ms > now {
        return Ok(Err("no date, or a date in the future".into()));
    }
    if post.text.chars().count() > MAX_TEXT_CHARS {
        return Ok(Err(format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    let parent = match &post.reply_to {
        None => None,
        Some(r) => match state.store.get_index(&source_key(source, r))? {
            Some(id) => state.store.status(id)?,
            None => return Ok(Err("a reply to a post not in the archive".into())),
        },
    };
    if post.text.trim().is_empty() && post.media.is_empty() {
        return Ok(Err("no text and no media".into()));
    }
    let Some(id) = free_id(state, post.created_ms)? else {
        return Ok(Err("no free id at its time".into()));
    };
    let mut media_ids = Vec::new();
    for m in post
        .media
        .iter()
        .take(super::statuses::MAX_MEDIA_ATTACHMENTS)
    {
        let bytes = match archive.read(&m.path, MAX_MEDIA_BYTES) {
            Ok(b) => b,
            Err(e) => {
                tracing::info!("import: media left out: {e}");
                continue;
            }
        };
        let alt: String = m
            .alt
            .chars()
            .take(super::media::MAX_DESCRIPTION_CHARS)
            .collect();
        match super::media::upload(state, bytes, Some(&m.path), None, Some(&alt), None).await {
            Ok(r) => media_ids.push(r.id),
            Err(OpError::Internal(e)) => return Err(OpError::Internal(e)),
            Err(e) => tracing::info!("import: media {} left out: {e}", m.path),
        }
    }
    let urls = &state.urls;
    let rendered = crate::content::render(
        &post.text,
        &NoMentions(StoreResolver {
            store: &state.store,
            urls,
        }),
    );
    let mut status = Status {
        id,
        uri: urls.status(&owner.username, id),
        url: urls.status_page(&owner.username, id),
        account_id: owner.id,
        local: true,
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_uri: parent.as_ref().map(|p| p.uri.clone()),
        in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
        content: rendered.html,
        source_text: post.text.clone(),
        spoiler_text: post.spoiler_text.trim().to_string(),
        sensitive: post.sensitive || !post.spoiler_text.trim().is_empty(),
        visibility: post.visibility,
        tags: rendered.tags,
        media_ids,
        conversation: Some(
            parent
                .as_ref()
                .and_then(|p| p.conversation.clone())
                .unwrap_or_else(|| format!("{}/contexts/{id}", urls.base)),
        ),
        created_at_ms: post.created_ms,
        ..Default::default()
    };
    status.placed = super::statuses::local_placement(&status, owner.id);
    // No delivery jobs: an imported post is history, not news.
    super::commit(state, &[], |tx| {
        tx.insert_status(&status)?;
        for m in &status.media_ids {
            tx.attach_media(*m, status.id)?;
        }
        tx.put(T::Index, &key, &status.id.to_be_bytes())?;
        Ok(())
    })
    .await?;
    Ok(Ok(true))
}

/// The first id at `ms` no status holds. Imported times are in the past,
/// below every id the store will hand out from now on, so only existing
/// statuses can collide.
fn free_id(state: &AppState, ms: i64) -> OpResult<Option<u64>> {
    let base = crate::store::ids::id_floor(ms);
    for seq in 0..SEQUENCE_SPAN {
        let id = base | seq;
        if state.store.status(id)?.is_none() {
            return Ok(Some(id));
        }
    }
    Ok(None)
}
