//! Domains the owner blocked, in the `relations` tree:
//! `domain_block \0 DOMAIN` → `DomainBlock`, and
//! `domain_block_by_time \0 ID` → domain for the paged list.
//!
//! A block covers the domain's subdomains too, as Mastodon's does.
//! Domains are stored, and hosts looked up, in `crate::host`'s form.

use super::{index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DomainBlock {
    pub id: u64,
    pub created_at_ms: i64,
}

fn block_key(domain: &str) -> Vec<u8> {
    index_key("domain_block", &[domain.as_bytes()])
}
const ORDER: &str = "domain_block_by_time";
fn order_key(id: u64) -> Vec<u8> {
    index_key(ORDER, &[&id.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

/// The blocks that would cover `host`: the host as written (with its
/// port), without its port, and every domain above it. Hosts are
/// compared in `crate::host`'s one written form, so `BAD.example.`,
/// `bad.example:443` and an IDN in Unicode or punycode all meet.
fn covering(host: &str) -> Vec<String> {
    let Some(host) = crate::host::normalize(host) else {
        return Vec::new();
    };
    let bare = crate::host::without_port(&host).to_string();
    let mut out = vec![host.clone()];
    if bare != host {
        out.push(bare.clone());
    }
    // An address has no parent domains.
    if bare.starts_with('[') || bare.parse::<std::net::Ipv4Addr>().is_ok() {
        return out;
    }
    let mut rest = bare.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        out.push(parent.to_string());
        rest = parent;
    }
    out
}

/// Whether a block of `blocked` (already normalised) covers `host`.
pub fn covers(blocked: &str, host: &str) -> bool {
    covering(host).iter().any(|d| d == blocked)
}

impl Store {
    /// Whether `host` (written any way, perhaps with a port) or a domain
    /// above it is blocked.
    pub fn is_domain_blocked(&self, host: &str) -> Result<bool> {
        for d in covering(host) {
            if self.relations.contains_key(block_key(&d))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Rewrites blocks saved before hosts had one written form (a trailing
    /// dot, an IDN in Unicode) into that form, so they match again; two
    /// spellings of one domain become one block. Returns how many changed.
    pub(super) fn normalize_domain_blocks(&self) -> Result<usize> {
        // `domain_block \0`: the blocks, not the ordered list beside them.
        let prefix = block_key("");
        let mut found = Vec::new();
        for kv in self.relations.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let raw =
                String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
            match crate::host::normalize(&raw) {
                Some(d) if d != raw => found.push((raw, d)),
                _ => {}
            }
        }
        for (raw, d) in &found {
            self.transact(|tx| {
                let Some(old) = tx.get_rec::<DomainBlock>(T::Relations, &block_key(raw))? else {
                    return Ok(());
                };
                tx.unblock_domain(raw)?;
                tx.block_domain(d, &old).map(|_| ())
            })?;
        }
        Ok(found.len())
    }

    /// Blocked domains, newest first: (block id, domain).
    pub fn domain_block_page(&self, page: timelines::Page) -> Result<Vec<(u64, String)>> {
        let ids = timelines::scan_page(&self.relations, ORDER, page, |_| true)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = self.relations.get(order_key(id))? {
                out.push((id, String::from_utf8_lossy(&d).into_owned()));
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Blocks a (normalised) domain; returns whether it is new.
    pub fn block_domain(&self, domain: &str, block: &DomainBlock) -> R<bool> {
        if self.get(T::Relations, &block_key(domain))?.is_some() {
            return Ok(false);
        }
        self.put_rec(T::Relations, &block_key(domain), block)?;
        self.put(T::Relations, &order_key(block.id), domain.as_bytes())?;
        Ok(true)
    }

    /// Lifts a block; returns whether there was one.
    pub fn unblock_domain(&self, domain: &str) -> R<bool> {
        let Some(old) = self.get_rec::<DomainBlock>(T::Relations, &block_key(domain))? else {
            return Ok(false);
        };
        self.remove(T::Relations, &block_key(domain))?;
        self.remove(T::Relations, &order_key(old.id))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_subdomains_and_ports() {
        let s = Store::temporary().unwrap();
        let b = DomainBlock {
            id: 1,
            created_at_ms: 0,
        };
        assert!(s.transact(|tx| tx.block_domain("bad.example", &b)).unwrap());
        assert!(!s.transact(|tx| tx.block_domain("bad.example", &b)).unwrap());
        assert!(s.is_domain_blocked("bad.example").unwrap());
        assert!(s.is_domain_blocked("media.bad.example").unwrap());
        assert!(s.is_domain_blocked("bad.example:8443").unwrap());
        assert!(!s.is_domain_blocked("notbad.example").unwrap());
        assert!(!s.is_domain_blocked("example").unwrap());
        assert!(s.is_domain_blocked("BAD.example.").unwrap());
        assert!(s.is_domain_blocked("Media.Bad.Example.:443").unwrap());
        let page = timelines::Page {
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            s.domain_block_page(page).unwrap(),
            vec![(1, "bad.example".to_string())]
        );
        assert!(s.transact(|tx| tx.unblock_domain("bad.example")).unwrap());
        assert!(!s.is_domain_blocked("bad.example").unwrap());
        assert!(s.domain_block_page(page).unwrap().is_empty());
    }

    #[test]
    fn idn_blocks_match_either_spelling() {
        let s = Store::temporary().unwrap();
        let b = DomainBlock {
            id: 1,
            created_at_ms: 0,
        };
        s.transact(|tx| tx.block_domain("xn--bcher-kva.example", &b))
            .unwrap();
        assert!(s.is_domain_blocked("bücher.example").unwrap());
        assert!(s.is_domain_blocked("www.BÜCHER.example.").unwrap());
        assert!(covers("xn--bcher-kva.example", "bücher.example:8443"));
        assert!(!covers("bücher.example", "xn--bcher-kva.example"));
        assert!(!covers("0.1", "127.0.0.1"));
    }

    #[test]
    fn blocks_saved_in_another_form_are_rewritten() {
        let s = Store::temporary().unwrap();
        for (id, raw) in [
            (1, "bücher.example"),
            (2, "bad.example."),
            (3, "bad.example"),
        ] {
            let b = DomainBlock {
                id,
                created_at_ms: 0,
            };
            s.transact(|tx| tx.block_domain(raw, &b)).unwrap();
        }
        assert_eq!(s.normalize_domain_blocks().unwrap(), 2);
        let page = timelines::Page {
            limit: 10,
            ..Default::default()
        };
        let mut listed: Vec<String> = s
            .domain_block_page(page)
            .unwrap()
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        listed.sort();
        assert_eq!(listed, vec!["bad.example", "xn--bcher-kva.example"]);
        assert!(s.is_domain_blocked("xn--bcher-kva.example").unwrap());
        assert_eq!(s.normalize_domain_blocks().unwrap(), 0);
    }
}
