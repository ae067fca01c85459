//! An X/Twitter archive: `data/tweets.js` holds
//! `window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]`, and each tweet's
//! images are `data/tweets_media/<tweet id>-<file name>`.
//!
//! Replies to the owner's own tweets become threads; replies to others
//! and retweets are left out and counted. `t.co` links are put back to
//! the addresses they stand for; @mentions stay plain text (they name
//! Twitter users, not fediverse accounts). Every post is public.

use super::{Archive, MediaRef, Parsed, Post, MAX_JSON_BYTES, MAX_POSTS};
use crate::store::statuses::Visibility;
use serde_json::Value;
use std::collections::HashSet;

pub const TWEETS: &str = "data/tweets.js";
const MEDIA_DIR: &str = "data/tweets_media/";

/// Reads the owner's tweets from the archive.
pub fn parse(archive: &mut Archive) -> Result<Parsed, String> {
    let bytes = archive.read(TWEETS, MAX_JSON_BYTES)?;
    parse_tweets(&bytes)
}

pub fn parse_tweets(bytes: &[u8]) -> Result<Parsed, String> {
    // The file is JavaScript: an assignment whose right side is JSON.
    let json = match bytes.iter().position(|b| *b == b'=') {
        Some(at) => bytes.get(at + 1..).unwrap_or_default(),
        None => bytes,
    };
    let doc: Value = serde_json::from_slice(json)
        .map_err(|e| format!("{TWEETS} does not hold a JSON list: {e}"))?;
    let items = doc
        .as_array()
        .ok_or_else(|| format!("{TWEETS} does not hold a JSON list"))?;
    let tweets: Vec<&Value> = items
        .iter()
        .take(MAX_POSTS)
        .map(|i| i.get("tweet").unwrap_or(i))
        .collect();
    let ids: HashSet<&str> = tweets
        .iter()
        .filter_map(|t| t.get("id_str").and_then(Value::as_str))
        .collect();
    let mut parsed = Parsed::default();
    for t in tweets {
        match post_of(t, &ids) {
            Ok(p) => parsed.posts.push(p),
            Err(why) => parsed.skip(why),
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

fn str_at<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn list_at<'a>(v: &'a Value, outer: &str, inner: &str) -> &'a [Value] {
    v.get(outer)
        .and_then(|e| e.get(inner))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn post_of(t: &Value, ids: &HashSet<&str>) -> Result<Post, &'static str> {
    let id = str_at(t, "id_str").ok_or("a tweet without an id")?;
    let text = str_at(t, "full_text")
        .or_else(|| str_at(t, "text"))
        .unwrap_or("");
    if text.starts_with("RT @") {
        return Err("a retweet");
    }
    let reply_to = match str_at(t, "in_reply_to_status_id_str") {
        Some(parent) if ids.contains(parent) => Some(parent.to_string()),
        Some(_) => return Err("a reply to someone else"),
        None => None,
    };
    let created_ms = str_at(t, "created_at")
        .and_then(parse_date)
        .ok_or("a tweet without a readable date")?;
    let mut text = unescape(text);
    for u in list_at(t, "entities", "urls") {
        if let (Some(short), Some(long)) = (str_at(u, "url"), str_at(u, "expanded_url")) {
            if !short.is_empty() {
                text = text.replace(short, long);
            }
        }
    }
    let media_list = list_at(t, "extended_entities", "media");
    let media_list = if media_list.is_empty() {
        list_at(t, "entities", "media")
    } else {
        media_list
    };
    let mut media = Vec::new();
    for m in media_list {
        // The link to the photo page stands in the text for the images.
        if let Some(short) = str_at(m, "url").filter(|s| !s.is_empty()) {
            text = text.replace(short, "");
        }
        let Some(name) = str_at(m, "media_url_https")
            .or_else(|| str_at(m, "media_url"))
            .and_then(|u| u.rsplit('/').next())
        else {
            continue;
        };
        media.push(MediaRef {
            path: format!("{MEDIA_DIR}{id}-{name}"),
            alt: str_at(m, "ext_alt_text").unwrap_or("").to_string(),
        });
    }
    Ok(Post {
        source_id: id.to_string(),
        created_ms,
        text: text.trim().to_string(),
        visibility: Visibility::Public,
        reply_to,
        media,
        ..Default::default()
    })
}

/// Twitter escapes these three in tweet text, and only these.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `Wed Oct 10 20:19:24 +0000 2018`, in Unix milliseconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute] [year]"
    );
    let t = time::OffsetDateTime::parse(s, format).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_twitter_writes_them() {
        assert_eq!(
            parse_date("Wed Oct 10 20:19:24 +0000 2018"),
            Some(1_539_202_764_000)
        );
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn threads_kept_replies_and_retweets_counted() {
        let js = r#"window.YTD.tweets.part0 = [
          {"tweet": {"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "full_text": "a &amp; b https://t.co/x #tag",
            "entities": {"urls": [{"url": "https://t.co/x", "expanded_url": "https://example.com/long"}]}}},
          {"tweet": {"id_str": "2", "created_at": "Wed Oct 10 20:20:24 +0000 2018",
            "full_text": "more", "in_reply_to_status_id_str": "1"}},
          {"tweet": {"id_str": "3", "created_at": "Wed Oct 10 20:21:24 +0000 2018",
            "full_text": "@x hi", "in_reply_to_status_id_str": "99"}},
          {"tweet": {"id_str": "4", "created_at": "Wed Oct 10 20:21:24 +0000 2018",
            "full_text": "RT @x: hi"}},
          {"tweet": {"id_str": "5", "created_at": "never", "full_text": "x"}}
        ]"#;
        let p = parse_tweets(js.as_bytes()).unwrap();
        assert_eq!(p.posts.len(), 2);
        assert_eq!(p.posts[0].text, "a & b https://example.com/long #tag");
        assert_eq!(p.posts[1].reply_to.as_deref(), Some("1"));
        assert_eq!(p.skipped.values().sum::<usize>(), 3);
        assert!(parse_tweets(b"window.x = [").is_err());
        assert!(parse_tweets(b"").is_err());
    }
}
