//! Mastodon's "Request your archive" export: `outbox.json` is an
//! OrderedCollection of the owner's `Create` activities (with their
//! Notes) and `Announce`s (boosts); media sit under `media_attachments/`
//! at the path of each attachment's `url`.

use super::{Archive, MediaRef, Parsed, Post, MAX_JSON_BYTES, MAX_POSTS};
use crate::store::statuses::Visibility;
use serde_json::Value;

pub const OUTBOX: &str = "outbox.json";
const PUBLIC: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// Reads the owner's posts from the archive's outbox.
pub fn parse(archive: &mut Archive) -> Result<Parsed, String> {
    let bytes = archive.read(OUTBOX, MAX_JSON_BYTES)?;
    parse_outbox(&bytes)
}

pub fn parse_outbox(bytes: &[u8]) -> Result<Parsed, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{OUTBOX} is not valid JSON: {e}"))?;
    let items = doc
        .get("orderedItems")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{OUTBOX} has no orderedItems list"))?;
    let mut parsed = Parsed::default();
    for item in items.iter().take(MAX_POSTS) {
        match item.get("type").and_then(Value::as_str) {
            Some("Create") => match post_of(item.get("object")) {
                Ok(p) => parsed.posts.push(p),
                Err(why) => parsed.skip(why),
            },
            Some("Announce") => parsed.skip("a boost of someone else's post"),
            _ => parsed.skip("not a post"),
        }
    }
    if items.len() > MAX_POSTS {
        parsed.skipped.insert(
            format!("beyond the first {MAX_POSTS}"),
            items.len() - MAX_POSTS,
        );
    }
    Ok(parsed)
}

fn post_of(object: Option<&Value>) -> Result<Post, &'static str> {
    let o = object.ok_or("a Create without an object")?;
    if o.get("type").and_then(Value::as_str) != Some("Note") {
        return Err("not a Note (polls and others are not imported)");
    }
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .ok_or("a Note without an id")?;
    let created_ms = o
        .get("published")
        .and_then(Value::as_str)
        .and_then(crate::time_fmt::parse_rfc3339_ms)
        .ok_or("a Note without a readable date")?;
    let content = o.get("content").and_then(Value::as_str).unwrap_or("");
    let media = o
        .get("attachment")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(media_of).collect())
        .unwrap_or_default();
    Ok(Post {
        source_id: id.to_string(),
        created_ms,
        text: crate::content::html_to_text(content),
        spoiler_text: o
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        sensitive: o.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        visibility: visibility_of(o),
        reply_to: o
            .get("inReplyTo")
            .and_then(Value::as_str)
            .map(str::to_string),
        media,
    })
}

fn media_of(a: &Value) -> Option<MediaRef> {
    let url = a.get("url").and_then(Value::as_str)?;
    Some(MediaRef {
        path: url.trim_start_matches('/').to_string(),
        alt: a
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

/// Mastodon's addressing read back: public in `to` is public, in `cc`
/// unlisted, followers only is private, anything else direct.
fn visibility_of(o: &Value) -> Visibility {
    let list = |k: &str| -> Vec<String> {
        match o.get(k) {
            Some(Value::Array(v)) => v
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let (to, cc) = (list("to"), list("cc"));
    let public = |v: &[String]| v.iter().any(|a| PUBLIC.contains(&a.as_str()));
    if public(&to) {
        Visibility::Public
    } else if public(&cc) {
        Visibility::Unlisted
    } else if to.iter().chain(&cc).any(|a| a.ends_with("/followers")) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_posts_and_counts_boosts_and_broken_items() {
        let doc = serde_json::json!({"orderedItems": [
            {"type": "Create", "object": {"type": "Note", "id": "https://old/1",
              "published": "2019-01-02T03:04:05Z", "content": "<p>hi #tag</p>",
              "to": ["https://old/users/me/followers"], "cc": [],
              "attachment": [{"url": "/media_attachments/a.png", "name": "alt"}]}},
            {"type": "Announce", "object": "https://else/1"},
            {"type": "Create", "object": {"type": "Note"}},
            {"type": "Create"},
            7
        ]});
        let p = parse_outbox(doc.to_string().as_bytes()).unwrap();
        assert_eq!(p.posts.len(), 1);
        let post = &p.posts[0];
        assert_eq!(post.visibility, Visibility::Private);
        assert_eq!(post.media[0].path, "media_attachments/a.png");
        assert_eq!(p.skipped.values().sum::<usize>(), 4);
        assert!(parse_outbox(b"{not json").is_err());
        assert!(parse_outbox(b"[]").is_err());
    }
}
