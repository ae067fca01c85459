//! Turning what the owner typed into status HTML, and finding the
//! mentions and hashtags in it. Mentions of unknown remote accounts are
//! resolved by the caller first (WebFinger), so rendering stays pure.

use crate::store::accounts::Account;

/// `@user` or `@user@host` handles in the text, as written (without `@`).
pub fn extract_mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b'/');
        if bytes[i] == b'@' && at_start {
            let rest = &text[i + 1..];
            let end = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric()
                        || c == '_'
                        || c == '@'
                        || c == '.'
                        || c == '-'
                        || c == ':')
                })
                .unwrap_or(rest.len());
            let handle = rest[..end].trim_end_matches(['.', ':', '-']);
            let valid = !handle.is_empty()
                && handle.matches('@').count() <= 1
                && !handle.starts_with('@')
                && !handle.ends_with('@');
            if valid && !out.iter().any(|h| h.eq_ignore_ascii_case(handle)) {
                out.push(handle.to_string());
            }
            i += 1 + end.max(1);
            continue;
        }
        i += 1;
    }
    out
}

/// Lower-case hashtags in the text.
pub fn extract_tags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_start = i == 0 || chars[i - 1].is_whitespace() || "([{".contains(chars[i - 1]);
        if chars[i] == '#' && at_start {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let tag: String = chars[i + 1..j].iter().collect();
            if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
                let t = tag.to_lowercase();
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn escape(s: &str) -> String {
    crate::http::error::escape_html(s)
}

/// Plain text → HTML: paragraphs, line breaks, links, mentions, hashtags.
/// `mentions` are the accounts the handles resolved to.
pub fn render(text: &str, mentions: &[Account], tag_url: impl Fn(&str) -> String) -> String {
    let mut html = String::new();
    for para in text.trim().split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        let lines: Vec<String> = para
            .trim()
            .lines()
            .map(|l| render_line(l, mentions, &tag_url))
            .collect();
        html.push_str(&lines.join("<br>"));
        html.push_str("</p>");
    }
    html
}

fn render_line(line: &str, mentions: &[Account], tag_url: &impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for (n, word) in line.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&render_word(word, mentions, tag_url));
    }
    out
}

fn render_word(word: &str, mentions: &[Account], tag_url: &impl Fn(&str) -> String) -> String {
    if word.starts_with("https://") || word.starts_with("http://") {
        let href = word.trim_end_matches(['.', ',', ')', '!', '?']);
        let rest = &word[href.len()..];
        return format!(
            "<a href=\"{h}\" rel=\"nofollow noopener\" target=\"_blank\">{t}</a>{r}",
            h = escape(href),
            t = escape(href),
            r = escape(rest)
        );
    }
    if let Some(handle) = word.strip_prefix('@') {
        let h = handle.trim_end_matches(['.', ',', ':', '!', '?', ')']);
        if let Some(a) = mentions.iter().find(|a| {
            a.acct().eq_ignore_ascii_case(h)
                || (a.username.eq_ignore_ascii_case(h) && !h.contains('@'))
        }) {
            let rest = &handle[h.len()..];
            let url = if a.url.is_empty() { &a.uri } else { &a.url };
            return format!(
                "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>{}",
                escape(url),
                escape(&a.username),
                escape(rest)
            );
        }
    }
    if let Some(tag) = word.strip_prefix('#') {
        let t: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit()) {
            let rest = &tag[t.len()..];
            return format!(
                "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>{}",
                escape(&tag_url(&t.to_lowercase())),
                escape(&t),
                escape(rest)
            );
        }
    }
    escape(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_and_tags() {
        assert_eq!(
            extract_mentions("hi @bob@x.example and @carol, mail a@b.c"),
            vec!["bob@x.example", "carol"]
        );
        assert_eq!(
            extract_tags("#Rust and #rust #123 x#no (#yes)"),
            vec!["rust", "yes"]
        );
    }

    #[test]
    fn renders_escaped_paragraphs_links_mentions_tags() {
        let bob = Account {
            username: "bob".into(),
            domain: Some("x.example".into()),
            url: "https://x.example/@bob".into(),
            ..Default::default()
        };
        let html = render(
            "hi @bob@x.example <b>\n#Tag https://a.example/p.\n\nnext",
            &[bob],
            |t| format!("/tags/{t}"),
        );
        assert!(html.starts_with("<p>hi <span class=\"h-card\""), "{html}");
        assert!(html.contains("&lt;b&gt;<br>"), "{html}");
        assert!(html.contains("href=\"/tags/tag\""), "{html}");
        assert!(html.contains("href=\"https://a.example/p\""), "{html}");
        assert!(html.ends_with("<p>next</p>"), "{html}");
    }
}
