//! A reader for the HTML that the sanitiser itself writes, and only that.
//!
//! html5ever's serialiser is regular: text has `&`, `<`, `>` escaped,
//! attribute values are double-quoted with `"` and `&` escaped, comments
//! are gone and no raw-text element survives the allowlist. That makes a
//! small tokenizer enough for the rewrites ammonia cannot express
//! (renaming headings, unwrapping links without a usable address) and for
//! turning HTML into plain text, without a second HTML parser.

// Also reads stored remote text: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Text(&'a str),
    /// A start tag: its lower-case name, the attribute source after the
    /// name, and the whole tag as written.
    Start {
        name: &'a str,
        attrs: &'a str,
        raw: &'a str,
    },
    End {
        name: &'a str,
        raw: &'a str,
    },
}

pub struct Tokens<'a> {
    rest: &'a str,
}

pub fn tokens(html: &str) -> Tokens<'_> {
    Tokens { rest: html }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let s = self.rest;
        if s.is_empty() {
            return None;
        }
        if !s.starts_with('<') {
            let end = s.find('<').unwrap_or(s.len());
            let (text, rest) = s.split_at_checked(end).unwrap_or((s, ""));
            self.rest = rest;
            return Some(Token::Text(text));
        }
        // Find the closing `>` outside double quotes.
        let bytes = s.as_bytes();
        let mut in_quotes = false;
        let mut close = None;
        for (i, &b) in bytes.iter().enumerate().skip(1) {
            match b {
                b'"' => in_quotes = !in_quotes,
                b'>' if !in_quotes => {
                    close = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            // Never produced by the serialiser; treat the rest as text.
            self.rest = "";
            return Some(Token::Text(s));
        };
        // `close` is the index of an ASCII `>`, so these cuts fall on
        // character boundaries; `get` keeps that from being a promise.
        let raw = s.get(..=close).unwrap_or(s);
        self.rest = s.get(close + 1..).unwrap_or("");
        let inner = s.get(1..close).unwrap_or("");
        if let Some(name) = inner.strip_prefix('/') {
            return Some(Token::End {
                name: name.trim(),
                raw,
            });
        }
        let (name, attrs) = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .and_then(|i| inner.split_at_checked(i))
            .unwrap_or((inner, ""));
        Some(Token::Start { name, attrs, raw })
    }
}

/// The value of attribute `name` in a start tag's attribute source, with
/// the serialiser's escapes undone.
pub fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('/') {
            return None;
        }
        let eq = rest.find(|c: char| c == '=' || c.is_ascii_whitespace());
        let (key, after) = eq
            .and_then(|i| rest.split_at_checked(i))
            .unwrap_or((rest, ""));
        if let Some(after) = after.strip_prefix("=\"") {
            let (value, tail) = after.split_once('"').unwrap_or((after, ""));
            if key.eq_ignore_ascii_case(name) {
                return Some(unescape(value));
            }
            rest = tail;
        } else {
            if key.eq_ignore_ascii_case(name) {
                return Some(String::new());
            }
            rest = after;
        }
    }
}

/// Undoes the escapes html5ever writes (and the few common named and
/// numeric references a stored string might hold).
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((before, after)) = rest.split_once('&') {
        out.push_str(before);
        // The reference's name and its `;`, counted in bytes after the
        // `&` but cut only between characters: the text after a bare `&`
        // can be anything.
        let decoded = after
            .char_indices()
            .take_while(|(i, _)| *i < MAX_REFERENCE_BYTES)
            .find(|(_, c)| *c == ';')
            .and_then(|(j, _)| {
                let (name, tail) = after.split_at_checked(j)?;
                Some((decode_entity(name)?, tail.strip_prefix(';')?))
            });
        match decoded {
            Some((c, tail)) => {
                out.push(c);
                rest = tail;
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Longest character reference read, `;` included, after the `&`:
/// `#x10FFFF;` is the longest one decoded.
const MAX_REFERENCE_BYTES: usize = 11;

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')
        }
    }
}

#[cfg(test)]
// Tests index fixtures they just built.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn splits_tags_and_text_respecting_quotes() {
        let t: Vec<_> = tokens(r#"a<a href="x>y" class="c">b</a>"#).collect();
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], Token::Text("a"));
        match &t[1] {
            Token::Start { name, attrs, .. } => {
                assert_eq!(*name, "a");
                assert_eq!(attr(attrs, "href").as_deref(), Some("x>y"));
                assert_eq!(attr(attrs, "class").as_deref(), Some("c"));
                assert_eq!(attr(attrs, "rel"), None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            t[3],
            Token::End {
                name: "a",
                raw: "</a>"
            }
        );
    }

    #[test]
    fn unescapes_references() {
        assert_eq!(
            unescape("a &amp; b &lt;c&gt; &#39;&#x41;&quot;"),
            "a & b <c> 'A\""
        );
        assert_eq!(unescape("AT&T &bogus; &#0;"), "AT&T &bogus; &#0;");
        assert_eq!(unescape("&#x10FFFF;&#1114111;"), "\u{10FFFF}\u{10FFFF}");
    }

    #[test]
    fn multi_byte_text_after_an_ampersand_is_kept_whole() {
        // A two-byte character across the old twelve-byte window once
        // panicked; so did one right after a bare `&`.
        assert_eq!(unescape("&amp;xxxxxx\u{e9}"), "&xxxxxx\u{e9}");
        assert_eq!(unescape("&\u{e9}\u{e9};"), "&\u{e9}\u{e9};");
        for n in 0..16 {
            let s = format!("&{}\u{1f980};&", "x".repeat(n));
            assert_eq!(unescape(&s), s);
        }
        // An unterminated quote leaves the rest as text.
        let t: Vec<_> = tokens("\u{e9}<\u{e9} \u{e9}=\"\u{e9}>\u{e9}<").collect();
        assert_eq!(t.len(), 2);
        let t: Vec<_> = tokens("\u{e9}<\u{e9} x>\u{e9}<").collect();
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn a_reference_cut_inside_a_character_is_text() {
        // The window searched for `;` used to end inside the 4-byte
        // character and panic (found by the sanitiser's properties).
        assert_eq!(unescape("&0\"A 0\u{11a00}"), "&0\"A 0\u{11a00}");
        assert_eq!(
            unescape("&amp;\u{e9}\u{e9}\u{e9}\u{e9}\u{e9};"),
            "&\u{e9}\u{e9}\u{e9}\u{e9}\u{e9};"
        );
        assert_eq!(unescape("&\u{e9}\u{e9};x"), "&\u{e9}\u{e9};x");
        assert_eq!(unescape("&#x10FFFF;"), "\u{10FFFF}");
        assert_eq!(unescape("&"), "&");
    }
}
