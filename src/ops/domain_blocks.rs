//! Blocking whole servers. A blocked domain's activities are dropped at
//! the inbox; its accounts show `domain_blocking` in relationships; its
//! followers and the owner's follows of it end with the block, and
//! nothing is delivered there any more (checked again at delivery).
//! Hiding its statuses from timelines is the timelines' job
//! (`Store::is_domain_blocked`).

use super::{durable, owner_account, OpError, OpResult};
use crate::state::AppState;
use crate::store::domain_blocks::{covers, DomainBlock};
use crate::store::relations::Rel;
use crate::time_fmt::now_ms;

/// `https://Bad.Example./` → `bad.example`, `bücher.example` →
/// `xn--bcher-kva.example`: a scheme and trailing slash are forgiven, and
/// the host is written as `crate::host` writes every host. Refuses what
/// is not a host.
pub fn normalize(input: &str) -> OpResult<String> {
    let trimmed = input.trim();
    let lower = trimmed.to_lowercase();
    let bare = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .unwrap_or(&lower)
        .trim_end_matches('/');
    let host = if bare.contains(['/', '@', '?', '#']) {
        None
    } else {
        crate::host::normalize(bare)
    };
    host.ok_or_else(|| {
        OpError::Invalid(format!(
            "Validation failed: `{trimmed}` is not a domain name (give one like `example.social`)"
        ))
    })
}

/// Blocks a domain. Its followers and follow requests, and the owner's
/// follows of its accounts, end in the same transaction (as on
/// Mastodon): followers-only posts must not reach a server the owner
/// blocked. Nothing is sent there to say so.
pub async fn block(state: &AppState, domain: &str) -> OpResult<()> {
    let d = normalize(domain)?;
    if crate::host::normalize(&state.urls.host).is_some_and(|own| covers(&d, &own)) {
        return Err(OpError::Invalid(
            "Validation failed: this server's own domain can't be blocked".into(),
        ));
    }
    let owner = owner_account(state)?;
    let mut ended = Vec::new();
    for rel in [
        Rel::FollowedBy,
        Rel::RequestedBy,
        Rel::Following,
        Rel::Requested,
    ] {
        for id in state.store.relation_accounts(rel)? {
            let on_domain = state
                .store
                .account(id)?
                .and_then(|a| a.domain)
                .is_some_and(|host| covers(&d, &host));
            if on_domain && !ended.iter().any(|(e, _)| *e == id) {
                ended.push((id, state.store.lists_for_account(id)?));
            }
        }
    }
    let b = DomainBlock {
        id: state.store.next_id(),
        created_at_ms: now_ms(),
    };
    state.store.transact(|tx| {
        tx.block_domain(&d, &b)?;
        for (id, lists) in &ended {
            tx.remove_follows(owner.id, *id)?;
            tx.remove_from_lists(*id, lists)?;
        }
        Ok(())
    })?;
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
        assert_eq!(normalize("BAD.example.").unwrap(), "bad.example");
        assert_eq!(normalize("HTTPS://bad.example:443").unwrap(), "bad.example");
        assert_eq!(
            normalize("Bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(normalize("127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert!(normalize("").is_err());
        assert!(normalize("a b").is_err());
        assert!(normalize("user@host").is_err());
        assert!(normalize("host/path").is_err());
        assert!(normalize("bad.example..").is_err());
    }
}
