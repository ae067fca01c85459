//! Domains the owner blocked, in the `relations` tree:
//! `domain_block \0 DOMAIN` → `DomainBlock`, and
//! `domain_block_by_time \0 ID` → domain for the paged list.
//!
//! A block covers the domain's subdomains too, as Mastodon's does.

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

impl Store {
    /// Whether `host` (lower case, perhaps with a port) or a domain above
    /// it is blocked.
    pub fn is_domain_blocked(&self, host: &str) -> Result<bool> {
        if host.is_empty() {
            return Ok(false);
        }
        let host = host.to_ascii_lowercase();
        let mut candidates = vec![host.as_str()];
        // `a.b.example:8080` → also `a.b.example`, `b.example`, `example`.
        let bare = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(&host);
        if bare != host {
            candidates.push(bare);
        }
        let mut rest = bare;
        while let Some((_, parent)) = rest.split_once('.') {
            candidates.push(parent);
            rest = parent;
        }
        for d in candidates {
            if self.relations.contains_key(block_key(d))? {
                return Ok(true);
            }
        }
        Ok(false)
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
}
