//! The backup file's format: framed entries, each with its own CRC-32,
//! and a SHA-256 of everything at the end. Documented for people in the
//! README ("Backup file format"); this module is its only reader and
//! writer.
//!
//! ```text
//! "BURROWBK"  u16 format version  u32 n  header JSON (n bytes)  u32 crc
//! then entries, each ending with the CRC-32 of the entry's bytes:
//!   'S' u16 n  name  u64 n  bytes   u32 crc   the settings file
//!   'R' u8 n  tree   u32 n  key  u32 n  value  u32 crc   a store record
//!   'F' u16 n  name  u64 n  bytes   u32 crc   a media file
//! 'E' u64 records  u64 files  SHA-256 of every byte before it, then EOF
//! ```
//! Integers are big-endian. A reader knows from the header's schema
//! version how to read the records, and a newer format or schema is
//! refused by name rather than misread.
//!
//! A backup can be damaged on disk or in transit, so the reader treats it
//! as hostile input: every length is bounded before anything is
//! allocated, and a short file is an error, never a panic.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

pub const MAGIC: &[u8; 8] = b"BURROWBK";
/// The version of the framing below; a reader refuses a newer one.
pub const FORMAT_VERSION: u16 = 1;
/// The header is a few short fields.
const MAX_HEADER_BYTES: u32 = 4096;
/// Store keys are ids and short index keys.
const MAX_KEY_BYTES: u32 = 1 << 20;
/// No record comes near this; a larger length means a damaged file.
const MAX_VALUE_BYTES: u32 = 64 << 20;
/// Media files are capped at upload far below this.
const MAX_FILE_BYTES: u64 = 1 << 30;
/// File names are random tokens with an extension.
const MAX_NAME_BYTES: u16 = 255;
/// Files are copied through a buffer of this size, never read whole.
const CHUNK_BYTES: usize = 64 << 10;

const TAG_SETTINGS: u8 = b'S';
const TAG_RECORD: u8 = b'R';
const TAG_FILE: u8 = b'F';
const TAG_END: u8 = b'E';

/// What the header says about the archive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// The Burrow that wrote it (`CARGO_PKG_VERSION`).
    pub burrow_version: String,
    /// `store::SCHEMA_VERSION` of the records inside.
    pub schema_version: u32,
    /// When the snapshot was taken (ISO 8601).
    pub created_at: String,
}

/// What a backup is not: each message says what is wrong with the file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    TooNew(String),
    #[error(transparent)]
    Io(io::Error),
}

fn damaged<T>(what: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError::Damaged(what.into()))
}

impl From<io::Error> for FormatError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            FormatError::Damaged("it ends early (truncated?)".into())
        } else {
            FormatError::Io(e)
        }
    }
}

/// Entries and bytes so far, for progress lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub files: u64,
    pub bytes: u64,
}

/// Writes an archive entry by entry.
pub struct Writer<W: Write> {
    out: W,
    digest: ring::digest::Context,
    pub counts: Counts,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, header: &Header) -> io::Result<Writer<W>> {
        let mut w = Writer {
            out,
            digest: ring::digest::Context::new(&ring::digest::SHA256),
            counts: Counts::default(),
        };
        let json = serde_json::to_vec(header).map_err(io::Error::other)?;
        let mut crc = crc32fast::Hasher::new();
        for part in [
            &MAGIC[..],
            &FORMAT_VERSION.to_be_bytes(),
            &(json.len() as u32).to_be_bytes(),
            &json,
        ] {
            crc.update(part);
            w.raw(part)?;
        }
        w.raw(&crc.finalize().to_be_bytes())?;
        Ok(w)
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.digest.update(bytes);
        self.counts.bytes += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    fn parts(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let mut crc = crc32fast::Hasher::new();
        for p in parts {
            crc.update(p);
            self.raw(p)?;
        }
        self.raw(&crc.finalize().to_be_bytes())
    }

    pub fn record(&mut self, tree: &str, key: &[u8], value: &[u8]) -> io::Result<()> {
        let too_long = |what| io::Error::other(format!("a record's {what} is too long to back up"));
        let tree_len = u8::try_from(tree.len()).map_err(|_| too_long("tree name"))?;
        if key.len() > MAX_KEY_BYTES as usize {
            return Err(too_long("key"));
        }
        if value.len() > MAX_VALUE_BYTES as usize {
            return Err(too_long("value"));
        }
        self.parts(&[
            &[TAG_RECORD, tree_len],
            tree.as_bytes(),
            &(key.len() as u32).to_be_bytes(),
            key,
            &(value.len() as u32).to_be_bytes(),
            value,
        ])?;
        self.counts.records += 1;
        Ok(())
    }

    /// The settings file, whole (it is small).
    pub fn settings(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.file_entry(TAG_SETTINGS, name, bytes.len() as u64, &mut &bytes[..])
    }

    /// A media file of `len` bytes read from `from`, which must give
    /// exactly that many.
    pub fn file(&mut self, name: &str, len: u64, from: &mut impl Read) -> io::Result<()> {
        self.file_entry(TAG_FILE, name, len, from)?;
        self.counts.files += 1;
        Ok(())
    }

    fn file_entry(
        &mut self,
        tag: u8,
        name: &str,
        len: u64,
        from: &mut impl Read,
    ) -> io::Result<()> {
        if !valid_name(name) || len > MAX_FILE_BYTES {
            return Err(io::Error::other(format!("cannot back up file `{name}`")));
        }
        let mut crc = crc32fast::Hasher::new();
        for p in [
            &[tag][..],
            &(name.len() as u16).to_be_bytes(),
            name.as_bytes(),
            &len.to_be_bytes(),
        ] {
            crc.update(p);
            self.raw(p)?;
        }
        let mut buf = vec![0u8; CHUNK_BYTES];
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(CHUNK_BYTES)
                .min(CHUNK_BYTES);
            let chunk = buf.get_mut(..want).unwrap_or_default();
            from.read_exact(chunk).map_err(|e| {
                io::Error::other(format!("file `{name}` changed while it was read: {e}"))
            })?;
            crc.update(chunk);
            self.digest.update(chunk);
            self.counts.bytes += want as u64;
            self.out.write_all(chunk)?;
            left -= want as u64;
        }
        self.raw(&crc.finalize().to_be_bytes())
    }

    /// Writes the end entry and hands back the output.
    pub fn finish(mut self) -> io::Result<(W, Counts)> {
        let (records, files) = (self.counts.records, self.counts.files);
        self.raw(&[TAG_END])?;
        self.raw(&records.to_be_bytes())?;
        self.raw(&files.to_be_bytes())?;
        let sum = self.digest.clone().finish();
        self.out.write_all(sum.as_ref())?;
        self.counts.bytes += sum.as_ref().len() as u64;
        self.out.flush()?;
        Ok((self.out, self.counts))
    }
}

/// A media or settings file name: one plain path component.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES as usize
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// What a reader does with the entries, in order.
pub trait Sink {
    fn record(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), FormatError>;
    /// A file begins; `settings` tells the settings file from media.
    fn file_start(&mut self, settings: bool, name: &str, len: u64) -> Result<(), FormatError>;
    fn file_chunk(&mut self, bytes: &[u8]) -> Result<(), FormatError>;
    /// The file's bytes all arrived and their checksum matched.
    fn file_end(&mut self) -> Result<(), FormatError>;
    /// Called now and then with the counts so far.
    fn progress(&mut self, _counts: &Counts) {}
}

/// Reads, checking as it goes, the bytes of an archive.
struct Reader<R: Read> {
    input: R,
    digest: ring::digest::Context,
    counts: Counts,
}

impl<R: Read> Reader<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), FormatError> {
        self.input.read_exact(buf)?;
        self.digest.update(buf);
        self.counts.bytes += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let mut b = [0u8; N];
        self.exact(&mut b)?;
        Ok(b)
    }

    fn vec(&mut self, len: usize) -> Result<Vec<u8>, FormatError> {
        let mut v = vec![0u8; len];
        self.exact(&mut v)?;
        Ok(v)
    }
}

/// Reads a whole archive, handing each entry to `sink` once its checksum
/// matched (a file's chunks arrive before its checksum; `file_end` says
/// it matched). Returns the header and counts; any damage is an error.
pub fn read(input: impl Read, sink: &mut impl Sink) -> Result<(Header, Counts), FormatError> {
    let mut r = Reader {
        input,
        digest: ring::digest::Context::new(&ring::digest::SHA256),
        counts: Counts::default(),
    };
    let header = read_header(&mut r)?;
    let mut next_progress = 0u64;
    loop {
        if r.counts.bytes >= next_progress {
            sink.progress(&r.counts);
            next_progress = r.counts.bytes + (4 << 20);
        }
        let [tag] = r.array::<1>()?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&[tag]);
        match tag {
            TAG_RECORD => {
                let [n] = r.array::<1>()?;
                crc.update(&[n]);
                let tree = r.vec(n as usize)?;
                crc.update(&tree);
                let key = bounded(&mut r, &mut crc, MAX_KEY_BYTES, "key")?;
                let value = bounded(&mut r, &mut crc, MAX_VALUE_BYTES, "value")?;
                check_crc(&mut r, crc, "a record")?;
                let Ok(tree) = std::str::from_utf8(&tree) else {
                    return damaged("a record names an unreadable tree");
                };
                sink.record(tree, &key, &value)?;
                r.counts.records += 1;
            }
            TAG_FILE | TAG_SETTINGS => {
                let n = u16::from_be_bytes(r.array()?);
                crc.update(&n.to_be_bytes());
                if n > MAX_NAME_BYTES {
                    return damaged("a file name is too long");
                }
                let name = r.vec(n as usize)?;
                crc.update(&name);
                let len = u64::from_be_bytes(r.array()?);
                crc.update(&len.to_be_bytes());
                let name = match std::str::from_utf8(&name) {
                    Ok(s) if valid_name(s) => s.to_string(),
                    _ => return damaged("a file has a name that is not a plain file name"),
                };
                if len > MAX_FILE_BYTES {
                    return damaged(format!("file `{name}` claims {len} bytes"));
                }
                sink.file_start(tag == TAG_SETTINGS, &name, len)?;
                let mut buf = vec![0u8; CHUNK_BYTES];
                let mut left = len;
                while left > 0 {
                    let want = usize::try_from(left)
                        .unwrap_or(CHUNK_BYTES)
                        .min(CHUNK_BYTES);
                    let chunk = buf.get_mut(..want).unwrap_or_default();
                    r.exact(chunk)?;
                    crc.update(chunk);
                    sink.file_chunk(chunk)?;
                    left -= want as u64;
                }
                check_crc(&mut r, crc, &format!("file `{name}`"))?;
                sink.file_end()?;
                if tag == TAG_FILE {
                    r.counts.files += 1;
                }
            }
            TAG_END => break,
            other => return damaged(format!("unknown entry type {other:#04x}")),
        }
    }
    let records = u64::from_be_bytes(r.array()?);
    let files = u64::from_be_bytes(r.array()?);
    let expected = r.digest.clone().finish();
    let mut sum = [0u8; 32];
    r.input.read_exact(&mut sum)?;
    if sum.as_slice() != expected.as_ref() {
        return damaged("its overall SHA-256 does not match");
    }
    if records != r.counts.records || files != r.counts.files {
        return damaged(format!(
            "it should hold {records} records and {files} files, but holds {} and {}",
            r.counts.records, r.counts.files
        ));
    }
    let mut extra = [0u8; 1];
    if r.input.read(&mut extra)? != 0 {
        return damaged("there are bytes after its end");
    }
    r.counts.bytes += 32;
    sink.progress(&r.counts);
    Ok((header, r.counts))
}

fn read_header<R: Read>(r: &mut Reader<R>) -> Result<Header, FormatError> {
    let mut crc = crc32fast::Hasher::new();
    let magic = r.array::<8>().map_err(|_| not_a_backup())?;
    if &magic != MAGIC {
        return Err(not_a_backup());
    }
    crc.update(&magic);
    let version = u16::from_be_bytes(r.array()?);
    crc.update(&version.to_be_bytes());
    if version > FORMAT_VERSION {
        return Err(FormatError::TooNew(format!(
            "it was written in backup format {version}, and this Burrow reads up to {FORMAT_VERSION}; restore it with a newer Burrow"
        )));
    }
    let json = bounded(r, &mut crc, MAX_HEADER_BYTES, "header")?;
    check_crc(r, crc, "the header")?;
    let header: Header = serde_json::from_slice(&json)
        .or_else(|e| damaged(format!("its header is unreadable ({e})")))?;
    if header.schema_version > crate::store::SCHEMA_VERSION {
        return Err(FormatError::TooNew(format!(
            "it holds a store of schema {} from Burrow {}, and this Burrow knows schema {}; restore it with that Burrow or a newer one",
            header.schema_version,
            header.burrow_version,
            crate::store::SCHEMA_VERSION
        )));
    }
    Ok(header)
}

fn not_a_backup() -> FormatError {
    FormatError::Damaged("it is not a Burrow backup (the first bytes are wrong)".into())
}

/// A `u32` length, checked against `max`, then that many bytes.
fn bounded<R: Read>(
    r: &mut Reader<R>,
    crc: &mut crc32fast::Hasher,
    max: u32,
    what: &str,
) -> Result<Vec<u8>, FormatError> {
    let n = u32::from_be_bytes(r.array()?);
    crc.update(&n.to_be_bytes());
    if n > max {
        return damaged(format!("a {what} claims {n} bytes"));
    }
    let v = r.vec(n as usize)?;
    crc.update(&v);
    Ok(v)
}

fn check_crc<R: Read>(
    r: &mut Reader<R>,
    crc: crc32fast::Hasher,
    what: &str,
) -> Result<(), FormatError> {
    let stored = u32::from_be_bytes(r.array()?);
    if stored != crc.finalize() {
        return damaged(format!("the checksum of {what} does not match"));
    }
    Ok(())
}

/// A sink that only lets the reader check everything.
pub struct Verify;

impl Sink for Verify {
    fn record(&mut self, tree: &str, _: &[u8], _: &[u8]) -> Result<(), FormatError> {
        if crate::store::dump::RawStore::knows_tree(tree) {
            Ok(())
        } else {
            Err(FormatError::TooNew(format!(
                "it holds records of a store part (`{tree}`) this Burrow doesn't know; restore it with a newer Burrow"
            )))
        }
    }
    fn file_start(&mut self, _: bool, _: &str, _: u64) -> Result<(), FormatError> {
        Ok(())
    }
    fn file_chunk(&mut self, _: &[u8]) -> Result<(), FormatError> {
        Ok(())
    }
    fn file_end(&mut self) -> Result<(), FormatError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let header = Header {
            burrow_version: "0.1.0".into(),
            schema_version: crate::store::SCHEMA_VERSION,
            created_at: "2026-01-01T00:00:00.000Z".into(),
        };
        let mut w = Writer::new(Vec::new(), &header).unwrap();
        w.settings("burrow.toml", b"[server]\n").unwrap();
        w.record("statuses", b"\x00\x01", b"hello").unwrap();
        w.record("index", b"k\x00v", b"").unwrap();
        let data = vec![7u8; 100_000];
        w.file("a.png", data.len() as u64, &mut &data[..]).unwrap();
        w.finish().unwrap().0
    }

    #[test]
    fn a_written_archive_reads_back() {
        let bytes = sample();
        let (h, c) = read(&bytes[..], &mut Verify).unwrap();
        assert_eq!(h.schema_version, crate::store::SCHEMA_VERSION);
        assert_eq!((c.records, c.files, c.bytes), (2, 1, bytes.len() as u64));
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_refused() {
        let bytes = sample();
        // Every byte of the small entries, and a stride through the file.
        let positions =
            (0..bytes.len()).filter(|i| *i < 200 || i % 997 == 0 || *i > bytes.len() - 80);
        for i in positions {
            let mut bad = bytes.clone();
            if let Some(b) = bad.get_mut(i) {
                *b ^= 0x20;
            }
            assert!(
                read(&bad[..], &mut Verify).is_err(),
                "flipped byte {i} passed"
            );
        }
        for cut in (0..bytes.len()).step_by(331).chain([bytes.len() - 1]) {
            let short = bytes.get(..cut).unwrap();
            assert!(read(short, &mut Verify).is_err(), "cut at {cut} passed");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(read(&long[..], &mut Verify).is_err());
    }

    #[test]
    fn hostile_lengths_are_refused_before_allocating() {
        let mut bytes = sample();
        // The header length field, set huge.
        if let Some(len) = bytes.get_mut(10..14) {
            len.copy_from_slice(&u32::MAX.to_be_bytes());
        }
        let err = read(&bytes[..], &mut Verify).unwrap_err().to_string();
        assert!(err.contains("claims"), "{err}");
    }

    #[test]
    fn names_are_plain_file_names() {
        assert!(valid_name("abc_DEF-1.webp"));
        for bad in ["", "../x", "a/b", ".hidden", "a\0b", "ä"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
