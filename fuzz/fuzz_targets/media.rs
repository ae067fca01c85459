//! Uploaded images: type sniffing, then the bounded decoder, re-encoding,
//! thumbnail and blurhash, and the avatar cut.
#![no_main]

use burrow::media::{cover, process, sniff, AVATAR_BOX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if sniff(data).is_err() {
        return;
    }
    let _ = process(data);
    let _ = cover(data, AVATAR_BOX);
});
