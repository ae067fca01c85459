//! Text that people read: remote HTML made safe (`sanitize`), the owner's
//! plain text made into HTML (`render`), and the way back to plain text
//! for notifications and search.
//!
//! Architecture invariant: every HTML string that reaches a client or a
//! peer has passed through `sanitize::sanitize` or was produced by
//! `render::render`, whose output stays inside the same allowlist.

pub mod cards;
pub mod emoji;
pub mod links;
mod markup;
pub mod render;
pub mod resolver;
pub mod sanitize;

pub use render::{extract_mentions, render, MentionRef, MentionResolver, Rendered};
pub use resolver::StoreResolver;
pub use sanitize::{html_to_text, plain_name, sanitize};

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, s);
    out
}

pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a
/// character boundary.
pub(crate) fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    // Index 0 is always a boundary, so some cut is found.
    let end = (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    s.get(..end).unwrap_or_default()
}
