//! Profile pictures: an avatar or header cut to its shape and size, as
//! Mastodon does (ImageMagick's `WxH#`: fill the box, crop the overflow
//! evenly from both sides).

use super::process::{decode, encode};
use super::{sniff, Format, ImageSize, MediaError, MAX_UPLOAD_BYTES};
use image::DynamicImage;

/// Mastodon's avatar size: a 400x400 square.
pub const AVATAR_BOX: ImageSize = ImageSize {
    width: 400,
    height: 400,
};

/// Mastodon's header size: 1500x500, a 3:1 banner.
pub const HEADER_BOX: ImageSize = ImageSize {
    width: 1500,
    height: 500,
};

/// A profile picture ready to store.
#[derive(Debug)]
pub struct Cover {
    pub format: Format,
    pub bytes: Vec<u8>,
    pub size: ImageSize,
}

/// Crops the upload's centre to the box's aspect ratio and scales it down
/// to fit the box; smaller pictures are cropped but never enlarged (that
/// would only add bytes, and browsers scale up as well).
///
/// Decoding is the same bounded path as post images (`process`): the same
/// size and pixel limits, and EXIF is gone because the pixels are
/// re-encoded (its orientation applied first). An animated GIF becomes its
/// first frame, stored as PNG: a still avatar is what most apps show
/// anyway, and re-encoding every frame would multiply the work on a Pi.
/// JPEG (and opaque WebP) become JPEG; PNG, GIF and transparent WebP
/// become PNG, keeping transparency.
pub fn cover(bytes: &[u8], fit: ImageSize) -> Result<Cover, MediaError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge { size: bytes.len() });
    }
    let format = sniff(bytes)?;
    let (img, icc) = decode(bytes, format)?;
    let img = crop_to_box(&img, fit);
    let target = match format {
        Format::Jpeg => Format::Jpeg,
        Format::Webp if !img.color().has_alpha() => Format::Jpeg,
        _ => Format::Png,
    };
    let bytes = encode(&img, target, icc.as_deref())?;
    Ok(Cover {
        format: target,
        bytes,
        size: ImageSize {
            width: img.width(),
            height: img.height(),
        },
    })
}

/// The centred crop of `img` with the box's aspect ratio, scaled down to
/// the box when larger.
fn crop_to_box(img: &DynamicImage, fit: ImageSize) -> DynamicImage {
    let (w, h) = (u64::from(img.width()), u64::from(img.height()));
    let (bw, bh) = (u64::from(fit.width), u64::from(fit.height));
    // Widest crop of the box's ratio that fits: compare w/h with bw/bh.
    let (cw, ch) = if w * bh > h * bw {
        ((h * bw / bh).max(1), h)
    } else {
        (w, (w * bh / bw).max(1))
    };
    let (x, y) = ((w - cw) / 2, (h - ch) / 2);
    let cropped = img.crop_imm(x as u32, y as u32, cw as u32, ch as u32);
    if cw <= bw && ch <= bh {
        return cropped;
    }
    // Area-averaging, like `process::fit`: no large float buffers.
    cropped.thumbnail_exact(fit.width, fit.height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};
    use std::io::Cursor;

    fn encoded(img: DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// Left third red, middle green, right third blue.
    fn stripes(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, _| match 3 * x / w {
            0 => Rgb([255, 0, 0]),
            1 => Rgb([0, 255, 0]),
            _ => Rgb([0, 0, 255]),
        }))
    }

    #[test]
    fn avatar_is_the_centre_square_scaled_to_400() {
        let c = cover(
            &encoded(stripes(900, 600), image::ImageFormat::Jpeg),
            AVATAR_BOX,
        )
        .unwrap();
        assert_eq!(c.format, Format::Jpeg);
        assert_eq!((c.size.width, c.size.height), (400, 400));
        let back = image::load_from_memory(&c.bytes).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (400, 400));
        // The middle stripe fills the centre; the sides were cropped away
        // evenly, so both edges show the outer stripes' remaining halves.
        let mid = back.get_pixel(200, 200);
        assert!(mid[1] > 200 && mid[0] < 60 && mid[2] < 60, "{mid:?}");
        assert!(back.get_pixel(5, 200)[0] > 200);
        assert!(back.get_pixel(395, 200)[2] > 200);
    }

    #[test]
    fn header_is_three_to_one_and_small_images_are_not_enlarged() {
        let c = cover(
            &encoded(stripes(800, 600), image::ImageFormat::Png),
            HEADER_BOX,
        )
        .unwrap();
        assert_eq!(c.format, Format::Png);
        assert_eq!((c.size.width, c.size.height), (800, 266));
        let big = cover(
            &encoded(stripes(3000, 3000), image::ImageFormat::Png),
            HEADER_BOX,
        )
        .unwrap();
        assert_eq!((big.size.width, big.size.height), (1500, 500));
        let tiny = cover(
            &encoded(stripes(10, 30), image::ImageFormat::Png),
            AVATAR_BOX,
        )
        .unwrap();
        assert_eq!((tiny.size.width, tiny.size.height), (10, 10));
    }

    #[test]
    fn transparency_is_kept_and_gifs_become_png() {
        let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(50, 50, Rgba([1, 2, 3, 0])));
        let c = cover(&encoded(clear.clone(), image::ImageFormat::Png), AVATAR_BOX).unwrap();
        assert!(image::load_from_memory(&c.bytes)
            .unwrap()
            .color()
            .has_alpha());
        let gif = cover(&encoded(clear, image::ImageFormat::Gif), AVATAR_BOX).unwrap();
        assert_eq!(gif.format, Format::Png);
    }

    #[test]
    fn damaged_files_are_refused() {
        let png = encoded(stripes(64, 64), image::ImageFormat::Png);
        assert!(matches!(
            cover(&png[..png.len() / 2], AVATAR_BOX).unwrap_err(),
            MediaError::Corrupt("PNG", _)
        ));
        assert!(matches!(
            cover(b"not an image at all", HEADER_BOX).unwrap_err(),
            MediaError::Unsupported(_)
        ));
    }
}
