//! Remote HTML reduced to what Mastodon lets through, and plain-text
//! views of HTML and of remote names.
//!
//! The allowlist follows Mastodon's `MASTODON_STRICT` sanitiser: a few
//! inline and block elements, classes on `a`/`span` only when they carry
//! microformats or Mastodon's own link formatting, links only with the
//! schemes Mastodon accepts, and every link opened in a new tab without
//! passing on a referrer-trusting `window.opener`. Headings become bold
//! paragraphs, as Mastodon renders them. Links whose address is missing or
//! unacceptable are replaced by their text, also as Mastodon does.

// Reads remote HTML: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::links::{self, LINK_SCHEMES};
use super::markup::{self, Token};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Remote HTML beyond this is cut before parsing. Mastodon caps a remote
/// bio at 20 KB and real posts are far smaller; the bound keeps a hostile
/// peer from making us parse megabytes on a Pi.
pub const MAX_REMOTE_HTML_BYTES: usize = 256 * 1024;

/// Remote HTML is cut where its elements would nest deeper than this.
/// The HTML parser checks the stack of open elements at every tag, so
/// parsing a deep stack costs its depth at every tag: 80,000 nested
/// `<div>` (what fits in [`MAX_REMOTE_HTML_BYTES`]) took over a minute.
/// Real posts nest a handful of levels (quotes in lists in quotes).
pub const MAX_HTML_NESTING: usize = 100;

/// Elements that never hold content, so never deepen the nesting.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// A remote display name (or any other one-line plain-text label) longer
/// than this is cut. Mastodon's own limit for local names is 30; its
/// 2048-character "hard limit" only protects its database. Nothing longer
/// than this fits a layout, and longer names are almost always spam.
pub const MAX_NAME_CHARS: usize = 100;

/// The `rel` every link gets: no ranking credit for remote links and no
/// `window.opener` for the page opened.
pub const LINK_REL: &str = "nofollow noopener";

const ELEMENTS: &[&str] = &[
    "p",
    "br",
    "span",
    "a",
    "del",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
];

/// Kept through ammonia, then rewritten to `<p><strong>`.
const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

fn builder() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::empty();
        b.tags(ELEMENTS.iter().chain(HEADINGS).copied().collect())
            .clean_content_tags(
                [
                    "script", "style", "template", "noscript", "iframe", "object",
                ]
                .into_iter()
                .collect(),
            )
            .tag_attributes(HashMap::from([
                ("a", HashSet::from(["href", "class", "translate"])),
                ("span", HashSet::from(["class", "translate"])),
            ]))
            .url_schemes(LINK_SCHEMES.iter().copied().collect())
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some(LINK_REL))
            .set_tag_attribute_value("a", "target", "_blank")
            .strip_comments(true)
            .attribute_filter(filter_attribute);
        b
    })
}

fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value
                .split_ascii_whitespace()
                .filter(|c| allowed_class(c))
                .collect();
            if kept.is_empty() {
                None
            } else {
                Some(Cow::Owned(kept.join(" ")))
            }
        }
        // Only the one value Mastodon writes ("do not machine-translate
        // this name or address") means anything.
        "translate" => (value == "no").then_some(Cow::Borrowed(value)),
        // Ammonia checks the scheme too; asking the gate keeps one rule
        // (and its length bound) for every link in text.
        "href" if element == "a" => links::text_link_allowed(value).then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Microformats classes (`h-card`, `u-url`…) and Mastodon's semantic and
/// link-formatting classes; anything else could restyle the page.
fn allowed_class(c: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"]
        .iter()
        .any(|p| c.starts_with(p) && c.len() > p.len())
        || matches!(c, "mention" | "hashtag" | "ellipsis" | "invisible")
}

/// Remote HTML (a post, a bio, a profile field) made safe to store and show.
pub fn sanitize(html: &str) -> String {
    let input = cut_at_nesting(super::truncate_bytes(html, MAX_REMOTE_HTML_BYTES));
    let cleaned = builder().clean(input).to_string();
    let (out, renamed_heading) = rewrite(&cleaned);
    if renamed_heading {
        // A heading may hold a block (`<h3><ul>`), which inside the `<p>`
        // it became is not allowed, so the next parse (a browser's, or
        // ours on the stored text) would move it. Parsing once more
        // settles the tree: what is stored is what every reader sees.
        builder().clean(&out).to_string()
    } else {
        out
    }
}

/// `html` up to the start tag that would open more than
/// [`MAX_HTML_NESTING`] elements at once. Nesting is followed as the
/// parser roughly does: an end tag closes back to the innermost open
/// element of its name and is ignored when none is open, so stray end
/// tags can't hide depth. Unclosed elements the parser would close on its
/// own (`<p>` before `<div>`) count as open, so the estimate errs deep.
fn cut_at_nesting(html: &str) -> &str {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some((_, after)) = rest.split_once('<') {
        let tag_start = html.len() - after.len() - 1;
        let (closing, body) = match after.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        let name = body.get(..name_len).unwrap_or_default();
        rest = after;
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if closing {
            if let Some(i) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                open.truncate(i);
            }
        } else if !VOID_ELEMENTS.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            if open.len() >= MAX_HTML_NESTING {
                return html.get(..tag_start).unwrap_or_default();
            }
            open.push(name);
        }
    }
    html
}

/// Renames headings and unwraps links that lost their address; says
/// whether a heading was renamed.
fn rewrite(clean: &str) -> (String, bool) {
    let mut renamed_heading = false;
    let mut out = String::with_capacity(clean.len());
    // Whether each open `a` lost its address (and so its tags). Links do
    // nest: a table cell inside a link opens a new scope, and the table
    // itself is unwrapped. At most one entry per tag of the bounded input.
    let mut open_links: Vec<bool> = Vec::new();
    for t in markup::tokens(clean) {
        match t {
            Token::Text(s) => out.push_str(s),
            Token::Start { name, .. } if HEADINGS.contains(&name) => {
                renamed_heading = true;
                out.push_str("<p><strong>");
            }
            Token::End { name, .. } if HEADINGS.contains(&name) => out.push_str("</strong></p>"),
            Token::Start {
                name: "a",
                attrs,
                raw,
            } => {
                let unwrapped = markup::attr(attrs, "href").is_none();
                if !unwrapped {
                    out.push_str(raw);
                }
                open_links.push(unwrapped);
            }
            Token::End { name: "a", raw } => {
                if !open_links.pop().unwrap_or(false) {
                    out.push_str(raw);
                }
            }
            Token::Start { raw, .. } | Token::End { raw, .. } => out.push_str(raw),
        }
    }
    (out, renamed_heading)
}

/// HTML as plain text, for notification and push bodies and for search:
/// paragraphs become blank lines, `<br>` a newline, and links their full
/// address (the hidden parts of shortened links included).
pub fn html_to_text(html: &str) -> String {
    let clean = sanitize(html);
    let mut out = String::with_capacity(clean.len());
    let mut in_pre = 0usize;
    for t in markup::tokens(&clean) {
        match t {
            Token::Text(s) => {
                let text = markup::unescape(s);
                if in_pre > 0 {
                    out.push_str(&text);
                } else {
                    push_collapsed(&mut out, &text);
                }
            }
            Token::Start { name: "br", .. } => {
                trim_trailing_spaces(&mut out);
                out.push('\n');
            }
            Token::Start { name: "pre", .. } => {
                block_break(&mut out);
                in_pre += 1;
            }
            Token::Start { name, .. } if is_block(name) => block_break(&mut out),
            Token::Start { name: "li", .. } => line_break(&mut out),
            Token::End { name: "pre", .. } => {
                in_pre = in_pre.saturating_sub(1);
                block_break(&mut out);
            }
            Token::End { name, .. } if is_block(name) => block_break(&mut out),
            Token::End { name: "li", .. } => line_break(&mut out),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn is_block(name: &str) -> bool {
    matches!(name, "p" | "blockquote" | "ul" | "ol")
}

/// Appends text with runs of whitespace shown as one space, as a browser would.
fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            if !(out.is_empty() || out.ends_with([' ', '\n'])) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn trim_trailing_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

fn line_break(out: &mut String) {
    trim_trailing_spaces(out);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn block_break(out: &mut String) {
    trim_trailing_spaces(out);
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    if out.ends_with('\n') {
        out.push('\n');
    } else {
        out.push_str("\n\n");
    }
}

/// A remote display name (or other one-line label) as plain text: control
/// characters and line breaks become spaces, whitespace is collapsed and
/// trimmed, and the result is at most `MAX_NAME_CHARS` characters. The
/// caller escapes it wherever it goes into HTML.
pub fn plain_name(name: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in name.chars() {
        if count >= MAX_NAME_CHARS {
            break;
        }
        // Bidirectional overrides in a name can make the text around it
        // (a handle, a notification) read backwards.
        let blank = c.is_whitespace()
            || c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if blank {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
                count += 1;
            }
        } else {
            out.push(c);
            count += 1;
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ampersand_before_multi_byte_text_is_plain_text() {
        // Once a panic wherever a remote post became plain text
        // (notifications, push, filters, search).
        assert_eq!(html_to_text("&xxxxxx\u{e9}"), "&xxxxxx\u{e9}");
        assert_eq!(html_to_text("<p>a&\u{1f980};</p>"), "a&\u{1f980};");
    }

    #[test]
    fn nesting_is_cut_at_the_bound() {
        let at_bound = "<blockquote>".repeat(MAX_HTML_NESTING) + "in";
        assert_eq!(cut_at_nesting(&at_bound), at_bound);
        let past = at_bound.clone() + "<b>out";
        assert_eq!(cut_at_nesting(&past), at_bound);
        // Closed elements, void elements and stray end tags.
        let flat = "<p>a<br><img></p>".repeat(1000) + "</i></b>";
        assert_eq!(cut_at_nesting(&flat), flat);
        let hidden = "<div></i>".repeat(MAX_HTML_NESTING + 1);
        assert!(cut_at_nesting(&hidden).len() < hidden.len());
        for odd in ["<", "</", "<1>", "<\u{e9}>", "a < b", "<<<", "</\u{e9}"] {
            assert_eq!(cut_at_nesting(odd), odd);
        }
    }

    #[test]
    fn deep_nesting_is_bounded_in_time_and_stack() {
        for tag in ["div", "blockquote", "span", "b", "a", "li", "p"] {
            let deep = format!("<{tag}>").repeat(100_000) + "x";
            let started = std::time::Instant::now();
            let clean = sanitize(&deep);
            let text = html_to_text(&deep);
            assert!(clean.len() <= 2 * MAX_REMOTE_HTML_BYTES, "{tag}");
            assert!(text.contains('x') || text.is_empty(), "{tag}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{tag}: {:?}",
                started.elapsed()
            );
        }
    }

    #[test]
    fn mastodon_post_markup_survives_unchanged() {
        let html = r#"<p>Hi <span class="h-card" translate="no"><a href="https://x.example/@bob" class="u-url mention">@<span>bob</span></a></span> see <a href="https://example.com/page" translate="no" target="_blank" rel="nofollow noopener"><span class="invisible">https://</span><span class="">example.com/page</span><span class="invisible"></span></a> <a href="https://x.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a></p>"#;
        let out = sanitize(html);
        assert!(out.contains(r#"<span class="h-card" translate="no"><a href="https://x.example/@bob" class="u-url mention" target="_blank" rel="nofollow noopener">@<span>bob</span></a></span>"#), "{out}");
        assert!(
            out.contains(r#"<span class="invisible">https://</span>"#),
            "{out}"
        );
        assert!(out.contains(r#"class="mention hashtag""#), "{out}");
        assert!(out.starts_with("<p>") && out.ends_with("</p>"));
    }

    #[test]
    fn scripts_styles_and_handlers_are_removed() {
        let out = sanitize(
            r#"<p onclick="evil()" style="color:red">a<script>alert(1)</script><style>p{}</style>b<img src=x onerror=alert(1)><iframe src="https://e.example">x</iframe></p>"#,
        );
        assert_eq!(out, "<p>ab</p>");
    }

    #[test]
    fn bad_links_become_text() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java&#x09;script:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "/relative/path",
            "",
        ] {
            let out = sanitize(&format!(
                r#"<p><a href="{href}" class="mention">click</a></p>"#
            ));
            assert_eq!(out, "<p>click</p>", "{href}");
        }
        let out = sanitize(r#"<a>no href</a>"#);
        assert_eq!(out, "no href");
    }

    #[test]
    fn allowed_schemes_are_kept() {
        for href in [
            "https://a.example/",
            "http://a.example/",
            "gemini://a.example/",
            "xmpp:me@a.example",
            "magnet:?xt=urn:btih:abc",
            "ipfs://Qm",
        ] {
            let out = sanitize(&format!(r#"<a href="{href}">x</a>"#));
            assert!(out.contains("href="), "{href}: {out}");
            assert!(out.contains(r#"rel="nofollow noopener""#), "{out}");
            assert!(out.contains(r#"target="_blank""#), "{out}");
        }
    }

    #[test]
    fn rel_and_target_are_ours_not_the_senders() {
        let out = sanitize(r#"<a href="https://a.example/" rel="me opener" target="_top">x</a>"#);
        assert_eq!(
            out,
            r#"<a href="https://a.example/" target="_blank" rel="nofollow noopener">x</a>"#
        );
    }

    #[test]
    fn classes_are_filtered() {
        let out = sanitize(
            r#"<span class="h-card evil u-photo mention big ellipsis invisible hashtag e-content dt-published p-name h-">x</span><p class="invisible">y</p>"#,
        );
        assert_eq!(
            out,
            r#"<span class="h-card u-photo mention ellipsis invisible hashtag e-content dt-published p-name">x</span><p>y</p>"#
        );
        assert_eq!(sanitize(r#"<span class="evil">x</span>"#), "<span>x</span>");
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        // A heading holding a block became `<p><strong><ul>`, which the
        // next parse reshapes; a link without its address, nested in
        // another through a table cell, left a stray `</a>` (both found by
        // the sanitiser's properties).
        for html in [
            "<h3><ul>",
            "<h1>a<blockquote>b</blockquote>c</h1>",
            "<h2><pre>x</pre></h2><p>y</p>",
            "<h4><p>z</p></h4>",
            "<h5><li>i</li></h5>",
            "<h1>plain</h1>",
            r#"<a href="javascript:x"><table><tr><td><a href="javascript:y">"#,
            r#"<a href="https://a.example/"><table><tr><td><a href="javascript:y">t</a>u"#,
            r#"<a href="javascript:x"><table><tr><td><a href="https://b.example/">t</a>u"#,
        ] {
            let once = sanitize(html);
            assert_eq!(sanitize(&once), once, "{html}");
        }
    }

    #[test]
    fn headings_become_bold_paragraphs() {
        assert_eq!(
            sanitize("<h1>Title</h1><h3 id=x>Sub</h3><p>body</p>"),
            "<p><strong>Title</strong></p><p><strong>Sub</strong></p><p>body</p>"
        );
    }

    #[test]
    fn allowed_formatting_is_kept_and_other_elements_unwrapped() {
        let html = "<p><strong>b</strong> <em>e</em> <b>b</b> <i>i</i> <u>u</u> <del>d</del> <code>c</code></p><pre><code>x &lt; y</code></pre><blockquote><p>q</p></blockquote><ul><li>1</li></ul><ol><li>2</li></ol>";
        assert_eq!(sanitize(html), html);
        assert_eq!(
            sanitize("<div><table><tr><td>cell</td></tr></table><marquee>m</marquee></div>"),
            "cellm"
        );
    }

    #[test]
    fn unclosed_and_misnested_tags_are_balanced() {
        assert_eq!(
            sanitize("<p><b>bold<i>both</b>ital"),
            "<p><b>bold<i>both</i></b><i>ital</i></p>"
        );
        assert_eq!(
            sanitize("<a href=\"https://a.example/\">x"),
            "<a href=\"https://a.example/\" target=\"_blank\" rel=\"nofollow noopener\">x</a>"
        );
        assert_eq!(sanitize("</p></p>text<"), "<p></p><p></p>text&lt;");
    }

    #[test]
    fn comments_and_cdata_are_gone() {
        assert_eq!(sanitize("a<!-- <script>x</script> -->b<![CDATA[c]]>"), "ab");
    }

    #[test]
    fn deep_nesting_and_huge_input_are_bounded() {
        // No stack overflow, and no tag left unbalanced.
        let deep = "<span><b>".repeat(20_000) + "x";
        let out = sanitize(&deep);
        assert_eq!(
            out.matches("<span>").count(),
            out.matches("</span>").count()
        );
        let huge = "<p>".to_string() + &"é".repeat(MAX_REMOTE_HTML_BYTES);
        let out = sanitize(&huge);
        assert!(out.len() <= MAX_REMOTE_HTML_BYTES + 16, "{}", out.len());
    }

    #[test]
    fn unicode_text_passes_through() {
        assert_eq!(sanitize("<p>日本語 🦀 ñ</p>"), "<p>日本語 🦀 ñ</p>");
    }

    #[test]
    fn text_view_of_html() {
        let html = r#"<p>Hello <a href="https://example.com/very/long/path/that/is/hidden" target="_blank" rel="nofollow noopener"><span class="invisible">https://</span><span class="ellipsis">example.com/very/long/path/tha</span><span class="invisible">t/is/hidden</span></a><br>second &amp; line</p><p>para   two<script>bad()</script></p><ul><li>one</li><li>two</li></ul>"#;
        assert_eq!(
            html_to_text(html),
            "Hello https://example.com/very/long/path/that/is/hidden\nsecond & line\n\npara two\n\none\ntwo"
        );
        assert_eq!(html_to_text("<pre>a\n  b</pre>"), "a\n  b");
        assert_eq!(html_to_text("plain &lt;b&gt;"), "plain <b>");
    }

    #[test]
    fn names_are_one_bounded_line() {
        assert_eq!(plain_name("  Bob\n\tSmith\u{0}  "), "Bob Smith");
        assert_eq!(plain_name("a\u{202e}b"), "a b");
        assert_eq!(plain_name("<b>x</b>"), "<b>x</b>");
        let long = "ж".repeat(500);
        assert_eq!(plain_name(&long).chars().count(), MAX_NAME_CHARS);
        assert_eq!(plain_name(""), "");
    }
}
