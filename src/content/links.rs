//! What a URL from outside may become: the one gate between a string a
//! peer sent and an `href` or `src` on Burrow's origin.
//!
//! Peers choose an actor's `url`, `icon` and `image`, a status's `url`,
//! attachment and mention targets. Put in an `href`, `javascript:…` or
//! `data:…` runs script on Burrow's own origin, where the owner's session
//! and CSRF tokens live. So every such string passes [`safe_url`] when it
//! arrives (federation intake) and again where it is shown (API entities,
//! web pages, feeds, mention links), so that records stored before the
//! gate existed are shown safely too.
//!
//! Links written *inside* post text follow the sanitiser's allowlist,
//! [`LINK_SCHEMES`], kept here beside the rule for attribute URLs.

use crate::store::accounts::Account;

/// Longest URL kept. Browsers and Mastodon handle far longer, but no
/// profile or status address needs more, and a bound keeps a peer from
/// filling records and pages with one field.
pub const MAX_URL_BYTES: usize = 2048;

/// Link schemes allowed in `href` inside post text, as Mastodon's
/// `LINK_PROTOCOLS`: none of them runs script.
pub const LINK_SCHEMES: &[&str] = &[
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/// The URL as it may be linked to, or `None`: kept only when it parses as
/// an absolute URL, its scheme is `http` or `https`, it has a host, and it
/// is at most [`MAX_URL_BYTES`] long.
///
/// The answer is the parsed URL written back out (`url::Url`'s
/// serialisation): leading and trailing spaces and control characters
/// gone, the scheme and host in lower case, stray spaces and quotes
/// percent-encoded, so what is checked is exactly what is linked.
pub fn safe_url(raw: &str) -> Option<String> {
    if raw.is_empty() || raw.len() > MAX_URL_BYTES {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if !url.host_str().is_some_and(|h| !h.is_empty()) {
        return None;
    }
    let out = String::from(url);
    (out.len() <= MAX_URL_BYTES).then_some(out)
}

/// Where a link to an account goes: its profile `url` when that is safe,
/// else its actor id (`uri`) when that is, else nowhere.
pub fn account_link(a: &Account) -> Option<String> {
    link_to(&a.url, &a.uri)
}

/// Where a link to something with a web page (`url`) and an ActivityPub
/// id (`uri`) goes: the page when it is safe, else the id when it is,
/// else nowhere. Accounts, statuses and mentions alike.
pub fn link_to(url: &str, uri: &str) -> Option<String> {
    safe_url(url).or_else(|| safe_url(uri))
}

/// Whether a link written inside post text may stay a link: absolute,
/// with one of [`LINK_SCHEMES`].
pub fn text_link_allowed(raw: &str) -> bool {
    raw.len() <= MAX_URL_BYTES
        && url::Url::parse(raw).is_ok_and(|u| LINK_SCHEMES.contains(&u.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_pass() {
        for ok in [
            "https://remote.example/@alice",
            "http://remote.example:8080/users/a?x=1#y",
            "https://[::1]/a",
            "https://bücher.example/a",
        ] {
            assert!(safe_url(ok).is_some(), "{ok}");
        }
        assert_eq!(
            safe_url("HTTPS://Remote.Example/@a").as_deref(),
            Some("https://remote.example/@a")
        );
        assert_eq!(
            safe_url("https://a.example/\"><script>").as_deref(),
            Some("https://a.example/%22%3E%3Cscript%3E")
        );
    }

    #[test]
    fn script_and_other_schemes_never_pass() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\tjavascript:alert(1)",
            "\njavascript:alert(1)",
            "\u{0}javascript:alert(1)",
            "java\tscript:alert(1)",
            "javascript://remote.example/%0aalert(1)",
            "javascript&#58;alert(1)",
            "&#106;avascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://remote.example/a",
            "//remote.example/a",
            "/relative/path",
            "remote.example/a",
            "https://",
            "http:",
            "",
        ] {
            assert_eq!(safe_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn overlong_urls_never_pass() {
        let long = format!("https://remote.example/{}", "a".repeat(MAX_URL_BYTES));
        assert_eq!(safe_url(&long), None);
        let fits = format!("https://remote.example/{}", "a".repeat(100));
        assert!(safe_url(&fits).is_some());
    }

    #[test]
    fn accounts_fall_back_to_their_id_then_to_nothing() {
        let mut a = Account {
            uri: "https://remote.example/users/a".into(),
            url: "javascript:alert(1)".into(),
            ..Default::default()
        };
        assert_eq!(
            account_link(&a).as_deref(),
            Some("https://remote.example/users/a")
        );
        a.uri = "data:,x".into();
        assert_eq!(account_link(&a), None);
        a.url = "https://remote.example/@a".into();
        assert_eq!(
            account_link(&a).as_deref(),
            Some("https://remote.example/@a")
        );
    }

    #[test]
    fn text_links_keep_mastodons_schemes_only() {
        assert!(text_link_allowed("gemini://remote.example/"));
        assert!(text_link_allowed("https://remote.example/"));
        assert!(!text_link_allowed("javascript:alert(1)"));
        assert!(!text_link_allowed("data:text/html,x"));
    }
}
