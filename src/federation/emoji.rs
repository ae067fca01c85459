//! Custom emoji from peers: `Emoji` tags in notes and actors, in the
//! shapes Mastodon, Pleroma/Akkoma and Misskey write them:
//!
//! ```json
//! {"type": "Emoji", "name": ":blobcat:", "updated": "…",
//!  "icon": {"type": "Image", "mediaType": "image/png", "url": "https://…"}}
//! ```
//!
//! Only the shortcode and the image address are kept; the image is never
//! downloaded. An object may carry any number of tags, so the count kept
//! is bounded, shortcodes follow Mastodon's pattern and the address must
//! pass the link gate.

// Tags come from any server: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use crate::content::links::safe_url;
use crate::store::emojis::CustomEmoji;
use serde_json::Value;

/// Emoji kept per status or account. Mastodon keeps at most this many
/// per object too; a real post names a handful.
pub const MAX_EMOJIS: usize = 100;
/// Tags looked at per object, emoji or not: the inbox bounds the body,
/// this bounds the work on a body made of nothing but tags.
pub const MAX_TAGS_READ: usize = 1_000;
/// Longest shortcode kept. Mastodon's pattern has no upper bound; real
/// ones are short, and the bound keeps one tag from filling a record.
pub const MAX_SHORTCODE_BYTES: usize = 64;
/// Shortest shortcode, as Mastodon's `[a-zA-Z0-9_]{2,}`.
const MIN_SHORTCODE_BYTES: usize = 2;

/// The custom emoji among an object's `tag` value (a list or one object).
pub fn parse_emojis(tags: Option<&Value>) -> Vec<CustomEmoji> {
    let list: Vec<&Value> = match tags {
        Some(Value::Array(a)) => a.iter().take(MAX_TAGS_READ).collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return Vec::new(),
    };
    let mut out: Vec<CustomEmoji> = Vec::new();
    for t in list {
        if out.len() >= MAX_EMOJIS {
            break;
        }
        let Some(e) = parse_one(t) else {
            continue;
        };
        if !out.iter().any(|o| o.shortcode == e.shortcode) {
            out.push(e);
        }
    }
    out
}

fn parse_one(t: &Value) -> Option<CustomEmoji> {
    if t.get("type").and_then(Value::as_str) != Some("Emoji") {
        return None;
    }
    let name = t.get("name").and_then(Value::as_str)?;
    let shortcode = name.strip_prefix(':').unwrap_or(name);
    let shortcode = shortcode.strip_suffix(':').unwrap_or(shortcode);
    if !valid_shortcode(shortcode) {
        return None;
    }
    let icon = t.get("icon")?;
    // An icon that says what it is must say it is an image.
    let declared = icon.get("mediaType").and_then(Value::as_str);
    if declared.is_some_and(|m| !m.starts_with("image/")) {
        return None;
    }
    let url = image_url(Some(icon))?;
    Some(CustomEmoji {
        shortcode: shortcode.to_string(),
        static_url: url.clone(),
        url,
    })
}

/// Mastodon's shortcode pattern, `[a-zA-Z0-9_]{2,}`, with a length bound.
pub fn valid_shortcode(s: &str) -> bool {
    (MIN_SHORTCODE_BYTES..=MAX_SHORTCODE_BYTES).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The first address that passes the link gate in an image value as
/// peers write it: a string, an `Image`/`Link` object (`url` or `href`,
/// possibly nested once more), or a list of these. For emoji icons and
/// the still images of video and audio attachments.
pub fn image_url(v: Option<&Value>) -> Option<String> {
    image_url_at(v?, 0)
}

/// How deep an image value is followed (`icon` → `url` → `href`).
const MAX_IMAGE_DEPTH: usize = 3;

fn image_url_at(v: &Value, depth: usize) -> Option<String> {
    if depth > MAX_IMAGE_DEPTH {
        return None;
    }
    match v {
        Value::String(s) => safe_url(s),
        Value::Array(a) => a
            .iter()
            .take(MAX_EMOJIS)
            .find_map(|x| image_url_at(x, depth + 1)),
        Value::Object(o) => o
            .get("url")
            .and_then(|u| image_url_at(u, depth + 1))
            .or_else(|| o.get("href").and_then(|u| image_url_at(u, depth + 1))),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shapes_servers_write_are_read() {
        let tags = json!([
            { "type": "Emoji", "name": ":blobcat:", "updated": "2020-01-01T00:00:00Z",
              "icon": { "type": "Image", "mediaType": "image/png", "url": "https://m.example/e/blobcat.png" } },
            { "id": "https://mk.example/emojis/neko", "type": "Emoji", "name": ":neko:",
              "icon": { "type": "Image", "url": "https://mk.example/files/neko.webp" } },
            { "type": "Emoji", "name": "bare_name", "icon": "https://p.example/bare.png" },
            { "type": "Mention", "name": "@a", "href": "https://m.example/users/a" },
        ]);
        let e = parse_emojis(Some(&tags));
        let codes: Vec<&str> = e.iter().map(|e| e.shortcode.as_str()).collect();
        assert_eq!(codes, ["blobcat", "neko", "bare_name"]);
        assert_eq!(e[0].url, "https://m.example/e/blobcat.png");
        assert_eq!(e[0].static_url, e[0].url);
    }

    #[test]
    fn hostile_emoji_are_refused_or_bounded() {
        let bad = json!([
            { "type": "Emoji", "name": ":x:", "icon": { "url": "https://e.example/x.png" } },
            { "type": "Emoji", "name": ":evil:", "icon": { "url": "javascript:alert(1)" } },
            { "type": "Emoji", "name": ":has space:", "icon": { "url": "https://e.example/a.png" } },
            { "type": "Emoji", "name": ":<b>:", "icon": { "url": "https://e.example/a.png" } },
            { "type": "Emoji", "name": format!(":{}:", "a".repeat(65)), "icon": { "url": "https://e.example/a.png" } },
            { "type": "Emoji", "name": ":page:", "icon": { "mediaType": "text/html", "url": "https://e.example/a.html" } },
            { "type": "Emoji", "name": ":deep:", "icon": [[[[[["https://e.example/a.png"]]]]]] },
            { "type": "Emoji", "name": 7, "icon": "https://e.example/a.png" },
        ]);
        assert!(parse_emojis(Some(&bad)).is_empty());
        let many: Vec<Value> = (0..10_000)
            .map(|i| json!({ "type": "Emoji", "name": format!(":e{i}:"), "icon": { "url": format!("https://e.example/{i}.png") } }))
            .collect();
        assert_eq!(parse_emojis(Some(&Value::Array(many))).len(), MAX_EMOJIS);
        let same: Vec<Value> = (0..5)
            .map(|_| json!({ "type": "Emoji", "name": ":dup:", "icon": "https://e.example/d.png" }))
            .collect();
        assert_eq!(parse_emojis(Some(&Value::Array(same))).len(), 1);
    }
}
