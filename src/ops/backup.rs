//! Backups and restores of a whole data directory: settings, every store
//! record, every media file, in the format of `backup_format`.
//!
//! A backup is taken inside the process that holds the store (sled lets
//! one process open it): the running server when there is one, asked over
//! its admin socket (`crate::admin`), else the command itself. The store
//! part is one snapshot (`Store::export`); media files are read after it,
//! and are never changed once written, so every file a snapshotted record
//! names is there unless the owner deleted it meanwhile.
//!
//! A restore reads the archive twice: once to check every checksum, then
//! again to write. Nothing is written before the whole file proved sound,
//! and a failure while writing removes what was written.

use super::backup_format::{self, Counts, FormatError, Header, Sink, Writer};
use crate::config::CONFIG_FILE;
use crate::server::DB_DIR;
use crate::state::AppState;
use crate::store::dump::RawStore;
use crate::store::{Store, StoreError};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The settings file is a few hundred bytes; anything far larger in an
/// archive is not one.
const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// Automatic backups run this often.
pub const BACKUP_EVERY_MS: i64 = 24 * 60 * 60 * 1000;
/// Automatic backups are named `PREFIX<time>SUFFIX`, so that sorting names
/// sorts them by age and nothing else in the directory is ever removed.
const AUTO_PREFIX: &str = "burrow-";
const AUTO_SUFFIX: &str = ".backup";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} can't be restored: {source}; nothing was changed")]
    Archive { path: PathBuf, source: FormatError },
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

impl From<io::Error> for BackupError {
    fn from(source: io::Error) -> Self {
        BackupError::Io {
            what: "writing the backup".into(),
            source,
        }
    }
}

/// Writes a backup of the store and `data_dir` to `out`. Blocking: the
/// store part holds back multi-record writes while it runs.
pub fn write(
    store: &Store,
    data_dir: &Path,
    out: impl Write,
    progress: &mut dyn FnMut(&Counts),
) -> Result<Counts, BackupError> {
    let header = Header {
        burrow_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: store.schema_version()?,
        created_at: crate::time_fmt::iso8601_ms(crate::time_fmt::now_ms()),
    };
    let mut w = Writer::new(BufWriter::new(out), &header)?;
    match std::fs::read(data_dir.join(CONFIG_FILE)) {
        Ok(bytes) => w.settings(CONFIG_FILE, &bytes)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(format!("reading {CONFIG_FILE}"))(e)),
    }
    store.export(|tree, key, value| {
        w.record(tree, key, value)?;
        if w.counts.records % 10_000 == 0 {
            progress(&w.counts);
        }
        Ok::<_, BackupError>(())
    })?;
    let media = super::media::media_dir(data_dir);
    for name in media_files(&media)? {
        let path = media.join(&name);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            // Deleted since the listing (the owner deleted a post).
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(format!("reading {}", path.display()))(e)),
        };
        let len = file.metadata()?.len();
        w.file(&name, len, &mut file)?;
        progress(&w.counts);
    }
    let (mut out, counts) = w.finish()?;
    out.flush()?;
    progress(&counts);
    Ok(counts)
}

/// The media directory's plain files, by name.
fn media_files(dir: &Path) -> Result<Vec<String>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(format!("listing {}", dir.display()))(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        if let Some(name) = entry.file_name().to_str() {
            if backup_format::valid_name(name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Writes a backup to the file `out` through a temporary file beside it,
/// checks what was written, then gives it its name: `out` is either a
/// whole, verified backup or absent.
pub fn write_file(
    out: &Path,
    progress: &mut dyn FnMut(&Counts),
    produce: impl FnOnce(&mut File, &mut dyn FnMut(&Counts)) -> Result<(), BackupError>,
) -> Result<Counts, BackupError> {
    let tmp = temp_beside(out);
    let result = (|| {
        let mut file = File::create(&tmp).map_err(io_err(format!("creating {}", tmp.display())))?;
        produce(&mut file, progress)?;
        file.sync_all()?;
        drop(file);
        let (_, counts) = verify(&tmp, &mut |_| {})?;
        std::fs::rename(&tmp, out).map_err(io_err(format!("naming {}", out.display())))?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(parent).and_then(|d| d.sync_all())?;
        }
        Ok(counts)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temp_beside(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// Reads the whole archive and checks it, writing nothing.
pub fn verify(
    archive: &Path,
    progress: &mut dyn FnMut(&Counts),
) -> Result<(Header, Counts), BackupError> {
    let file = File::open(archive).map_err(io_err(format!("opening {}", archive.display())))?;
    let mut sink = Checking { progress };
    backup_format::read(BufReader::new(file), &mut sink).map_err(|source| BackupError::Archive {
        path: archive.to_path_buf(),
        source,
    })
}

struct Checking<'a> {
    progress: &'a mut dyn FnMut(&Counts),
}

impl Sink for Checking<'_> {
    fn record(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), FormatError> {
        backup_format::Verify.record(tree, key, value)
    }
    fn file_start(&mut self, settings: bool, name: &str, len: u64) -> Result<(), FormatError> {
        if settings && (name != CONFIG_FILE || len > MAX_SETTINGS_BYTES) {
            return Err(FormatError::Damaged(format!(
                "it holds a settings file `{name}` of {len} bytes"
            )));
        }
        Ok(())
    }
    fn file_chunk(&mut self, _: &[u8]) -> Result<(), FormatError> {
        Ok(())
    }
    fn file_end(&mut self) -> Result<(), FormatError> {
        Ok(())
    }
    fn progress(&mut self, counts: &Counts) {
        (self.progress)(counts)
    }
}

/// Rebuilds a data directory from `archive` in `data_dir`, which must be
/// empty or absent. Checks the whole archive first; on any failure
/// leaves `data_dir` as it found it.
pub fn restore(
    archive: &Path,
    data_dir: &Path,
    progress: &mut dyn FnMut(&Counts),
) -> Result<(Header, Counts), BackupError> {
    let existed = match std::fs::read_dir(data_dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::Refused(format!(
                    "{} is not empty; restore into a new or empty directory (nothing was changed)",
                    data_dir.display()
                )));
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(BackupError::Refused(format!(
            "{} can't be used: {e}; restore into a new or empty directory (nothing was changed)",
            data_dir.display()
        )))
        }
    };
    // Everything is checked before anything is written.
    verify(archive, &mut |c| progress(c))?;
    let result = write_restored(archive, data_dir, progress);
    if result.is_err() {
        if existed {
            for part in [DB_DIR, "media", CONFIG_FILE] {
                let p = data_dir.join(part);
                let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
            }
        } else {
            let _ = std::fs::remove_dir_all(data_dir);
        }
    }
    result
}

fn write_restored(
    archive: &Path,
    data_dir: &Path,
    progress: &mut dyn FnMut(&Counts),
) -> Result<(Header, Counts), BackupError> {
    let media = super::media::media_dir(data_dir);
    std::fs::create_dir_all(&media).map_err(io_err(format!("creating {}", media.display())))?;
    let mut sink = Restoring {
        store: RawStore::create(&data_dir.join(DB_DIR))?,
        data_dir: data_dir.to_path_buf(),
        media,
        open: None,
        progress,
    };
    let file = File::open(archive).map_err(io_err(format!("opening {}", archive.display())))?;
    let read = backup_format::read(BufReader::new(file), &mut sink);
    let Restoring { store, media, .. } = sink;
    let (header, counts) = read.map_err(|source| BackupError::Archive {
        path: archive.to_path_buf(),
        source,
    })?;
    store.finish()?;
    File::open(&media).and_then(|d| d.sync_all())?;
    File::open(data_dir).and_then(|d| d.sync_all())?;
    Ok((header, counts))
}

struct Restoring<'a> {
    store: RawStore,
    data_dir: PathBuf,
    media: PathBuf,
    /// The file being written.
    open: Option<File>,
    progress: &'a mut dyn FnMut(&Counts),
}

fn write_failed(e: impl std::fmt::Display) -> FormatError {
    FormatError::Io(io::Error::other(format!("writing the restored data: {e}")))
}

impl Sink for Restoring<'_> {
    fn record(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), FormatError> {
        self.store.put(tree, key, value).map_err(write_failed)
    }
    fn file_start(&mut self, settings: bool, name: &str, _len: u64) -> Result<(), FormatError> {
        let path = if settings {
            self.data_dir.join(CONFIG_FILE)
        } else {
            self.media.join(name)
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(write_failed)?;
        self.open = Some(file);
        Ok(())
    }
    fn file_chunk(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        match &mut self.open {
            Some(f) => f.write_all(bytes).map_err(write_failed),
            None => Err(write_failed("a file's bytes came before its name")),
        }
    }
    fn file_end(&mut self) -> Result<(), FormatError> {
        if let Some(f) = self.open.take() {
            f.sync_all().map_err(write_failed)?;
        }
        Ok(())
    }
    fn progress(&mut self, counts: &Counts) {
        (self.progress)(counts)
    }
}

/// The automatic daily backup: sleeps until a day after the newest
/// backup in `[backup] dir` (at once when there is none), writes one,
/// keeps the newest `[backup] keep`. Does nothing unless `dir` is set.
pub async fn run(state: AppState) {
    let Some(dir) = state.config.backup.dir.clone() else {
        return std::future::pending().await;
    };
    let keep = state.config.backup.keep;
    let mut stopping = state.stopping.subscribe();
    loop {
        let now = crate::time_fmt::now_ms();
        let due = newest_auto(&dir).map_or(now, |last_ms| last_ms + BACKUP_EVERY_MS);
        if due > now {
            let wait = std::time::Duration::from_millis((due - now) as u64);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.changed() => return,
            }
            continue;
        }
        let (store, data_dir, dir2) = (state.store.clone(), state.data_dir.clone(), dir.clone());
        let made = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir2)?;
            let out = dir2.join(auto_name(crate::time_fmt::now_ms()));
            write_file(&out, &mut |_| {}, |f, p| {
                write(&store, &data_dir, f, p).map(|_| ())
            })?;
            Ok::<_, BackupError>(out)
        })
        .await;
        match made {
            Ok(Ok(out)) => {
                tracing::info!("automatic backup written to {}", out.display());
                remove_old_auto(&dir, keep);
            }
            Ok(Err(e)) => {
                tracing::error!("automatic backup failed: {e}; trying again in an hour");
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
            Err(e) => tracing::error!("automatic backup task failed: {e}"),
        }
    }
}

fn auto_name(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    format!(
        "{AUTO_PREFIX}{}{AUTO_SUFFIX}",
        t.format(&fmt).unwrap_or_default()
    )
}

/// Automatic backups in `dir`, oldest first.
fn autos(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(AUTO_PREFIX) && n.ends_with(AUTO_SUFFIX))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// When the newest automatic backup was written.
fn newest_auto(dir: &Path) -> Option<i64> {
    let newest = autos(dir).pop()?;
    let modified = std::fs::metadata(newest).ok()?.modified().ok()?;
    let ms = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis();
    i64::try_from(ms).ok()
}

fn remove_old_auto(dir: &Path, keep: usize) {
    let all = autos(dir);
    let excess = all.len().saturating_sub(keep.max(1));
    for old in all.iter().take(excess) {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!("could not remove old backup {}: {e}", old.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_names_sort_by_time_and_old_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let day = BACKUP_EVERY_MS;
        for i in 0..5 {
            std::fs::write(
                dir.path().join(auto_name(1_700_000_000_000 + i * day)),
                b"x",
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("mine.txt"), b"keep me").unwrap();
        remove_old_auto(dir.path(), 2);
        let left = autos(dir.path());
        assert_eq!(left.len(), 2);
        assert!(left[1].ends_with(auto_name(1_700_000_000_000 + 4 * day)));
        assert!(dir.path().join("mine.txt").exists());
    }
}
