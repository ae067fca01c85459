//! Who the client is: the one answer to "which address and scheme did
//! this request come from", for the request log and anything else that
//! asks.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are claims anybody can write.
//! They are believed only when the connection itself comes from an address
//! listed in `server.trusted_proxies`; from anyone else they are ignored
//! and the socket's own address and scheme stand.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::net::IpAddr;

/// At most this many addresses of an `X-Forwarded-For` chain are read,
/// from the right (the nearest hop first). A home server has one proxy,
/// perhaps two; the rest of a long header is a stranger's writing.
pub const MAX_FORWARDED_HOPS: usize = 16;
/// At most this many proxies may be configured; each request compares the
/// peer against every one.
pub const MAX_TRUSTED_PROXIES: usize = 64;

/// One trusted address or network (`127.0.0.1`, `10.0.0.0/8`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(text: &str) -> Result<Network, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network like 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("`{text}`: the prefix length must be 0 to {max}")),
            },
        };
        Ok(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client reaching a dual-stack socket shows as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// `server.trusted_proxies`: the reverse proxies whose forwarding headers
/// are believed. Empty (the default) believes nobody.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct TrustedProxies(Vec<Network>);

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = String;
    fn try_from(list: Vec<String>) -> Result<Self, String> {
        if list.len() > MAX_TRUSTED_PROXIES {
            return Err(format!(
                "{} trusted proxies listed; at most {MAX_TRUSTED_PROXIES} (use networks like 10.0.0.0/8)",
                list.len()
            ));
        }
        list.iter()
            .map(|s| Network::parse(s))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl From<TrustedProxies> for Vec<String> {
    fn from(t: TrustedProxies) -> Vec<String> {
        t.0.iter().map(|n| n.to_string()).collect()
    }
}

/// Where a request came from, as far as can be believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address; `None` when the connection's own address is
    /// unknown (a server run without one, as in some tests).
    pub addr: Option<IpAddr>,
    /// Whether the client spoke HTTPS to us or to our proxy.
    pub https: bool,
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client behind a connection from `peer` (over TLS when `tls`),
    /// given the request's `X-Forwarded-For` and `X-Forwarded-Proto`
    /// values. The headers count only when `peer` is a trusted proxy; then
    /// the chain is read from the right, skipping further trusted proxies,
    /// and the first address that is not one is the client (a client can
    /// prepend whatever it likes, but not what its proxy appends).
    pub fn client(
        &self,
        peer: Option<IpAddr>,
        tls: bool,
        forwarded_for: &[&str],
        forwarded_proto: Option<&str>,
    ) -> Client {
        let direct = Client {
            addr: peer,
            https: tls,
        };
        let Some(peer) = peer else { return direct };
        if !self.contains(peer) {
            return direct;
        }
        let mut addr = peer;
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|v| v.rsplit(','))
            .take(MAX_FORWARDED_HOPS);
        for hop in hops {
            match parse_hop(hop) {
                Some(ip) => {
                    addr = ip;
                    if !self.contains(ip) {
                        break;
                    }
                }
                // An unreadable entry ends what can be believed.
                None => break,
            }
        }
        let https = match forwarded_proto
            .and_then(|p| p.rsplit(',').next())
            .map(str::trim)
        {
            Some(p) if p.eq_ignore_ascii_case("https") => true,
            Some(p) if p.eq_ignore_ascii_case("http") => false,
            _ => tls,
        };
        Client {
            addr: Some(addr),
            https,
        }
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, or with a port
/// (`1.2.3.4:567`, `[2001:db8::1]:567`) as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::try_from(list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn networks_parse_and_match() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.9.8.7".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(Network::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Network::parse("::1")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy.lan").is_err());
        assert!(Network::parse("1.2.3.4/").is_err());
        assert_eq!(Network::parse("fd00::/8").unwrap().to_string(), "fd00::/8");
    }

    #[test]
    fn headers_from_a_stranger_are_ignored() {
        let t = proxies(&["127.0.0.1"]);
        let c = t.client(ip("203.0.113.5"), false, &["198.51.100.1"], Some("https"));
        assert_eq!(c.addr, ip("203.0.113.5"));
        assert!(!c.https);
        // Nobody trusted: nobody believed, loopback included.
        let c = proxies(&[]).client(ip("127.0.0.1"), false, &["198.51.100.1"], Some("https"));
        assert_eq!(c.addr, ip("127.0.0.1"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_prepended_lies_are_skipped() {
        let t = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        let c = t.client(
            ip("127.0.0.1"),
            false,
            &["6.6.6.6, 198.51.100.7", "10.1.2.3"],
            Some("https"),
        );
        assert_eq!(c.addr, ip("198.51.100.7"));
        assert!(c.https);
        let c = t.client(ip("127.0.0.1"), true, &["[2001:db8::1]:443"], None);
        assert_eq!(c.addr, ip("2001:db8::1"));
        assert!(c.https);
        let c = t.client(ip("127.0.0.1"), false, &["garbage, 10.0.0.9"], Some("ftp"));
        assert_eq!(c.addr, ip("10.0.0.9"));
        assert!(!c.https);
    }

    #[test]
    fn long_chains_are_cut() {
        let t = proxies(&["0.0.0.0/0"]);
        let chain = vec!["1.1.1.1"; 10_000].join(",");
        let c = t.client(ip("127.0.0.1"), false, &[&chain], None);
        assert_eq!(c.addr, ip("1.1.1.1"));
    }
}
