//! Uploaded images: recognised by their bytes, decoded within fixed
//! memory bounds, stripped of metadata, scaled, thumbnailed and
//! blurhashed. Pure computation, blocking: async callers run it in
//! `spawn_blocking` (see `ops::media`).
//!
//! Architecture invariant: nothing here touches the store or the network;
//! `ops::media` writes files and records.

mod cover;
mod process;
mod sniff;

pub use cover::{cover, Cover, AVATAR_BOX, HEADER_BOX};
pub use process::{process, ImageSize, Processed};
pub use sniff::{sniff, Format};

/// Largest upload accepted, as Mastodon's `image_size_limit` (16 MiB).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Most pixels an upload may have. Mastodon allows 33 megapixels; on a
/// 512 MB Pi Zero 2 W the decoded image must stay far below the memory the
/// rest of the server needs. 25 megapixels admits every phone photo at its
/// default size and 24-megapixel cameras (6000x4000), and decodes to at
/// most 75 MB (RGB) or 100 MB (RGBA).
pub const MAX_PIXELS: u64 = 25_000_000;

/// Largest width or height; also stops absurd strips (1x25000000) that
/// pass the pixel count but make resizing pathological.
pub const MAX_SIDE: u32 = 16_384;

/// Most memory a decoder may allocate, checked by the `image` crate
/// before it allocates: 25 megapixels of RGBA plus decoder overhead.
pub const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;

/// Stored originals are scaled down to at most this many pixels, as
/// Mastodon does (3840x2160). Larger images only cost disk and bandwidth.
pub const ORIGINAL_MAX_PIXELS: u64 = 3840 * 2160;

/// Thumbnails (`small`) hold at most this many pixels, as Mastodon's
/// (640x360).
pub const SMALL_MAX_PIXELS: u64 = 640 * 360;

/// Colour profiles larger than this are dropped rather than copied into
/// every stored file (common profiles are 0.5-4 KiB; camera raw
/// converters sometimes embed hundreds of KiB).
pub const MAX_ICC_BYTES: usize = 128 * 1024;

/// JPEG quality for re-encoded photos: visually lossless for photos and
/// about a third of the size of quality 95.
pub const JPEG_QUALITY: u8 = 85;

/// Blurhash components across and down, as Mastodon's.
pub const BLURHASH_COMPONENTS: (u32, u32) = (4, 4);

/// The blurhash is computed from a copy this many pixels on its long side:
/// a blurhash keeps only a few colour waves, and the cost grows with every
/// pixel.
pub const BLURHASH_SOURCE_SIDE: u32 = 64;

/// Why an upload was refused; each message says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty; choose an image to upload")]
    Empty,
    #[error("the file is {size} bytes; images may be at most {max} MiB, scale it down or save it as a JPEG", max = MAX_UPLOAD_BYTES / (1024 * 1024))]
    TooLarge { size: usize },
    #[error("the file is {0}; upload a JPEG, PNG, GIF or WebP image")]
    Unsupported(&'static str),
    #[error("the image is {width}x{height} pixels; images may have at most {max} megapixels and {MAX_SIDE} pixels on a side, scale it down first", max = MAX_PIXELS / 1_000_000)]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image is too large to decode here (more than {MAX_SIDE} pixels on a side or {} MiB of pixels); scale it down first", MAX_DECODE_ALLOC / (1024 * 1024))]
    TooLargeToDecode,
    #[error("the {0} file is damaged or incomplete ({1}); save it again and retry")]
    Corrupt(&'static str, String),
    #[error("the image could not be processed ({0})")]
    Internal(String),
}
