//! What a file is, from its first bytes. Names and declared types are not
//! trusted: apps send `application/octet-stream` or no name at all, and
//! a wrong type would reach browsers.

// Uploaded bytes come from the caller: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::MediaError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::Webp => "webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::Gif, Format::Webp]
            .into_iter()
            .find(|f| f.extension() == ext)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::Webp => "WebP",
        }
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Gif => image::ImageFormat::Gif,
            Format::Webp => image::ImageFormat::WebP,
        }
    }
}

/// The format of an upload, or an error naming what it is instead.
pub fn sniff(bytes: &[u8]) -> Result<Format, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xff, 0xd8, 0xff]) {
        return Ok(Format::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Ok(Format::Gif);
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Ok(Format::Webp);
    }
    Err(MediaError::Unsupported(describe_other(bytes)))
}

/// Names common files that are not accepted, so the error can say what
/// the person uploaded.
fn describe_other(bytes: &[u8]) -> &'static str {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let brand = bytes
        .get(4..8)
        .filter(|b| *b == b"ftyp")
        .and(bytes.get(8..12));
    match brand {
        Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc") => return "a HEIC image",
        Some(b"avif" | b"avis") => return "an AVIF image",
        Some(b"qt  ") => return "a QuickTime video",
        Some(_) => return "an MP4 video",
        None => {}
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        "a TIFF"
    } else if starts(b"BM") {
        "a BMP image"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(&[0x1a, 0x45, 0xdf, 0xa3]) {
        "a WebM or Matroska video"
    } else if starts(b"\0\0\x01\0") {
        "an icon file"
    } else if starts(b"8BPS") {
        "a Photoshop document"
    } else if starts(b"PK\x03\x04") {
        "a ZIP archive"
    } else if looks_like_svg(bytes) {
        "an SVG drawing"
    } else {
        "not an image this server recognises"
    }
}

/// How much of a file is read to recognise SVG text.
const SVG_SNIFF_BYTES: usize = 512;

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = bytes.get(..SVG_SNIFF_BYTES).unwrap_or(bytes);
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    text.contains("<svg") || text.trim_start().starts_with("<?xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_accepted_formats_by_bytes() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest").unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(), Format::Png);
        assert_eq!(sniff(b"GIF89a..").unwrap(), Format::Gif);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
    }

    #[test]
    fn names_what_it_refuses() {
        let msg = |b: &[u8]| sniff(b).unwrap_err().to_string();
        assert_eq!(
            msg(b"II*\0\x08\0\0\0"),
            "the file is a TIFF; upload a JPEG, PNG, GIF or WebP image"
        );
        assert!(msg(b"\0\0\0\x18ftypheic").contains("HEIC"));
        assert!(msg(b"\0\0\0\x18ftypisom").contains("MP4"));
        assert!(msg(b"<?xml version='1.0'?><svg>").contains("SVG"));
        assert!(msg(b"RIFF\0\0\0\0WAVE").contains("not an image"));
        assert!(msg(b"").contains("empty"));
    }
}
