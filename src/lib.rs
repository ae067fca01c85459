//! Burrow: a one-person fediverse server for small hardware.
//!
//! The crate is layered (see `ARCHITECTURE.md`): `http` speaks to the
//! outside world, `ops` holds every action a person or a peer can take,
//! `store` is the only code that knows sled, `crypto` wraps ring.

pub mod activitypub;
pub mod cli;
pub mod config;
pub mod content;
pub mod crypto;
pub mod events;
pub mod federation;
pub mod http;
pub mod media;
pub mod ops;
pub mod push;
pub mod server;
pub mod state;
pub mod store;
pub mod templates;
pub mod time_fmt;
pub mod urls;

/// Plain text from remote HTML-ish input (content warnings, report texts).
pub fn content_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}
