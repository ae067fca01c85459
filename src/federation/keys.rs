//! Finding the public key behind a signature's `keyId`, and verifying a
//! signed inbound request end to end.
//!
//! A key is trusted only when its owner actor, fetched from the actor's
//! own URL, names that `keyId` as its key: a key document (GoToSocial's
//! `/main-key`, standalone `Key` objects) only tells us where to look.

use super::actors::{self, ActorError};
use super::fetcher::{owner_signer, FetchError};
use super::signatures::{self, SignatureError};
use crate::crypto::keys::{PublicKey, PublicKeyError};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::StoreError;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A signature that fails with the stored key makes us refetch the
/// signer's actor (the key may have rotated), but at most this often per
/// actor, so forged requests can't make us hammer a server.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Entries kept in each in-memory map below; past it the map is emptied
/// (everything in it can be fetched again), which bounds memory.
pub const KEY_MEMO_CAPACITY: usize = 4096;
/// Key fetches one host may cause in a burst. Any stranger can name any
/// URL as a `keyId` in a request that only looks signed, so every fetch
/// for a key we don't know is paid from the host's allowance.
pub const KEY_FETCH_BURST: u32 = 20;
/// One more key fetch per host is allowed each this often (20 a minute
/// once the burst is spent; peers answered 429 deliver again later).
pub const KEY_FETCH_REFILL: Duration = Duration::from_secs(3);
/// Hosts whose allowance is remembered. Hosts with a full allowance are
/// forgotten first; when every entry is in use, new hosts wait.
pub const KEY_FETCH_HOSTS: usize = 1024;

/// Small in-memory memory of key look-ups, held by the `Fetcher`.
#[derive(Default)]
pub struct KeyMemo {
    /// `keyId` → owner actor URI, for keys whose id isn't `actor#frag`
    /// (GoToSocial's `…/main-key`), so they don't cost a fetch each time.
    owners: Mutex<HashMap<String, String>>,
    /// Actor URI → when we last refetched it because of a bad signature.
    refetched: Mutex<HashMap<String, Instant>>,
    /// Host → what is left of its allowance of key fetches.
    fetch_allowance: Mutex<HashMap<String, Allowance>>,
}

/// A token bucket: `KEY_FETCH_BURST` fetches, one more per
/// `KEY_FETCH_REFILL`.
#[derive(Clone, Copy, Debug)]
struct Allowance {
    left: u32,
    /// When `left` was last topped up.
    at: Instant,
}

impl Allowance {
    fn full(now: Instant) -> Allowance {
        Allowance {
            left: KEY_FETCH_BURST,
            at: now,
        }
    }

    fn top_up(&mut self, now: Instant) {
        let refills = now.saturating_duration_since(self.at).as_millis()
            / KEY_FETCH_REFILL.as_millis().max(1);
        let refills = u32::try_from(refills).unwrap_or(u32::MAX);
        if refills > 0 {
            self.left = self.left.saturating_add(refills).min(KEY_FETCH_BURST);
            self.at = if self.left == KEY_FETCH_BURST {
                now
            } else {
                self.at + KEY_FETCH_REFILL * refills
            };
        }
    }
}

impl KeyMemo {
    fn owner_of(&self, key_id: &str) -> Option<String> {
        lock(&self.owners).get(key_id).cloned()
    }

    fn remember_owner(&self, key_id: &str, owner: &str) {
        let mut map = lock(&self.owners);
        if map.len() >= KEY_MEMO_CAPACITY {
            map.clear();
        }
        map.insert(key_id.to_string(), owner.to_string());
    }

    /// True (and counted) when a key may be fetched from `host` now.
    fn may_fetch_from(&self, host: &str, now: Instant) -> bool {
        let mut map = lock(&self.fetch_allowance);
        if !map.contains_key(host) && map.len() >= KEY_FETCH_HOSTS {
            map.retain(|_, a| {
                a.top_up(now);
                a.left < KEY_FETCH_BURST
            });
            if map.len() >= KEY_FETCH_HOSTS {
                return false;
            }
        }
        let a = map
            .entry(host.to_string())
            .or_insert_with(|| Allowance::full(now));
        a.top_up(now);
        match a.left.checked_sub(1) {
            Some(left) => {
                a.left = left;
                true
            }
            None => false,
        }
    }

    /// True (and noted) when `actor` may be refetched now.
    fn may_refetch(&self, actor: &str, now: Instant) -> bool {
        let mut map = lock(&self.refetched);
        if map.len() >= KEY_MEMO_CAPACITY {
            map.retain(|_, t| now.duration_since(*t) < REFETCH_INTERVAL);
        }
        match map.get(actor) {
            Some(t) if now.duration_since(*t) < REFETCH_INTERVAL => false,
            _ => {
                map.insert(actor.to_string(), now);
                true
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot fetch key {key_id}: {source}")]
    Fetch { key_id: String, source: FetchError },
    #[error("cannot use the owner of key {key_id}: {source}")]
    Actor { key_id: String, source: ActorError },
    #[error("actor {owner} does not claim key {key_id}")]
    NotClaimed { key_id: String, owner: String },
    #[error("key {0} is not an RSA public key we can read")]
    BadKey(String),
    #[error("key {key_id} is refused: {reason}")]
    Refused {
        key_id: String,
        reason: PublicKeyError,
    },
    #[error("too many keys were fetched from {0} lately; send again later")]
    RateLimited(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an inbound request was not accepted as signed. Both kinds mean
/// 401 for the peer; the message says which.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The key named `key_id` and the account owning it: from the store when
/// known, otherwise fetched (and the owner stored).
pub async fn resolve_key(state: &AppState, key_id: &str) -> Result<(PublicKey, Account), KeyError> {
    if let Some(account) = known_owner(state, key_id)? {
        return key_of(account, key_id);
    }
    fetch_key(state, key_id).await
}

/// Fetches the key's owner again, ignoring what is stored, unless it was
/// refetched less than `REFETCH_INTERVAL` ago (then `None`).
pub async fn refetch_key(
    state: &AppState,
    key_id: &str,
) -> Result<Option<(PublicKey, Account)>, KeyError> {
    let actor = match known_owner(state, key_id)? {
        Some(a) => a.uri,
        None => without_fragment(key_id).to_string(),
    };
    if !state.fetcher.keys.may_refetch(&actor, Instant::now()) {
        return Ok(None);
    }
    fetch_key(state, key_id).await.map(Some)
}

/// Verifies a signed inbound request and returns the signer's account.
///
/// Cheap checks (header coverage, digest, date) run before any key is
/// fetched. A signature that fails with the stored key gets one refetch
/// (rate-limited) in case the key rotated. The caller must still check
/// that the signer is the activity's actor.
pub async fn verify_request(
    state: &AppState,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Account, VerifyError> {
    let req = signatures::Request {
        method,
        scheme: if state.urls.https() { "https" } else { "http" },
        path_and_query,
        headers,
        body,
    };
    let checked = signatures::check(&req, SystemTime::now())?;
    let (key, account) = resolve_key(state, &checked.key_id).await?;
    let first = match checked.verify(&key) {
        Ok(()) => return Ok(account),
        Err(e) => e,
    };
    match refetch_key(state, &checked.key_id).await {
        Ok(Some((key, account))) => {
            checked.verify(&key)?;
            Ok(account)
        }
        Ok(None) => Err(first.into()),
        Err(e) => {
            tracing::debug!("refetching {} failed: {e}", checked.key_id);
            Err(first.into())
        }
    }
}

fn without_fragment(key_id: &str) -> &str {
    key_id.split('#').next().unwrap_or(key_id)
}

/// A stored account that names `key_id` as its key.
fn known_owner(state: &AppState, key_id: &str) -> Result<Option<Account>, KeyError> {
    let mut candidates = vec![without_fragment(key_id).to_string()];
    candidates.extend(state.fetcher.keys.owner_of(key_id));
    for uri in candidates {
        if let Some(a) = state.store.account_by_uri(&uri)? {
            if a.public_key_id == key_id && !a.public_key_pem.is_empty() {
                return Ok(Some(a));
            }
        }
    }
    Ok(None)
}

fn key_of(account: Account, key_id: &str) -> Result<(PublicKey, Account), KeyError> {
    let key = PublicKey::parse_pem(&account.public_key_pem).map_err(|reason| match reason {
        PublicKeyError::Unreadable => KeyError::BadKey(key_id.to_string()),
        reason => KeyError::Refused {
            key_id: key_id.to_string(),
            reason,
        },
    })?;
    Ok((key, account))
}

/// Fetches the document at `key_id`, finds its owner, and trusts the key
/// only as the owner's own actor document states it.
async fn fetch_key(state: &AppState, key_id: &str) -> Result<(PublicKey, Account), KeyError> {
    let doc_url = without_fragment(key_id);
    let fetch_err = |source| KeyError::Fetch {
        key_id: key_id.to_string(),
        source,
    };
    let actor_err = |source| KeyError::Actor {
        key_id: key_id.to_string(),
        source,
    };
    let host = crate::host::of_url(doc_url)
        .ok_or_else(|| fetch_err(FetchError::BadUrl(doc_url.to_string())))?;
    if !state.fetcher.keys.may_fetch_from(&host, Instant::now()) {
        return Err(KeyError::RateLimited(host));
    }
    let signer = owner_signer(state);
    let doc = state
        .fetcher
        .fetch_unchecked(doc_url, signer.as_ref())
        .await
        .map_err(fetch_err)?;
    let owner = key_owner(&doc.json, key_id).unwrap_or_else(|| doc_url.to_string());
    // When the key document is the owner itself, served from its own id
    // without redirects, it is already the actor document; else fetch it.
    let served_from_id =
        doc.id() == Some(doc_url) && url::Url::parse(doc_url).is_ok_and(|u| u == doc.url);
    let account = if owner == doc_url && served_from_id {
        actors::store_actor(state, &doc.json).map_err(actor_err)?
    } else {
        actors::fetch_actor(state, &owner)
            .await
            .map_err(actor_err)?
    };
    if account.public_key_id != key_id {
        return Err(KeyError::NotClaimed {
            key_id: key_id.to_string(),
            owner: account.uri,
        });
    }
    if account.uri != doc_url {
        state.fetcher.keys.remember_owner(key_id, &account.uri);
    }
    key_of(account, key_id)
}

/// Who a key document says owns `key_id`: a standalone key's `owner`, or
/// the `owner` of the matching `publicKey` entry, or the document's `id`.
fn key_owner(doc: &Value, key_id: &str) -> Option<String> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if str_of(doc, "id").as_deref() == Some(key_id) {
        if let Some(owner) = str_of(doc, "owner") {
            return Some(owner);
        }
    }
    let keys: Vec<&Value> = match doc.get("publicKey") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    keys.into_iter()
        .find(|k| str_of(k, "id").as_deref() == Some(key_id))
        .and_then(|k| str_of(k, "owner"))
        .or_else(|| str_of(doc, "id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_fetches_per_host_are_a_token_bucket() {
        let memo = KeyMemo::default();
        let t0 = Instant::now();
        for _ in 0..KEY_FETCH_BURST {
            assert!(memo.may_fetch_from("a.example", t0));
        }
        assert!(!memo.may_fetch_from("a.example", t0));
        assert!(memo.may_fetch_from("b.example", t0), "hosts apart");
        // One more per refill period, never more than the burst.
        assert!(!memo.may_fetch_from("a.example", t0 + KEY_FETCH_REFILL / 2));
        assert!(memo.may_fetch_from("a.example", t0 + KEY_FETCH_REFILL));
        assert!(!memo.may_fetch_from("a.example", t0 + KEY_FETCH_REFILL));
        let later = t0 + KEY_FETCH_REFILL * 1000;
        for _ in 0..KEY_FETCH_BURST {
            assert!(memo.may_fetch_from("a.example", later));
        }
        assert!(!memo.may_fetch_from("a.example", later));
    }

    #[test]
    fn the_host_map_is_bounded_and_keeps_hosts_in_debt() {
        let memo = KeyMemo::default();
        let t0 = Instant::now();
        for i in 0..KEY_FETCH_HOSTS {
            assert!(memo.may_fetch_from(&format!("h{i}.example"), t0));
        }
        // Every host has spent from its allowance: a new one waits, so a
        // flood of names can't wipe the others' debts.
        assert!(!memo.may_fetch_from("new.example", t0));
        // Once their allowances are full again, they are forgotten.
        assert!(memo.may_fetch_from("new.example", t0 + KEY_FETCH_REFILL));
        assert_eq!(lock(&memo.fetch_allowance).len(), 1);
    }
}
