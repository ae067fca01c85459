//! Link preview cards, the text side: which link in a post gets a card,
//! and what a fetched page says about itself (OpenGraph, Twitter cards,
//! then `<title>` and `<meta name="description">`).
//!
//! Pages come from anywhere and are often broken: the page reader is a
//! small forgiving scanner over a bounded prefix of the page, not a full
//! HTML parser. It looks only at `<meta>` and `<title>` before `</head>`
//! or `<body>`, skips comments, scripts and styles, and stops after
//! [`MAX_TAGS`] tags, so no page costs more than a bounded pass.

// Reads pages and remote HTML: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::links::safe_url;
use super::markup::{self, Token};

/// Tags looked at per page before giving up: real heads hold a few
/// hundred at most.
pub const MAX_TAGS: usize = 5_000;
/// Attributes read per tag.
pub const MAX_ATTRS: usize = 32;
/// Longest title kept, in characters (Mastodon's column holds 255).
pub const MAX_TITLE_CHARS: usize = 255;
/// Longest description kept, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// Longest other text (site, author, image description) kept.
pub const MAX_LABEL_CHARS: usize = 255;
/// Links looked at per post for the one that gets a card.
pub const MAX_LINKS_READ: usize = 100;

/// File endings of media: a link to a picture or a video gets no card.
const MEDIA_ENDINGS: &[&str] = &[
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".mp4", ".webm", ".mov", ".m4v",
    ".mp3", ".ogg", ".oga", ".opus", ".wav", ".flac", ".m4a", ".pdf",
];

/// The first link in a post's stored HTML that may get a card, through
/// the link gate, or `None`. As Mastodon chooses: mentions and hashtags
/// (`rel="tag"`, `class="u-url"`/`h-card`, or an address in `skip`, the
/// mentioned accounts' and attachments' addresses), links to this server
/// (`local_host`) and links to media files are passed over.
pub fn card_link(html: &str, skip: &[&str], local_host: &str) -> Option<String> {
    markup::tokens(html)
        .filter_map(|t| match t {
            Token::Start {
                name: "a", attrs, ..
            } => Some(attrs),
            _ => None,
        })
        .take(MAX_LINKS_READ)
        .find_map(|attrs| {
            let rel = markup::attr(attrs, "rel").unwrap_or_default();
            let class = markup::attr(attrs, "class").unwrap_or_default();
            if rel.split_ascii_whitespace().any(|r| r == "tag")
                || class
                    .split_ascii_whitespace()
                    .any(|c| matches!(c, "u-url" | "h-card" | "mention"))
            {
                return None;
            }
            let href = markup::attr(attrs, "href")?;
            if skip.contains(&href.as_str()) {
                return None;
            }
            let url = safe_url(&href)?;
            let parsed = url::Url::parse(&url).ok()?;
            let host = crate::host::of_url(&url)?;
            let path = parsed.path().to_ascii_lowercase();
            if host == local_host || MEDIA_ENDINGS.iter().any(|e| path.ends_with(e)) {
                return None;
            }
            Some(url)
        })
}

/// What a page says about itself, each field cut to its bound; addresses
/// already resolved against the page and passed through the link gate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    pub image: Option<String>,
    pub image_description: String,
    pub image_width: u32,
    pub image_height: u32,
    pub site_name: String,
    pub author_name: String,
    /// `og:url`, when it is on the page's own host.
    pub canonical_url: Option<String>,
    pub kind: String,
    pub language: Option<String>,
    pub published: Option<String>,
}

/// Reads the head of `html`, fetched from `page_url`. `None` when the page
/// has no title to show (Mastodon makes no card then either).
pub fn parse_page(html: &str, page_url: &url::Url) -> Option<PageMeta> {
    let mut metas: Vec<(String, String)> = Vec::new();
    let mut title: Option<String> = None;
    let mut lang: Option<String> = None;
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    for _ in 0..MAX_TAGS {
        let Some(start) = lower.get(pos..).and_then(|r| r.find('<')).map(|i| pos + i) else {
            break;
        };
        let rest = lower.get(start..).unwrap_or_default();
        if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(end) => pos = start + end + 3,
                None => break,
            }
            continue;
        }
        let Some(end) = tag_end(rest) else {
            break;
        };
        let inner = html.get(start + 1..start + end).unwrap_or_default();
        pos = start + end + 1;
        let name_len = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(inner.len());
        let (name, attrs) = inner.split_at_checked(name_len).unwrap_or((inner, ""));
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "/head" | "body" => break,
            "html" => {
                if let Some(l) = attr_of(attrs, "lang") {
                    lang = Some(l);
                }
            }
            "meta" => {
                let key = attr_of(attrs, "property").or_else(|| attr_of(attrs, "name"));
                if let (Some(key), Some(content)) = (key, attr_of(attrs, "content")) {
                    metas.push((key.to_ascii_lowercase(), content));
                }
            }
            "title" if title.is_none() => {
                let text_end = lower
                    .get(pos..)
                    .and_then(|r| r.find("</title"))
                    .map_or(html.len(), |i| pos + i);
                title = html.get(pos..text_end).map(markup::unescape);
                pos = text_end;
            }
            "script" | "style" | "noscript" | "template" => {
                // Raw text: a `<meta` inside a script is not a tag.
                let close = format!("</{name}");
                match lower.get(pos..).and_then(|r| r.find(&close)) {
                    Some(i) => pos += i,
                    None => break,
                }
            }
            _ => {}
        }
    }
    let meta = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            metas
                .iter()
                .find(|(mk, v)| mk == k && !v.trim().is_empty())
                .map(|(_, v)| v.as_str())
        })
    };
    let title = meta(&["og:title", "twitter:title"])
        .map(str::to_string)
        .or(title)
        .map(|t| one_line(&t, MAX_TITLE_CHARS))
        .filter(|t| !t.is_empty())?;
    let address = |raw: &str| {
        page_url
            .join(raw.trim())
            .ok()
            .and_then(|u| safe_url(u.as_str()))
    };
    let number = |keys: &[&str]| {
        meta(keys)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    let page_host = crate::host::of_url(page_url.as_str());
    Some(PageMeta {
        title,
        description: one_line(
            meta(&["og:description", "twitter:description", "description"]).unwrap_or_default(),
            MAX_DESCRIPTION_CHARS,
        ),
        image: meta(&[
            "og:image",
            "og:image:url",
            "og:image:secure_url",
            "twitter:image",
            "twitter:image:src",
        ])
        .and_then(address),
        image_description: one_line(
            meta(&["og:image:alt", "twitter:image:alt"]).unwrap_or_default(),
            MAX_LABEL_CHARS,
        ),
        image_width: number(&["og:image:width"]),
        image_height: number(&["og:image:height"]),
        site_name: one_line(meta(&["og:site_name"]).unwrap_or_default(), MAX_LABEL_CHARS),
        author_name: one_line(
            meta(&["author", "article:author", "twitter:creator"]).unwrap_or_default(),
            MAX_LABEL_CHARS,
        ),
        canonical_url: meta(&["og:url"])
            .and_then(address)
            .filter(|u| crate::host::of_url(u) == page_host),
        kind: one_line(meta(&["og:type"]).unwrap_or_default(), MAX_LABEL_CHARS),
        language: meta(&["og:locale"])
            .map(str::to_string)
            .or(lang)
            .and_then(|l| language_code(&l)),
        published: meta(&["article:published_time"]).map(|p| one_line(p, MAX_LABEL_CHARS)),
    })
}

/// Where the tag starting `s` (at its `<`) ends: the index of its `>`
/// outside quotes.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in the attribute source of a tag as
/// pages write them: double, single or no quotes, any case, references
/// decoded.
fn attr_of(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    for _ in 0..MAX_ATTRS {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let key_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at_checked(key_len).unwrap_or((rest, ""));
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('=') {
            Some(v) => {
                let v = v.trim_start();
                match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let body = v.get(1..).unwrap_or_default();
                        body.split_once(q).unwrap_or((body, ""))
                    }
                    _ => {
                        let end = v.find(|c: char| c.is_ascii_whitespace()).unwrap_or(v.len());
                        v.split_at_checked(end).unwrap_or((v, ""))
                    }
                }
            }
            None => ("", after),
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(markup::unescape(value));
        }
        if tail.len() >= rest.len() {
            return None;
        }
        rest = tail;
    }
    None
}

/// Text on one line (runs of blanks made one space, control characters
/// dropped), cut to `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, word) in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= max {
            break;
        }
    }
    out.chars().take(max).collect()
}

/// `en_GB`, `en-gb`, `EN` → `en`; anything that isn't two or three
/// letters is no language.
fn language_code(raw: &str) -> Option<String> {
    let code = raw
        .trim()
        .split(['_', '-'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ((2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Option<PageMeta> {
        parse_page(html, &url::Url::parse("https://news.example/a/b").unwrap())
    }

    #[test]
    fn opengraph_wins_then_twitter_then_title() {
        let m = page(concat!(
            "<!doctype html><html lang=en-GB><head><title>Plain &amp; simple</title>",
            "<meta name=description content='The fallback'>",
            "<meta property=\"og:title\" content=\"OG title\">",
            "<META PROPERTY='og:image' CONTENT='/img/a.png'>",
            "<meta property=og:site_name content=News>",
            "<meta property=\"og:url\" content=\"https://elsewhere.example/x\">",
            "</head><body><meta property=og:description content=late></body>"
        ))
        .unwrap();
        assert_eq!(m.title, "OG title");
        assert_eq!(m.description, "The fallback");
        assert_eq!(m.image.as_deref(), Some("https://news.example/img/a.png"));
        assert_eq!(m.site_name, "News");
        assert_eq!(m.canonical_url, None);
        assert_eq!(m.language.as_deref(), Some("en"));
        let t = page("<title>\n  Plain &amp;\n simple </title>").unwrap();
        assert_eq!(t.title, "Plain & simple");
        let tw = page("<meta name=twitter:title content=Tweety><meta name=twitter:image content=https://i.example/t.jpg>").unwrap();
        assert_eq!(tw.title, "Tweety");
        assert_eq!(tw.image.as_deref(), Some("https://i.example/t.jpg"));
    }

    #[test]
    fn hostile_pages_give_no_card_or_a_safe_one() {
        assert_eq!(page(""), None);
        assert_eq!(page("<html><body><h1>no head</h1></body>"), None);
        assert_eq!(page("<title"), None);
        assert_eq!(page("<!-- <title>hidden</title>"), None);
        assert_eq!(page("<script>'<title>in script</title>'</script>"), None);
        let m = page("<meta property=og:title content=x><meta property=og:image content='javascript:alert(1)'>").unwrap();
        assert_eq!(m.image, None);
        let m = page("<meta property=og:title content=x><meta property=og:image content=' data:text/html,x'>").unwrap();
        assert_eq!(m.image, None);
        let long = format!("<title>{}</title>", "é".repeat(10_000));
        assert_eq!(page(&long).unwrap().title.chars().count(), MAX_TITLE_CHARS);
        // Broken tags, stray quotes, multi-byte text everywhere.
        for junk in [
            "<title>ok</title><meta content=\"unterminated",
            "<<<<>>>><title>ok</title><meta property='og:title",
            "<title>ok</title><meta \u{e9}=\u{e9} property=og:title content=\u{1f980}>",
            "<title>ok</title><meta/property=og:type/content=x>",
        ] {
            assert!(page(junk).is_some(), "{junk}");
        }
        let many = "<p>".repeat(MAX_TAGS + 10) + "<title>late</title>";
        assert_eq!(page(&many), None);
    }

    #[test]
    fn the_first_plain_link_gets_the_card() {
        let html = concat!(
            "<p><span class=\"h-card\"><a href=\"https://r.example/@bob\" class=\"u-url mention\">@bob</a></span> ",
            "<a href=\"https://me.example/tags/x\" class=\"mention hashtag\" rel=\"tag\">#x</a> ",
            "<a href=\"https://me.example/@alice/1\">mine</a> ",
            "<a href=\"https://r.example/users/carol\">carol</a> ",
            "<a href=\"https://pics.example/cat.JPG\">pic</a> ",
            "<a href=\"javascript:alert(1)\">x</a> ",
            "<a href=\"https://news.example/story\" rel=\"nofollow noopener\">story</a></p>"
        );
        assert_eq!(
            card_link(html, &["https://r.example/users/carol"], "me.example").as_deref(),
            Some("https://news.example/story")
        );
        assert_eq!(card_link("<p>no links</p>", &[], "me.example"), None);
    }
}
