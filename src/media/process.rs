//! Decode, strip, scale, thumbnail and blurhash one upload.

use super::{
    sniff, Format, MediaError, BLURHASH_COMPONENTS, BLURHASH_SOURCE_SIDE, JPEG_QUALITY,
    MAX_DECODE_ALLOC, MAX_ICC_BYTES, MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_BYTES, ORIGINAL_MAX_PIXELS,
    SMALL_MAX_PIXELS,
};
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// Pixel dimensions of one stored version of an image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

impl ImageSize {
    /// `"WxH"`, as in Mastodon's `meta`.
    pub fn size(&self) -> String {
        format!("{}x{}", self.width, self.height)
    }

    pub fn aspect(&self) -> f64 {
        if self.height == 0 {
            0.0
        } else {
            f64::from(self.width) / f64::from(self.height)
        }
    }

    fn of(img: &DynamicImage) -> ImageSize {
        ImageSize {
            width: img.width(),
            height: img.height(),
        }
    }
}

/// An upload made ready to store: files' bytes and what the API reports.
#[derive(Debug)]
pub struct Processed {
    /// Format of the stored original (may differ from the upload's).
    pub format: Format,
    pub original: Vec<u8>,
    pub original_size: ImageSize,
    pub small_format: Format,
    pub small: Vec<u8>,
    pub small_size: ImageSize,
    pub blurhash: String,
}

/// Turns uploaded bytes into a stored original and a thumbnail.
///
/// The original is re-encoded from pixels, so EXIF (location!), XMP and
/// text chunks are gone; the EXIF orientation is applied first so that
/// phone photos stay upright. The colour profile is kept: it says nothing
/// about the person, and without it wide-gamut phone photos look dull. JPEG stays JPEG and PNG stays PNG.
/// WebP with transparency becomes lossless WebP (the only WebP the `image`
/// crate writes); WebP without transparency is a photo and becomes JPEG,
/// because lossless WebP of a photo is several times the upload's size.
/// GIFs are kept byte for byte (GIF carries no EXIF, and re-encoding would
/// lose animation); their first frame makes the thumbnail.
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge { size: bytes.len() });
    }
    let format = sniff(bytes)?;
    let (mut img, icc) = decode(bytes, format)?;
    let icc = icc.as_deref();

    let (stored_format, original, original_size) = if format == Format::Gif {
        (format, bytes.to_vec(), ImageSize::of(&img))
    } else {
        let target = match format {
            Format::Webp if !img.color().has_alpha() => Format::Jpeg,
            f => f,
        };
        if let Some(scaled) = fit(&img, ORIGINAL_MAX_PIXELS) {
            img = scaled;
        }
        let encoded = encode(&img, target, icc)?;
        (target, encoded, ImageSize::of(&img))
    };

    let small_img = fit(&img, SMALL_MAX_PIXELS).unwrap_or(img);
    let small_format = if small_img.color().has_alpha() {
        Format::Png
    } else {
        Format::Jpeg
    };
    let small = encode(&small_img, small_format, icc)?;
    let blurhash = blurhash_of(&small_img)?;
    Ok(Processed {
        format: stored_format,
        original,
        original_size,
        small_format,
        small_size: ImageSize::of(&small_img),
        small,
        blurhash,
    })
}

/// Decodes with limits set before any pixel buffer exists: the header's
/// dimensions are checked first, so a small file claiming a huge image
/// costs nothing.
pub(super) fn decode(
    bytes: &[u8],
    format: Format,
) -> Result<(DynamicImage, Option<Vec<u8>>), MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, format))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(format.name(), "no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder
        .icc_profile()
        .ok()
        .flatten()
        .filter(|p| !p.is_empty() && p.len() <= MAX_ICC_BYTES);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, format))?;
    img.apply_orientation(orientation);
    Ok((img, icc))
}

fn decode_error(e: ImageError, format: Format) -> MediaError {
    match e {
        ImageError::Limits(_) => MediaError::TooLargeToDecode,
        ImageError::Unsupported(u) => MediaError::Corrupt(format.name(), u.to_string()),
        other => MediaError::Corrupt(format.name(), other.to_string()),
    }
}

/// A copy scaled to hold at most `max_pixels`, or `None` if it already does.
/// Uses the `image` crate's area-averaging thumbnail, which needs no
/// buffer beyond its output (a filtered resize of a 25-megapixel photo
/// would allocate hundreds of megabytes of floats).
fn fit(img: &DynamicImage, max_pixels: u64) -> Option<DynamicImage> {
    let (w, h) = (u64::from(img.width()), u64::from(img.height()));
    if w * h <= max_pixels {
        return None;
    }
    let scale = (max_pixels as f64 / (w * h) as f64).sqrt();
    let nw = ((w as f64 * scale).floor() as u32).max(1);
    let nh = ((h as f64 * scale).floor() as u32).max(1);
    Some(img.thumbnail_exact(nw, nh))
}

pub(super) fn encode(
    img: &DynamicImage,
    format: Format,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError> {
    use image::codecs::{gif::GifEncoder, jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder};
    use image::ImageEncoder;
    fn with_icc<E: ImageEncoder>(mut encoder: E, icc: Option<&[u8]>) -> E {
        if let Some(profile) = icc {
            // A format that cannot carry a profile simply goes without.
            let _ = encoder.set_icc_profile(profile.to_vec());
        }
        encoder
    }
    let mut out = Cursor::new(Vec::new());
    let result = match format {
        Format::Jpeg => {
            let encoder = with_icc(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY), icc);
            match img {
                DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => {
                    img.write_with_encoder(encoder)
                }
                DynamicImage::ImageLuma16(_)
                | DynamicImage::ImageLumaA8(_)
                | DynamicImage::ImageLumaA16(_) => {
                    DynamicImage::ImageLuma8(img.to_luma8()).write_with_encoder(encoder)
                }
                _ => DynamicImage::ImageRgb8(img.to_rgb8()).write_with_encoder(encoder),
            }
        }
        Format::Png => img.write_with_encoder(with_icc(PngEncoder::new(&mut out), icc)),
        Format::Webp => DynamicImage::ImageRgba8(img.to_rgba8())
            .write_with_encoder(with_icc(WebPEncoder::new_lossless(&mut out), icc)),
        Format::Gif => {
            let mut encoder = GifEncoder::new(&mut out);
            encoder.encode_frame(image::Frame::new(img.to_rgba8()))
        }
    };
    result.map_err(|e| MediaError::Internal(format!("encoding {}: {e}", format.name())))?;
    Ok(out.into_inner())
}

fn blurhash_of(img: &DynamicImage) -> Result<String, MediaError> {
    let small = img
        .thumbnail(BLURHASH_SOURCE_SIDE, BLURHASH_SOURCE_SIDE)
        .to_rgba8();
    let (x, y) = BLURHASH_COMPONENTS;
    blurhash::encode(x, y, small.width(), small.height(), small.as_raw())
        .map_err(|e| MediaError::Internal(format!("blurhash: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn photo(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        })
    }

    fn encoded(img: DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        encoded(
            DynamicImage::ImageRgb8(photo(w, h)),
            image::ImageFormat::Jpeg,
        )
    }

    fn transparent(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(w, h, |x, _| {
            Rgba([200, 10, 10, (x % 256) as u8])
        }))
    }

    /// An EXIF APP1 segment saying "rotate 90° clockwise" (orientation 6).
    fn exif_rotate_90() -> Vec<u8> {
        let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&[0, 1]); // one IFD entry
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let mut seg = vec![0xff, 0xe1];
        seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        seg.extend_from_slice(&payload);
        seg
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A real small PNG whose header claims other dimensions.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = encoded(
            DynamicImage::ImageRgb8(photo(4, 4)),
            image::ImageFormat::Png,
        );
        // IHDR data starts after signature (8), length (4) and type (4).
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn jpeg_loses_exif_but_keeps_its_orientation() {
        let plain = jpeg(120, 60);
        let mut with_exif = plain[..2].to_vec();
        with_exif.extend_from_slice(&exif_rotate_90());
        with_exif.extend_from_slice(&plain[2..]);
        assert!(with_exif.windows(4).any(|w| w == b"Exif"));

        let p = process(&with_exif).unwrap();
        assert_eq!(p.format, Format::Jpeg);
        assert!(!p.original.windows(4).any(|w| w == b"Exif"));
        assert!(!p.small.windows(4).any(|w| w == b"Exif"));
        // Rotated upright: the stored image is portrait.
        assert_eq!(
            p.original_size,
            ImageSize {
                width: 60,
                height: 120
            }
        );
        let back = image::load_from_memory(&p.original).unwrap();
        assert_eq!((back.width(), back.height()), (60, 120));
        assert_eq!(p.small_format, Format::Jpeg);
    }

    #[test]
    fn colour_profile_is_kept() {
        use image::ImageEncoder;
        let profile = b"fake ICC profile bytes, kept verbatim".to_vec();
        let mut bytes = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
        enc.set_icc_profile(profile.clone()).unwrap();
        DynamicImage::ImageRgb8(photo(32, 32))
            .write_with_encoder(enc)
            .unwrap();
        let p = process(&bytes).unwrap();
        for out in [&p.original, &p.small] {
            let mut dec = image::codecs::jpeg::JpegDecoder::new(Cursor::new(out)).unwrap();
            assert_eq!(dec.icc_profile().unwrap(), Some(profile.clone()));
        }
    }

    #[test]
    fn png_stays_png_with_transparency_and_a_bounded_thumbnail() {
        let bytes = encoded(transparent(1200, 800), image::ImageFormat::Png);
        let p = process(&bytes).unwrap();
        assert_eq!(p.format, Format::Png);
        assert_eq!(
            p.original_size,
            ImageSize {
                width: 1200,
                height: 800
            }
        );
        assert_eq!(p.small_format, Format::Png);
        let s = p.small_size;
        assert!(u64::from(s.width) * u64::from(s.height) <= SMALL_MAX_PIXELS);
        assert!((s.aspect() - 1.5).abs() < 0.01, "{s:?}");
        assert_eq!(s.size(), format!("{}x{}", s.width, s.height));
        let back = image::load_from_memory(&p.small).unwrap();
        assert!(back.color().has_alpha());
        assert!(p.blurhash.len() >= 6, "{}", p.blurhash);
    }

    #[test]
    fn large_originals_are_scaled_down() {
        let p = process(&jpeg(4000, 3000)).unwrap();
        let o = p.original_size;
        assert!(
            u64::from(o.width) * u64::from(o.height) <= ORIGINAL_MAX_PIXELS,
            "{o:?}"
        );
        assert!(o.width >= 3300, "{o:?}");
        let back = image::load_from_memory(&p.original).unwrap();
        assert_eq!((back.width(), back.height()), (o.width, o.height));
    }

    #[test]
    fn gif_is_kept_as_uploaded_with_a_first_frame_thumbnail() {
        use image::codecs::gif::{GifEncoder, Repeat};
        use image::{Delay, Frame};
        let mut bytes = Vec::new();
        {
            let mut enc = GifEncoder::new(&mut bytes);
            enc.set_repeat(Repeat::Infinite).unwrap();
            for shade in [0u8, 255] {
                let frame = RgbaImage::from_pixel(40, 30, Rgba([shade, shade, shade, 255]));
                enc.encode_frame(Frame::from_parts(
                    frame,
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
            }
        }
        let p = process(&bytes).unwrap();
        assert_eq!(p.format, Format::Gif);
        assert_eq!(p.original, bytes);
        assert_eq!(
            p.original_size,
            ImageSize {
                width: 40,
                height: 30
            }
        );
        let thumb = image::load_from_memory(&p.small).unwrap().to_rgba8();
        assert_eq!(thumb.get_pixel(0, 0)[0], 0, "first frame is black");
    }

    #[test]
    fn webp_becomes_lossless_webp_or_jpeg() {
        let with_alpha = encoded(transparent(50, 40), image::ImageFormat::WebP);
        assert_eq!(process(&with_alpha).unwrap().format, Format::Webp);
        let opaque = encoded(
            DynamicImage::ImageRgb8(photo(50, 40)),
            image::ImageFormat::WebP,
        );
        let p = process(&opaque).unwrap();
        assert_eq!(p.format, Format::Jpeg);
        assert!(image::load_from_memory(&p.original).is_ok());
    }

    #[test]
    fn huge_claimed_dimensions_are_refused_before_decoding() {
        let err = process(&png_claiming(100_000, 100_000)).unwrap_err();
        assert!(matches!(err, MediaError::TooLargeToDecode), "{err}");
        let err = process(&png_claiming(10_000, 10_000)).unwrap_err();
        assert!(
            matches!(
                err,
                MediaError::TooManyPixels {
                    width: 10_000,
                    height: 10_000
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("scale it down"));
    }

    #[test]
    fn truncated_and_garbage_files_are_refused() {
        let png = encoded(
            DynamicImage::ImageRgb8(photo(64, 64)),
            image::ImageFormat::Png,
        );
        let err = process(&png[..png.len() / 2]).unwrap_err();
        assert!(matches!(err, MediaError::Corrupt("PNG", _)), "{err}");
        let jpg = jpeg(64, 64);
        assert!(process(&jpg[..20]).is_err());
        assert!(process(&jpg[..jpg.len() / 2]).is_err(), "half a JPEG");
        let mut garbage = b"\x89PNG\r\n\x1a\n".to_vec();
        garbage.extend_from_slice(&[0xab; 200]);
        assert!(matches!(
            process(&garbage).unwrap_err(),
            MediaError::Corrupt(..)
        ));
        assert!(matches!(
            process(b"GIF89a").unwrap_err(),
            MediaError::Corrupt(..)
        ));
    }

    #[test]
    fn oversized_uploads_are_refused_unread() {
        let mut big = jpeg(8, 8);
        big.resize(MAX_UPLOAD_BYTES + 1, 0);
        assert!(matches!(
            process(&big).unwrap_err(),
            MediaError::TooLarge { .. }
        ));
    }
}
