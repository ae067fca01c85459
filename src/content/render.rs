//! The owner's posts: plain text with light Markdown, made into the HTML
//! Mastodon itself would produce.
//!
//! Supported: paragraphs and line breaks, `*em*`, `**strong**`, inline
//! code, fenced and indented code blocks, `[text](url)` links, and, as in
//! Mastodon, bare URLs, `@mentions` and `#hashtags` turned into links.
//! Everything else CommonMark would read as structure (headings, lists,
//! quotes, rules, reference definitions, raw HTML) stays literal text: a
//! post typed in a Mastodon app must look as typed, and `# 1 thing` or
//! `> quoted` must not turn into a heading or a quote by surprise.

use super::links;
use super::sanitize::LINK_REL;
use super::{escape_into, truncate_bytes};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// Text beyond this is cut before rendering. Far above any post length the
/// operations accept; it bounds the work a single call can cause.
pub const MAX_RENDER_INPUT_BYTES: usize = 64 * 1024;

/// Characters of a link shown after its scheme and `www.`; the rest is
/// hidden behind an ellipsis (Mastodon's value).
pub const LINK_DISPLAY_CHARS: usize = 30;

/// A mention that resolved to a known account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MentionRef {
    /// `user` for the owner, `user@host` for remote accounts.
    pub acct: String,
    /// ActivityPub actor id (for the `Mention` tag and addressing).
    pub uri: String,
    /// Profile page (the link people click).
    pub url: String,
}

/// What a post's text became.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    pub html: String,
    /// Resolved mentions, each account once, in order of appearance.
    pub mentions: Vec<MentionRef>,
    /// Hashtags, lower-cased, each once, in order of appearance.
    pub tags: Vec<String>,
    /// Every linked address (bare URLs and Markdown links), each once.
    pub links: Vec<String>,
}

/// Looks up mentioned accounts while rendering. Rendering never waits on
/// the network: callers resolve unknown remote accounts first (see
/// `extract_mentions`), then render with a resolver that only reads.
pub trait MentionResolver {
    /// `acct` as written, without the `@`: `user` or `user@host`.
    fn resolve(&self, acct: &str) -> Option<MentionRef>;
    /// The address of a hashtag's page (lives here so that `render` needs
    /// no other context).
    fn tag_url(&self, tag: &str) -> String;
}

/// Renders the owner's text. Unresolved mentions stay plain text.
pub fn render(text: &str, resolver: &dyn MentionResolver) -> Rendered {
    let mut r = Renderer::new(resolver);
    r.run(text);
    Rendered {
        html: r.out,
        mentions: r.mentions,
        tags: r.tags,
        links: r.links,
    }
}

/// The accounts a text mentions (`user` or `user@host`), each once, in
/// order, ignoring mentions inside code. Lets the caller look up remote
/// accounts before rendering.
pub fn extract_mentions(text: &str) -> Vec<String> {
    struct Collect(RefCell<Vec<String>>);
    impl MentionResolver for Collect {
        fn resolve(&self, acct: &str) -> Option<MentionRef> {
            let mut seen = self.0.borrow_mut();
            if !seen.iter().any(|a| a.eq_ignore_ascii_case(acct)) {
                seen.push(acct.to_string());
            }
            None
        }
        fn tag_url(&self, _: &str) -> String {
            String::new()
        }
    }
    let c = Collect(RefCell::new(Vec::new()));
    render(text, &c);
    c.0.into_inner()
}

struct Renderer<'r> {
    resolver: &'r dyn MentionResolver,
    out: String,
    mentions: Vec<MentionRef>,
    tags: Vec<String>,
    links: Vec<String>,
    /// Inside a code block: text is shown as is.
    in_code: bool,
    /// Inside an HTML block (shown as text, as a paragraph).
    in_html_block: bool,
    /// For each open Markdown link or image: whether an `<a>` was opened.
    open_links: Vec<bool>,
    /// Inside an autolink, whose text was already written.
    skip_text: usize,
}

impl<'r> Renderer<'r> {
    fn new(resolver: &'r dyn MentionResolver) -> Self {
        Renderer {
            resolver,
            out: String::new(),
            mentions: Vec::new(),
            tags: Vec::new(),
            links: Vec::new(),
            in_code: false,
            in_html_block: false,
            open_links: Vec::new(),
            skip_text: 0,
        }
    }

    fn run(&mut self, text: &str) {
        let text = truncate_bytes(text, MAX_RENDER_INPUT_BYTES);
        // NUL is replaced as CommonMark says (browsers would drop it).
        let text = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\0', "\u{fffd}");
        let source = literal_blocks(&text);
        let parser = Parser::new_ext(&source, Options::empty());
        for event in TextMergeStream::new(parser) {
            match event {
                Event::Start(tag) => self.start(tag),
                Event::End(tag) => self.end(tag),
                Event::Text(t) => self.text(&t),
                Event::Code(c) => {
                    if self.skip_text == 0 {
                        self.out.push_str("<code>");
                        escape_into(&mut self.out, &c);
                        self.out.push_str("</code>");
                    }
                }
                Event::Html(h) | Event::InlineHtml(h) => self.literal_html(&h),
                Event::SoftBreak | Event::HardBreak => {
                    if self.in_code {
                        self.out.push('\n');
                    } else if self.skip_text == 0 {
                        self.out.push_str("<br>");
                    }
                }
                // Not produced with the options used; kept visible if ever.
                other => {
                    if let Event::InlineMath(s) | Event::DisplayMath(s) = other {
                        escape_into(&mut self.out, &s);
                    }
                }
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::Heading { .. } => self.out.push_str("<p>"),
            Tag::HtmlBlock => {
                self.in_html_block = true;
                self.out.push_str("<p>");
            }
            Tag::CodeBlock(_) => {
                self.in_code = true;
                self.out.push_str("<pre><code>");
            }
            Tag::BlockQuote(_) => self.out.push_str("<blockquote>"),
            Tag::List(Some(_)) => self.out.push_str("<ol>"),
            Tag::List(None) => self.out.push_str("<ul>"),
            Tag::Item => self.out.push_str("<li>"),
            Tag::Emphasis => self.out.push_str("<em>"),
            Tag::Strong => self.out.push_str("<strong>"),
            Tag::Strikethrough => self.out.push_str("<del>"),
            Tag::Link {
                link_type: LinkType::Autolink,
                dest_url,
                ..
            } => {
                self.skip_text += 1;
                self.open_links.push(false);
                if allowed_link(&dest_url) {
                    self.short_link(&dest_url);
                } else {
                    escape_into(&mut self.out, &dest_url);
                }
            }
            Tag::Link {
                link_type: LinkType::Email,
                dest_url,
                ..
            } => {
                self.skip_text += 1;
                self.open_links.push(false);
                escape_into(&mut self.out, &dest_url);
            }
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                let ok = self.skip_text == 0 && allowed_link(&dest_url);
                if ok {
                    self.note_link(&dest_url);
                    self.out.push_str("<a href=\"");
                    escape_into(&mut self.out, &dest_url);
                    self.out.push_str("\" target=\"_blank\" rel=\"");
                    self.out.push_str(LINK_REL);
                    self.out.push_str("\">");
                }
                self.open_links.push(ok);
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.out.push_str("</p>"),
            TagEnd::HtmlBlock => {
                self.in_html_block = false;
                while self.out.ends_with("<br>") {
                    self.out.truncate(self.out.len() - 4);
                }
                self.out.push_str("</p>");
            }
            TagEnd::CodeBlock => {
                self.in_code = false;
                self.out.push_str("</code></pre>");
            }
            TagEnd::BlockQuote(_) => self.out.push_str("</blockquote>"),
            TagEnd::List(true) => self.out.push_str("</ol>"),
            TagEnd::List(false) => self.out.push_str("</ul>"),
            TagEnd::Item => self.out.push_str("</li>"),
            TagEnd::Emphasis => self.out.push_str("</em>"),
            TagEnd::Strong => self.out.push_str("</strong>"),
            TagEnd::Strikethrough => self.out.push_str("</del>"),
            TagEnd::Link | TagEnd::Image => match self.open_links.pop() {
                Some(true) => self.out.push_str("</a>"),
                Some(false) if self.skip_text > 0 => self.skip_text -= 1,
                _ => {}
            },
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip_text > 0 {
            return;
        }
        if self.in_code || !self.open_links.is_empty() {
            escape_into(&mut self.out, text);
            return;
        }
        let mut last = 0;
        for (start, end, entity) in scan(text) {
            escape_into(&mut self.out, &text[last..start]);
            match entity {
                Entity::Url => self.short_link(&text[start..end]),
                Entity::Mention(acct) => self.mention(acct, &text[start..end]),
                Entity::Hashtag(name) => self.hashtag(name),
            }
            last = end;
        }
        escape_into(&mut self.out, &text[last..]);
    }

    /// Raw HTML in a post is shown as the text that was typed.
    fn literal_html(&mut self, html: &str) {
        if self.skip_text > 0 {
            return;
        }
        if self.in_html_block {
            let mut lines = html.split('\n').peekable();
            while let Some(line) = lines.next() {
                escape_into(&mut self.out, line);
                if lines.peek().is_some() {
                    self.out.push_str("<br>");
                }
            }
        } else {
            escape_into(&mut self.out, html);
        }
    }

    fn note_link(&mut self, url: &str) {
        if !self.links.iter().any(|l| l == url) {
            self.links.push(url.to_string());
        }
    }

    /// A link shown as Mastodon shows it: scheme and `www.` hidden, the
    /// first `LINK_DISPLAY_CHARS` characters visible, the rest hidden
    /// behind an ellipsis (the full address stays copyable).
    fn short_link(&mut self, url: &str) {
        self.note_link(url);
        let prefix_len = display_prefix_len(url);
        let (prefix, rest) = url.split_at(prefix_len);
        let cut = rest
            .char_indices()
            .nth(LINK_DISPLAY_CHARS)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let (shown, hidden) = rest.split_at(cut);
        let o = &mut self.out;
        o.push_str("<a href=\"");
        escape_into(o, url);
        o.push_str("\" target=\"_blank\" rel=\"");
        o.push_str(LINK_REL);
        o.push_str("\" translate=\"no\"><span class=\"invisible\">");
        escape_into(o, prefix);
        o.push_str(if hidden.is_empty() {
            "</span><span>"
        } else {
            "</span><span class=\"ellipsis\">"
        });
        escape_into(o, shown);
        o.push_str("</span><span class=\"invisible\">");
        escape_into(o, hidden);
        o.push_str("</span></a>");
    }

    fn mention(&mut self, acct: &str, written: &str) {
        let Some(m) = self.resolver.resolve(acct) else {
            escape_into(&mut self.out, written);
            return;
        };
        // A peer chose this account's addresses; without a safe one the
        // mention stays text (and is still addressed).
        match links::link_to(&m.url, &m.uri) {
            Some(url) => {
                let username = m.acct.split('@').next().unwrap_or(&m.acct);
                self.out
                    .push_str("<span class=\"h-card\" translate=\"no\"><a href=\"");
                escape_into(&mut self.out, &url);
                self.out.push_str("\" class=\"u-url mention\">@<span>");
                escape_into(&mut self.out, username);
                self.out.push_str("</span></a></span>");
            }
            None => escape_into(&mut self.out, written),
        }
        if !self.mentions.iter().any(|x| x.uri == m.uri) {
            self.mentions.push(m);
        }
    }

    fn hashtag(&mut self, name: &str) {
        let normal = name.to_lowercase();
        let url = self.resolver.tag_url(&normal);
        self.out.push_str("<a href=\"");
        escape_into(&mut self.out, &url);
        self.out
            .push_str("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
        escape_into(&mut self.out, name);
        self.out.push_str("</span></a>");
        if !self.tags.contains(&normal) {
            self.tags.push(normal);
        }
    }
}

/// Length of the part Mastodon hides before a link's visible text:
/// `http://`, `https://` (each optionally with `www.`) or `xmpp:`.
fn display_prefix_len(url: &str) -> usize {
    let lower = url.get(..12).unwrap_or(url).to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else if lower.starts_with("xmpp:") {
        return 5;
    } else {
        return 0;
    };
    if lower[scheme..].starts_with("www.") {
        scheme + 4
    } else {
        scheme
    }
}

/// Whether a Markdown link target may become a link: absolute, with a
/// scheme the sanitiser lets through (the gate in `links`).
fn allowed_link(url: &str) -> bool {
    links::text_link_allowed(url)
}

/// Rewrites the text so that CommonMark reads only paragraphs and code
/// blocks as blocks: a backslash before a line's leading `#`, `>`, list
/// marker, rule, setext underline, `<` or reference definition makes it
/// literal. Leading indentation outside fences is dropped (HTML would
/// collapse it anyway), so an indented line is not a code block.
fn literal_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut fence: Option<(u8, usize)> = None;
    for line in text.split_inclusive('\n') {
        if let Some((ch, n)) = fence {
            out.push_str(line);
            let t = line.trim();
            if t.len() >= n && t.bytes().all(|b| b == ch) {
                fence = None;
            }
            continue;
        }
        let body = line.trim_start_matches([' ', '\t']);
        if let Some(f) = fence_open(body) {
            fence = Some(f);
            out.push_str(body);
            continue;
        }
        match marker_escape_at(body) {
            Some(i) => {
                out.push_str(&body[..i]);
                out.push('\\');
                out.push_str(&body[i..]);
            }
            None => out.push_str(body),
        }
    }
    out
}

/// A fence opening line: three or more backticks or tildes.
fn fence_open(line: &str) -> Option<(u8, usize)> {
    let b = line.as_bytes();
    let ch = *b.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let n = b.iter().take_while(|&&c| c == ch).count();
    if n < 3 {
        return None;
    }
    if ch == b'`' && line[n..].contains('`') {
        return None;
    }
    Some((ch, n))
}

/// Where to put a backslash so the line's block marker reads as text.
fn marker_escape_at(line: &str) -> Option<usize> {
    let content = line.trim_end_matches(['\n', ' ', '\t']);
    let b = content.as_bytes();
    let first = *b.first()?;
    let ends_marker = |i: usize| b.get(i).map_or(true, |c| *c == b' ' || *c == b'\t');
    match first {
        b'>' | b'<' => Some(0),
        b'#' => {
            let n = b.iter().take_while(|&&c| c == b'#').count();
            (n <= 6 && ends_marker(n)).then_some(0)
        }
        b'-' | b'*' | b'+' | b'_' | b'=' => {
            let rule = b.iter().all(|&c| c == first || c == b' ' || c == b'\t');
            let item = first != b'_' && first != b'=' && ends_marker(1);
            (rule || item).then_some(0)
        }
        b'0'..=b'9' => {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let ok = n <= 9 && matches!(b.get(n), Some(b'.' | b')')) && ends_marker(n + 1);
            ok.then_some(n)
        }
        b'[' => {
            let close = content.find("]:")?;
            (close > 1 && !content[1..close].contains(']')).then_some(0)
        }
        _ => None,
    }
}

enum Entity<'a> {
    Url,
    /// The `user` or `user@host` part.
    Mention(&'a str),
    /// The tag as written, without `#`.
    Hashtag(&'a str),
}

/// Finds bare URLs, mentions and hashtags, left to right, not overlapping
/// (so a `#fragment` or `@` inside a URL stays part of the URL).
fn scan(text: &str) -> Vec<(usize, usize, Entity<'_>)> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let hit = match c {
            'h' | 'H' if url_may_follow(prev) => url_at(text, i).map(|e| (e, Entity::Url)),
            '@' if mention_may_follow(prev) => {
                mention_at(text, i + 1).map(|e| (e, Entity::Mention(&text[i + 1..e])))
            }
            '#' | '＃' if prev.map_or(true, char::is_whitespace) => {
                let s = i + c.len_utf8();
                hashtag_at(text, s).map(|e| (e, Entity::Hashtag(&text[s..e])))
            }
            _ => None,
        };
        match hit {
            Some((end, entity)) => {
                found.push((i, end, entity));
                prev = text[..end].chars().next_back();
                i = end;
            }
            None => {
                prev = Some(c);
                i += c.len_utf8();
            }
        }
    }
    found
}

/// Ruby's `[[:word:]]`: letters, marks, digits, connector punctuation.
/// Rust's std has no Mark property; combining marks of the scripts whose
/// words need them (Latin diacritics, Indic, Thai, Lao) are listed.
fn is_word(c: char) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
        || (matches!(c, '\u{900}'..='\u{eff}') && !c.is_whitespace() && !is_indic_punct(c))
}

fn is_indic_punct(c: char) -> bool {
    matches!(
        c,
        '\u{964}'
            | '\u{965}'
            | '\u{970}'
            | '\u{e2f}'
            | '\u{e46}'
            | '\u{e4f}'
            | '\u{e5a}'
            | '\u{e5b}'
    )
}

fn url_may_follow(prev: Option<char>) -> bool {
    prev.map_or(true, |p| !(p.is_alphanumeric() || "@$#_/=.-".contains(p)))
}

/// End of a bare `http(s)://` URL starting at `i`, trailing punctuation
/// and unbalanced closing brackets left out.
fn url_at(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    let head = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    let scheme_len = if head.starts_with("https://") {
        8
    } else if head.starts_with("http://") {
        7
    } else {
        return None;
    };
    let len = rest
        .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(rest.len());
    let mut url = &rest[..len];
    loop {
        let before = url.len();
        url = url.trim_end_matches(['.', ',', ':', ';', '!', '?', '\'', '*', '…']);
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if url.ends_with(close) && url.matches(close).count() > url.matches(open).count() {
                url = &url[..url.len() - 1];
            }
        }
        if url.len() == before {
            break;
        }
    }
    if url.len() <= scheme_len || url[scheme_len..].starts_with('/') {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    parsed.host_str().filter(|h| !h.is_empty())?;
    Some(i + url.len())
}

fn mention_may_follow(prev: Option<char>) -> bool {
    prev.map_or(true, |p| !(is_word(p) || p == '=' || p == '/'))
}

/// End of `user` or `user@host` (Mastodon's `MENTION_RE`) starting at `s`.
/// A `:port` after the host is accepted too, so servers on non-standard
/// ports (test setups, home servers) can be mentioned.
fn mention_at(text: &str, s: usize) -> Option<usize> {
    let user_end = dotted_run(text, s, |c| c.is_ascii_alphanumeric() || c == '_')?;
    let Some(after_at) = text[user_end..].strip_prefix('@') else {
        return Some(user_end);
    };
    let host_start = text.len() - after_at.len();
    let Some(mut end) = dotted_run(text, host_start, is_word) else {
        return Some(user_end);
    };
    if let Some(port) = text[end..].strip_prefix(':') {
        let digits = port.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=5).contains(&digits) {
            end += 1 + digits;
        }
    }
    Some(end)
}

/// `W+([.-]+W+)*` for a character class `W`: the end, or `None` if empty.
fn dotted_run(text: &str, start: usize, w: impl Fn(char) -> bool) -> Option<usize> {
    let run = |from: usize, f: &dyn Fn(char) -> bool| {
        text[from..]
            .char_indices()
            .find(|&(_, c)| !f(c))
            .map_or(text.len(), |(j, _)| from + j)
    };
    let mut end = run(start, &w);
    if end == start {
        return None;
    }
    loop {
        let sep_end = run(end, &|c| c == '.' || c == '-');
        if sep_end == end {
            return Some(end);
        }
        let next = run(sep_end, &w);
        if next == sep_end {
            return Some(end);
        }
        end = next;
    }
}

/// Separators Mastodon allows inside hashtags besides `_`.
fn is_tag_separator(c: char) -> bool {
    matches!(c, '_' | '\u{b7}' | '\u{30fb}' | '\u{200c}')
}

/// End of a hashtag name (Mastodon's `HASHTAG_NAME_PAT`) starting at `s`:
/// word characters and separators, starting and ending with a word
/// character or `_`, and not only digits.
fn hashtag_at(text: &str, s: usize) -> Option<usize> {
    let run_end = text[s..]
        .char_indices()
        .find(|&(_, c)| !(is_word(c) || is_tag_separator(c)))
        .map_or(text.len(), |(j, _)| s + j);
    let name = text[s..run_end].trim_end_matches(|c: char| is_tag_separator(c) && c != '_');
    let chars: Vec<char> = name.chars().collect();
    let first = *chars.first()?;
    if is_tag_separator(first) && first != '_' {
        return None;
    }
    let has_alpha = chars.iter().any(|c| c.is_alphabetic());
    let inner_separator = chars.len() >= 3
        && chars[1..chars.len() - 1]
            .iter()
            .any(|&c| is_tag_separator(c));
    (has_alpha || inner_separator).then_some(s + name.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::sanitize::sanitize;

    /// Knows `alice` (local) and `bob@remote.example`.
    struct Fixed;
    impl MentionResolver for Fixed {
        fn resolve(&self, acct: &str) -> Option<MentionRef> {
            match acct.to_ascii_lowercase().as_str() {
                "alice" | "alice@me.example" => Some(MentionRef {
                    acct: "alice".into(),
                    uri: "https://me.example/users/alice".into(),
                    url: "https://me.example/@alice".into(),
                }),
                "eve@evil.example" => Some(MentionRef {
                    acct: "eve@evil.example".into(),
                    uri: "https://evil.example/users/eve".into(),
                    url: " JavaScript:alert(1)".into(),
                }),
                "mal@evil.example" => Some(MentionRef {
                    acct: "mal@evil.example".into(),
                    uri: "data:text/html,x".into(),
                    url: "javascript:alert(1)".into(),
                }),
                "bob@remote.example" => Some(MentionRef {
                    acct: "bob@remote.example".into(),
                    uri: "https://remote.example/users/bob".into(),
                    url: "https://remote.example/@bob".into(),
                }),
                _ => None,
            }
        }
        fn tag_url(&self, tag: &str) -> String {
            format!("https://me.example/tags/{tag}")
        }
    }

    fn html(text: &str) -> String {
        render(text, &Fixed).html
    }

    /// The sanitiser keeps everything render writes, except that it sets
    /// `target` and `rel` on every link itself.
    fn assert_survives_sanitiser(html: &str) {
        fn strip(s: &str) -> String {
            // Text escapes differ in spelling only.
            let mut s = s
                .replace(" target=\"_blank\"", "")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&nbsp;", "\u{a0}");
            for rel in [" rel=\"nofollow noopener\"", " rel=\"tag\""] {
                s = s.replace(rel, "");
            }
            s
        }
        assert_eq!(strip(&sanitize(html)), strip(html));
    }

    #[test]
    fn paragraphs_and_line_breaks() {
        assert_eq!(html("one\ntwo\n\nthree"), "<p>one<br>two</p><p>three</p>");
        assert_eq!(html("a\r\nb"), "<p>a<br>b</p>");
        assert_eq!(html(""), "");
    }

    #[test]
    fn light_markdown() {
        assert_eq!(
            html("*em* **strong** `co<de>` [site](https://example.com/x)"),
            "<p><em>em</em> <strong>strong</strong> <code>co&lt;de&gt;</code> <a href=\"https://example.com/x\" target=\"_blank\" rel=\"nofollow noopener\">site</a></p>"
        );
        assert_eq!(
            html("```\nlet x = <b>;\n  @alice #tag\n```"),
            "<pre><code>let x = &lt;b&gt;;\n  @alice #tag\n</code></pre>"
        );
        assert_eq!(html("snake_case_name"), "<p>snake_case_name</p>");
    }

    #[test]
    fn block_syntax_stays_literal() {
        assert_eq!(html("# not a heading"), "<p># not a heading</p>");
        assert_eq!(html("> not a quote"), "<p>&gt; not a quote</p>");
        assert_eq!(html("- one\n- two"), "<p>- one<br>- two</p>");
        assert_eq!(html("1. first\n2) second"), "<p>1. first<br>2) second</p>");
        assert_eq!(html("title\n---"), "<p>title<br>---</p>");
        assert_eq!(html("title\n==="), "<p>title<br>===</p>");
        assert_eq!(html("***"), "<p>***</p>");
        assert_eq!(html("[1]: https://example.com"), "<p>[1]: <a href=\"https://example.com\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">https://</span><span>example.com</span><span class=\"invisible\"></span></a></p>");
        assert_eq!(html("    indented"), "<p>indented</p>");
        assert_eq!(html("**bold** start"), "<p><strong>bold</strong> start</p>");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        assert_eq!(
            html("hi <script>alert(1)</script> there"),
            "<p>hi &lt;script&gt;alert(1)&lt;/script&gt; there</p>"
        );
        assert_eq!(
            html("<div onclick=x>\n<b>y</b>\n</div>"),
            "<p>&lt;div onclick=x&gt;<br>&lt;b&gt;y&lt;/b&gt;<br>&lt;/div&gt;</p>"
        );
        assert_eq!(html("a <!-- c --> b"), "<p>a &lt;!-- c --&gt; b</p>");
    }

    #[test]
    fn hostile_links_are_not_links() {
        for text in [
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "[x](data:text/html,hi)",
            "[x](/relative)",
            "![x](javascript:alert(1))",
            "<javascript:alert(1)>",
        ] {
            let out = html(text);
            assert!(!out.contains("href"), "{text}: {out}");
            assert!(!out.to_lowercase().contains("<script"), "{text}: {out}");
        }
        let out = html(r#"[x](https://a.example/"onmouseover="alert(1))"#);
        assert!(!out.contains("\"onmouseover"), "{out}");
        assert_survives_sanitiser(&out);
    }

    #[test]
    fn bare_urls_are_shortened_like_mastodon() {
        assert_eq!(
            html("see https://www.example.com/a/very/long/path/that/goes/on/and/on."),
            "<p>see <a href=\"https://www.example.com/a/very/long/path/that/goes/on/and/on\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">https://www.</span><span class=\"ellipsis\">example.com/a/very/long/path/t</span><span class=\"invisible\">hat/goes/on/and/on</span></a>.</p>"
        );
        let r = render(
            "(https://example.com/wiki/Foo_(bar)) and <https://b.example/>",
            &Fixed,
        );
        assert_eq!(
            r.links,
            vec!["https://example.com/wiki/Foo_(bar)", "https://b.example/"]
        );
        assert!(r.html.starts_with("<p>(<a"), "{}", r.html);
        assert!(r.html.contains("</a>) and <a"), "{}", r.html);
        assert_eq!(html("http:// nothing"), "<p>http:// nothing</p>");
        assert_eq!(html("xhttps://a.example"), "<p>xhttps://a.example</p>");
    }

    #[test]
    fn mentions() {
        let r = render(
            "hi @alice and @bob@remote.example, not @carol@x.example or me@alice",
            &Fixed,
        );
        assert_eq!(
            r.html,
            "<p>hi <span class=\"h-card\" translate=\"no\"><a href=\"https://me.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> and <span class=\"h-card\" translate=\"no\"><a href=\"https://remote.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span>, not @carol@x.example or me@alice</p>"
        );
        assert_eq!(r.mentions.len(), 2);
        assert_survives_sanitiser(&r.html);
        let twice = render("@alice @ALICE @alice@me.example", &Fixed);
        assert_eq!(twice.mentions.len(), 1);
    }

    #[test]
    fn mention_extraction() {
        assert_eq!(
            extract_mentions("@a @b.c@host.example. @A `@code` @d@e.example:8080 x@y @-no"),
            vec!["a", "b.c@host.example", "d@e.example:8080"]
        );
        assert_eq!(
            extract_mentions("https://h.example/@who"),
            Vec::<String>::new()
        );
        assert_eq!(extract_mentions("@bob@"), vec!["bob"]);
    }

    #[test]
    fn hashtags() {
        let r = render("#Rust and #rust, #123 no, #1_2 yes, a#b no, https://x.example/#frag, #日本語 #हिन्दी #café.", &Fixed);
        assert_eq!(r.tags, vec!["rust", "1_2", "日本語", "हिन्दी", "café"]);
        assert!(r.html.contains("<a href=\"https://me.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>"), "{}", r.html);
        assert!(r.html.contains("#123 no"));
        assert!(r.html.contains("a#b no"));
        assert_survives_sanitiser(&r.html);
        assert_eq!(render("＃tag", &Fixed).tags, vec!["tag"]);
        assert_eq!(render("#tag·", &Fixed).tags, vec!["tag"]);
        assert!(render("`#code`", &Fixed).tags.is_empty());
    }

    #[test]
    fn everything_survives_the_sanitiser() {
        let text = "Hello @alice, *look*: https://example.com/a_b?c=d&e=f#g #tag\n\n```\ncode <x>\n```\n`inline` **b** [l](https://l.example/)";
        assert_survives_sanitiser(&html(text));
    }

    #[test]
    fn hostile_and_huge_inputs_are_bounded() {
        let deep = "*".repeat(20_000) + "x" + &"*".repeat(20_000);
        let out = html(&deep);
        assert!(out.len() < 200_000);
        let many = "[".repeat(50_000);
        assert!(html(&many).len() <= MAX_RENDER_INPUT_BYTES + 16);
        let long = "é".repeat(MAX_RENDER_INPUT_BYTES);
        assert!(html(&long).len() <= MAX_RENDER_INPUT_BYTES + 16);
        let tags = "#a ".repeat(10_000);
        assert_eq!(render(&tags, &Fixed).tags, vec!["a"]);
        assert_survives_sanitiser(&html("<a href=\"javascript:x\">*<b>\0\u{202e}🦀"));
    }

    #[test]
    fn mentions_link_only_to_safe_addresses() {
        let out = render("@eve@evil.example @mal@evil.example", &Fixed);
        assert_eq!(
            out.html,
            "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://evil.example/users/eve\" class=\"u-url mention\">@<span>eve</span></a></span> @mal@evil.example</p>"
        );
        assert!(!out.html.to_ascii_lowercase().contains("script:"));
        assert_eq!(out.mentions.len(), 2, "both are still addressed");
    }
}
