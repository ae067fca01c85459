//! Time and peak memory of processing one 4000x3000 JPEG, the size of a
//! typical phone photo. Run with `cargo run --release --example media_bench`.

use std::io::Cursor;
use std::time::Instant;

/// Peak resident memory of this process so far, from Linux's `VmHWM`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    // Measured in a fresh process so that making the test image does not
    // count towards the peak.
    if let Some(path) = std::env::args().nth(1) {
        return measure(&std::fs::read(path).expect("reads the input"));
    }
    let (w, h) = (4000, 3000);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 3 % 256) as u8,
            ((x ^ y) % 256) as u8,
        ])
    });
    let mut jpeg = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let path = std::env::temp_dir().join("burrow-media-bench.jpg");
    std::fs::write(&path, jpeg.into_inner()).unwrap();
    println!("input: {w}x{h} JPEG");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .arg(&path)
        .status()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(status.success());
}

fn measure(jpeg: &[u8]) {
    let before = peak_rss_kib().unwrap_or(0);
    println!(
        "input {} KiB; peak RSS before processing: {before} KiB",
        jpeg.len() / 1024
    );
    let start = Instant::now();
    let p = burrow::media::process(jpeg).expect("processes");
    let took = start.elapsed();
    println!(
        "processed in {:.0} ms: original {} ({} KiB), small {} ({} KiB), blurhash {}",
        took.as_secs_f64() * 1000.0,
        p.original_size.size(),
        p.original.len() / 1024,
        p.small_size.size(),
        p.small.len() / 1024,
        p.blurhash
    );
    println!("peak RSS after: {} KiB", peak_rss_kib().unwrap_or(0));
}
