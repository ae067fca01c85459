//! Which IP addresses Burrow may contact: the one rule behind the
//! fetcher's SSRF guard (URLs with IP literals, and every address a name
//! resolves to).
//!
//! Built from the IANA special-purpose address registries (IPv4 and IPv6)
//! rather than from a list of private ranges: IPv6 is public only inside
//! global unicast (`2000::/3`), so a range the list forgot (local-use
//! NAT64 `64:ff9b:1::/48`, IPv4-translated `::ffff:0:0:0/96`, segment
//! routing `5f00::/16`…) is refused by default. An IPv4 address carried
//! inside IPv6 (mapped, NAT64, 6to4) is judged as that IPv4 address. The
//! few registry entries marked globally reachable (anycast relays, AS112
//! DNS sinks) are refused too: no fediverse server lives there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 ranges never contacted: the special-purpose registry, multicast,
/// and the reserved block (with the broadcast address).
const V4_REFUSED: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "this network"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private use"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared address space (CGNAT)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private use"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "IETF protocol assignments"),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (TEST-NET-1)",
    ),
    (Ipv4Addr::new(192, 31, 196, 0), 24, "AS112-v4"),
    (Ipv4Addr::new(192, 52, 193, 0), 24, "AMT"),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "6to4 relay anycast"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private use"),
    (
        Ipv4Addr::new(192, 175, 48, 0),
        24,
        "direct delegation AS112",
    ),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (TEST-NET-2)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (TEST-NET-3)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (
        Ipv4Addr::new(240, 0, 0, 0),
        4,
        "reserved, and limited broadcast",
    ),
];

/// The only IPv6 block the internet routes to servers.
const V6_GLOBAL_UNICAST: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Special-purpose ranges inside global unicast, never contacted.
const V6_REFUSED: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments",
    ),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, "Teredo"),
    (
        Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0),
        48,
        "benchmarking",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0),
        48,
        "direct delegation AS112",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
];

/// NAT64's well-known prefix: the last 32 bits are an IPv4 address.
const V6_NAT64: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
/// 6to4: bits 16 to 48 are an IPv4 address.
const V6_6TO4: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// True for addresses on the public internet; everything else (private,
/// loopback, link-local, unique-local, multicast, unspecified, CGNAT,
/// documentation, benchmarking, translation and reserved ranges) is
/// refused.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !V4_REFUSED.iter().any(|(net, len, _)| in_v4(ip, *net, *len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let (global, global_len) = V6_GLOBAL_UNICAST;
    in_v6(ip, global, global_len) && !V6_REFUSED.iter().any(|(net, len, _)| in_v6(ip, *net, *len))
}

/// The IPv4 address an IPv6 address stands for, where the network would
/// deliver to it: IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`)
/// and 6to4 (`2002::/16`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let bits = u128::from(ip);
    if in_v6(ip, V6_NAT64.0, V6_NAT64.1) {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if in_v6(ip, V6_6TO4.0, V6_6TO4.1) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_ip(s.parse().unwrap())
    }

    /// The first and the last address of every listed range is refused.
    #[test]
    fn every_listed_range_is_refused_at_both_ends() {
        for (net, len, name) in V4_REFUSED {
            let first = u32::from(*net);
            let last = first | u32::MAX.checked_shr(u32::from(*len)).unwrap_or(0);
            for ip in [first, last] {
                assert!(!is_public_v4(Ipv4Addr::from(ip)), "{name}: {ip}");
            }
        }
        for (net, len, name) in V6_REFUSED {
            let first = u128::from(*net);
            let last = first | u128::MAX.checked_shr(u32::from(*len)).unwrap_or(0);
            for ip in [first, last] {
                assert!(!is_public_v6(Ipv6Addr::from(ip)), "{name}: {ip}");
            }
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ok in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2001:200::1",
            "2a01:4f8::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(ok), "{ok}");
        }
    }

    #[test]
    fn ipv4_special_purpose_ranges_are_refused() {
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(bad), "{bad}");
        }
    }

    #[test]
    fn ipv6_special_purpose_ranges_are_refused() {
        for bad in [
            "::",                                   // unspecified
            "::1",                                  // loopback
            "::127.0.0.1",                          // IPv4-compatible, deprecated
            "::808:808",                            // IPv4-compatible, even if public
            "::ffff:0:808:808",                     // IPv4-translated (SIIT)
            "::ffff:0:7f00:1",                      // IPv4-translated, loopback inside
            "64:ff9b:1::1",                         // local-use NAT64
            "64:ff9b:1:ffff::808:808",              // local-use NAT64, public inside
            "100::1",                               // discard-only
            "100::1:0:0:1",                         // dummy prefix
            "2001::1",                              // Teredo
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
            "2001:1::1",                            // PCP anycast
            "2001:2::1",                            // benchmarking
            "2001:3::1",                            // AMT
            "2001:4:112::1",                        // AS112-v6
            "2001:10::1",                           // ORCHID
            "2001:20::1",                           // ORCHIDv2
            "2001:db8::1",                          // documentation
            "2620:4f:8000::1",                      // direct delegation AS112
            "3fff::1",                              // documentation
            "3fff:fff::1",                          // documentation
            "5f00::1",                              // segment routing SIDs
            "fc00::1",                              // unique local
            "fd12:3456::1",                         // unique local
            "fe80::1",                              // link local
            "fec0::1",                              // site local, deprecated
            "ff02::1",                              // multicast
            "ff0e::1",                              // multicast, global scope
            "4000::1",                              // not global unicast
        ] {
            assert!(!public(bad), "{bad}");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_judged_as_ipv4() {
        for bad in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::c0a8:101",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(!public(bad), "{bad}");
        }
    }
}
