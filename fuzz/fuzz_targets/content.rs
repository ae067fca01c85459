//! Text people read: remote HTML through the sanitiser (and back to plain
//! text), and the owner's text through the renderer.
//!
//! Beyond "never panics", two rules are checked on every input: every
//! `href` either output carries has a scheme from the link allowlist, and
//! sanitising the sanitiser's own output changes nothing.
#![no_main]

use burrow::content::links::LINK_SCHEMES;
use burrow::content::{
    extract_mentions, html_to_text, plain_name, render, sanitize, MentionRef, MentionResolver,
};
use libfuzzer_sys::fuzz_target;

/// Knows one local and one remote account, as the store would.
struct Known;

impl MentionResolver for Known {
    fn resolve(&self, acct: &str) -> Option<MentionRef> {
        let (uri, url) = match acct.to_ascii_lowercase().as_str() {
            "alice" => (
                "https://burrow.example/users/alice",
                "https://burrow.example/@alice",
            ),
            "bob@peer.example" => (
                "https://peer.example/users/bob",
                "https://peer.example/@bob",
            ),
            _ => return None,
        };
        Some(MentionRef {
            acct: acct.to_string(),
            uri: uri.into(),
            url: url.into(),
        })
    }

    fn tag_url(&self, tag: &str) -> String {
        format!("https://burrow.example/tags/{tag}")
    }
}

/// Every `href` value in the tags of `html`, with the escapes our
/// writers use undone. Text never holds a raw `<` (both writers escape
/// it), so every `<` opens a tag; a tag ends at the first `>` outside
/// double quotes, and between its quotes are attribute values.
fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some((_, after)) = rest.split_once('<') {
        let mut quoted = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(after.len(), |(i, _)| i);
        let tag = after.get(..end).unwrap_or(after);
        let parts: Vec<&str> = tag.split('"').collect();
        for pair in parts.chunks(2) {
            if let [outside, value] = pair {
                if outside.ends_with(" href=") {
                    out.push(
                        value
                            .replace("&quot;", "\"")
                            .replace("&#39;", "'")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&"),
                    );
                }
            }
        }
        rest = after.get(end..).unwrap_or("");
    }
    out
}

fn assert_links_allowed(html: &str, from: &str) {
    for href in hrefs(html) {
        let scheme = url::Url::parse(&href).map(|u| u.scheme().to_string());
        assert!(
            scheme.as_deref().is_ok_and(|s| LINK_SCHEMES.contains(&s)),
            "{from} wrote href `{href}` in {html:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let clean = sanitize(&text);
    assert_links_allowed(&clean, "sanitize");
    assert_eq!(sanitize(&clean), clean, "sanitising twice changed {text:?}");
    let _ = html_to_text(&text);
    let _ = plain_name(&text);
    let rendered = render(&text, &Known);
    assert_links_allowed(&rendered.html, "render");
    let _ = extract_mentions(&text);
});
