//! Custom emoji shown in pages: `:shortcode:` in the text of a post, a
//! bio or a name becomes a small image, as Mastodon's web UI shows it.
//!
//! Only text is rewritten, never tags or attribute values, and the image
//! address passes the link gate again here, so a stored record is shown
//! safely whatever it holds.

// Reads stored remote HTML: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::links::safe_url;
use super::markup::{self, Token};
use crate::store::emojis::CustomEmoji;
use std::collections::HashMap;

/// Shown size of an emoji, in CSS pixels: the height of a line of text.
pub const EMOJI_PX: u32 = 20;

/// `html` (sanitised or rendered) with each known `:shortcode:` in its
/// text replaced by the emoji's image.
pub fn emojify(html: &str, emojis: &[CustomEmoji]) -> String {
    let known = images(emojis);
    if known.is_empty() {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    for t in markup::tokens(html) {
        match t {
            Token::Text(text) => replace_in_text(text, &known, &mut out),
            Token::Start { raw, .. } | Token::End { raw, .. } => out.push_str(raw),
        }
    }
    out
}

/// Plain text (a display name) as HTML, escaped, with its emoji.
pub fn emojify_text(text: &str, emojis: &[CustomEmoji]) -> String {
    let escaped = super::escape(text);
    let known = images(emojis);
    if known.is_empty() {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len());
    replace_in_text(&escaped, &known, &mut out);
    out
}

/// Shortcode → the `<img>` that shows it, for emoji whose address may be
/// shown.
fn images(emojis: &[CustomEmoji]) -> HashMap<&str, String> {
    emojis
        .iter()
        .filter(|e| crate::federation::emoji::valid_shortcode(&e.shortcode))
        .filter_map(|e| {
            let url = safe_url(&e.url)?;
            let img = format!(
                "<img class=\"emoji\" src=\"{src}\" alt=\":{code}:\" title=\":{code}:\" width=\"{EMOJI_PX}\" height=\"{EMOJI_PX}\" loading=\"lazy\">",
                src = super::escape(&url),
                code = e.shortcode,
            );
            Some((e.shortcode.as_str(), img))
        })
        .collect()
}

/// Copies escaped `text` to `out`, each `:known:` replaced. Each colon is
/// looked at once, so the work is linear in the text.
fn replace_in_text(text: &str, known: &HashMap<&str, String>, out: &mut String) {
    let mut rest = text;
    while let Some((before, after)) = rest.split_once(':') {
        out.push_str(before);
        let hit = after
            .split_once(':')
            .and_then(|(code, tail)| Some((known.get(code)?, tail)));
        match hit {
            Some((img, tail)) => {
                out.push_str(img);
                rest = tail;
            }
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob() -> Vec<CustomEmoji> {
        vec![
            CustomEmoji {
                shortcode: "blobcat".into(),
                url: "https://e.example/b.png".into(),
                static_url: "https://e.example/b.png".into(),
            },
            CustomEmoji {
                shortcode: "evil".into(),
                url: "javascript:alert(1)".into(),
                static_url: String::new(),
            },
        ]
    }

    #[test]
    fn shortcodes_in_text_become_images_and_nothing_else_changes() {
        let html = r#"<p>hi :blobcat: :evil: :nope: 10:30 <a href="https://x.example/:blobcat:" title=":blobcat:">:blobcat:</a></p>"#;
        let out = emojify(html, &blob());
        assert_eq!(out.matches("<img class=\"emoji\"").count(), 2, "{out}");
        assert!(out.contains(":evil: :nope: 10:30"), "{out}");
        assert!(out.contains(r#"href="https://x.example/:blobcat:" title=":blobcat:""#));
        assert!(!out.contains("javascript"));
        assert_eq!(emojify(html, &[]), html);
    }

    #[test]
    fn names_are_escaped_before_emoji_go_in() {
        let out = emojify_text("<b>Bob</b> :blobcat:", &blob());
        assert!(
            out.starts_with("&lt;b&gt;Bob&lt;/b&gt; <img class=\"emoji\""),
            "{out}"
        );
        assert_eq!(emojify_text("a:b:c", &[]), "a:b:c");
    }
}
