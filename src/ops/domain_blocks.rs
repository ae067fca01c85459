//! Blocking whole servers. A blocked domain's activities are dropped at
//! the inbox; its accounts show `domain_blocking` in relationships.
//! Hiding its statuses from timelines is the timelines' job
//! (`Store::is_domain_blocked`).

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use crate::store::domain_blocks::DomainBlock;
use crate::time_fmt::now_ms;

/// Longest domain name DNS allows (plus room for a port).
pub const MAX_DOMAIN_CHARS: usize = 260;

/// `https://Bad.Example/` → `bad.example`; refuses what is not a host.
pub fn normalize(input: &str) -> OpResult<String> {
    let mut d = input.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = d.strip_prefix(scheme) {
            d = rest.to_string();
        }
    }
    let d = d.trim_end_matches('/').to_string();
    let valid = !d.is_empty()
        && d.len() <= MAX_DOMAIN_CHARS
        && !d.starts_with('.')
        && d.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if !valid {
        return Err(OpError::Invalid(format!(
            "Validation failed: `{input}` is not a domain name (give one like `example.social`)"
        )));
    }
    Ok(d)
}

pub async fn block(state: &AppState, domain: &str) -> OpResult<()> {
    let d = normalize(domain)?;
    if d == state.urls.host {
        return Err(OpError::Invalid(
            "Validation failed: this server's own domain can't be blocked".into(),
        ));
    }
    let b = DomainBlock {
        id: state.store.next_id(),
        created_at_ms: now_ms(),
    };
    state.store.transact(|tx| tx.block_domain(&d, &b))?;
    durable(state).await
}

pub async fn unblock(state: &AppState, domain: &str) -> OpResult<()> {
    let d = normalize(domain)?;
    state.store.transact(|tx| tx.unblock_domain(&d))?;
    durable(state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize(" https://Bad.Example/ ").unwrap(), "bad.example");
        assert_eq!(normalize("127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert!(normalize("").is_err());
        assert!(normalize("a b").is_err());
        assert!(normalize("user@host").is_err());
        assert!(normalize("host/path").is_err());
    }
}
