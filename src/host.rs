//! How a host is written: the one normalisation every rule that compares
//! hosts asks (domain blocks, origin checks, account domains, delivery).
//!
//! Peers and people write the same host many ways: `Example.COM`,
//! `example.com.` (a fully qualified name with its root dot),
//! `bücher.example` and `xn--bcher-kva.example` (IDNA), `example.com:443`.
//! If two rules normalised differently, a block entered one way could be
//! walked around the other way, so there is exactly one function here and
//! every comparison goes through it.

/// The canonical form of a host, with its port when the port is not a
/// default one: lower case, IDNA to ASCII (punycode), one trailing dot
/// removed, `:80` and `:443` dropped. IPv6 literals keep their brackets.
///
/// Accepts `host` or `host:port` (no scheme, no path); `None` when the
/// text is not a host at all (empty, spaces, a bad port, bad IDNA).
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_HOST_LEN {
        return None;
    }
    let (name, port) = split_port(raw)?;
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.ends_with('.') {
        return None;
    }
    let host = url::Host::parse(name).ok()?;
    let mut out = match host {
        url::Host::Domain(d) => d,
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => format!("[{ip}]"),
    };
    match port {
        None | Some(80) | Some(443) => {}
        Some(p) => {
            out.push(':');
            out.push_str(&p.to_string());
        }
    }
    Some(out)
}

/// The normalised host (with a non-default port) of an `http`/`https`
/// URL; `None` for anything else.
pub fn of_url(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let h = u.host_str()?;
    match u.port() {
        Some(p) => normalize(&format!("{h}:{p}")),
        None => normalize(h),
    }
}

/// Whether two URLs are on the same host (after normalisation). Two
/// unparseable URLs are never the same origin.
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((of_url(a), of_url(b)), (Some(x), Some(y)) if x == y)
}

/// The host without its port, for matching domain names (a block of
/// `example.com` covers `example.com:8443` too).
pub fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => host.get(..=end).unwrap_or(host),
            None => host,
        };
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

/// DNS names are at most 253 bytes; a little slack for a port.
const MAX_HOST_LEN: usize = 260;

/// Splits `host:port`, `[v6]:port`, `[v6]` or `host`.
fn split_port(raw: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = raw.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let name = raw.get(..inside.len() + 2)?;
        return match after {
            "" => Some((name, None)),
            a => Some((name, Some(a.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match raw.rsplit_once(':') {
        Some((name, port)) => Some((name, Some(port.parse().ok()?))),
        None => Some((raw, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_many_spellings() {
        for raw in [
            "example.com",
            "EXAMPLE.com",
            "example.com.",
            "example.com:443",
            "Example.COM.:80",
        ] {
            assert_eq!(normalize(raw).as_deref(), Some("example.com"), "{raw}");
        }
        assert_eq!(
            normalize("bücher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(
            normalize("XN--BCHER-KVA.example.").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(
            normalize("example.com:8080").as_deref(),
            Some("example.com:8080")
        );
        assert_eq!(normalize("[::1]:8080").as_deref(), Some("[::1]:8080"));
        assert_eq!(normalize("[::1]").as_deref(), Some("[::1]"));
    }

    #[test]
    fn what_is_not_a_host() {
        for raw in [
            "",
            ".",
            "example.com..",
            "a b",
            "example.com:99999",
            "example.com:x",
            "[::1",
        ] {
            assert_eq!(normalize(raw), None, "{raw:?}");
        }
        assert_eq!(normalize(&"a".repeat(300)), None);
    }

    #[test]
    fn urls_and_origins() {
        assert_eq!(
            of_url("https://Bücher.Example./users/a").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(of_url("javascript:alert(1)"), None);
        assert!(same_origin(
            "https://example.com/a",
            "https://EXAMPLE.com.:443/b"
        ));
        assert!(!same_origin("https://example.com/a", "https://evil.com/a"));
        assert!(!same_origin(
            "https://example.com/a",
            "https://example.com:8443/a"
        ));
        assert!(!same_origin("nonsense", "nonsense"));
        assert_eq!(without_port("example.com:8080"), "example.com");
        assert_eq!(without_port("[::1]:8080"), "[::1]");
    }
}
