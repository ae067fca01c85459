//! Followers collection synchronisation (FEP-8fcf, as Mastodon does it),
//! so a follow that drifted after a lost Accept, Reject or Undo is
//! repaired.
//!
//! Outbound: a followers-only activity of the owner's delivered to an
//! inbox carries `Collection-Synchronization` (signed with the request):
//! the owner's followers collection, the URL of its part on the inbox's
//! server, and the digest of the followers there (XOR of the SHA-256 of
//! each follower's id, in hex). That part is served only to a signed
//! fetch from that server.
//!
//! Inbound: when a delivery from an account the owner may follow carries
//! the header for that account's followers, its digest is compared with
//! the owner's view (the owner, or nobody, follows it from here). On a
//! mismatch the part is fetched from the account's origin, after the
//! request is answered and at most once per `MIN_SYNC_INTERVAL_MS` per
//! server, and the owner's side is repaired as Mastodon's
//! `SynchronizeFollowersService` does: a follow it no longer lists ends
//! (with an Undo), a missed Accept is taken as given, and a follow the
//! owner doesn't know of is undone.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use crate::host;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The header's name (HTTP header names are case-insensitive).
pub const HEADER: &str = "collection-synchronization";
/// Longest header value read; real ones are three URLs' worth.
pub const MAX_HEADER_BYTES: usize = 4 * crate::content::links::MAX_URL_BYTES;
/// One repair per server at most this often: a server whose digest keeps
/// disagreeing costs one fetch per interval, not one per delivery.
pub const MIN_SYNC_INTERVAL_MS: i64 = 10 * 60 * 1000;
/// Servers whose last repair time is remembered; beyond it the oldest
/// are forgotten.
pub const MAX_TRACKED_HOSTS: usize = 1024;
/// Items read from a partial followers collection: a one-person server
/// looks for one id in it, so a longer list is cut, not walked.
pub const MAX_PARTIAL_ITEMS: usize = 1000;

/// The header's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncHeader {
    pub collection_id: String,
    pub url: String,
    pub digest: String,
}

/// XOR of the SHA-256 of each id, as lower-case hex (64 zeros for none).
pub fn digest<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut acc = [0u8; 32];
    for id in ids {
        let h = crate::crypto::sha256(id.as_bytes());
        for (a, b) in acc.iter_mut().zip(h.iter()) {
            *a ^= b;
        }
    }
    acc.iter().map(|b| format!("{b:02x}")).collect()
}

/// `collectionId="…", url="…", digest="…"`.
pub fn header_value(h: &SyncHeader) -> String {
    format!(
        "collectionId=\"{}\", url=\"{}\", digest=\"{}\"",
        h.collection_id, h.url, h.digest
    )
}

/// Reads the header: `key="value"` pairs separated by commas, in any
/// order; unknown keys ignored; `None` when one of the three is missing.
pub fn parse_header(raw: &str) -> Option<SyncHeader> {
    if raw.len() > MAX_HEADER_BYTES {
        return None;
    }
    let mut params: HashMap<&str, &str> = HashMap::new();
    let mut rest = raw;
    loop {
        rest = rest.trim_start_matches([' ', ',', '\t']);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        let (value, tail) = after.trim_start().strip_prefix('"')?.split_once('"')?;
        params.insert(key.trim(), value);
        rest = tail;
    }
    Some(SyncHeader {
        collection_id: params.get("collectionId")?.to_string(),
        url: params.get("url")?.to_string(),
        digest: params.get("digest")?.to_ascii_lowercase(),
    })
}

/// Ids of the owner's followers whose accounts live on `origin`'s server.
pub fn followers_on(state: &AppState, origin: &str) -> crate::store::Result<Vec<String>> {
    let mut out = Vec::new();
    for id in state.store.relation_accounts(Rel::FollowedBy)? {
        if let Some(a) = state.store.account(id)? {
            if host::same_origin(&a.uri, origin) {
                out.push(a.uri);
            }
        }
    }
    Ok(out)
}

/// Whether an activity of the owner's is addressed to their followers and
/// not to the public (itself or the object it carries).
fn followers_only(activity: &Value, owner: &Account) -> bool {
    let mut addressed = Vec::new();
    let object = activity.get("object");
    for doc in [Some(activity), object].into_iter().flatten() {
        for key in ["to", "cc"] {
            match doc.get(key) {
                Some(Value::String(s)) => addressed.push(s.as_str()),
                Some(Value::Array(a)) => addressed.extend(a.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
    }
    let public = addressed
        .iter()
        .any(|a| *a == crate::activitypub::PUBLIC || *a == "as:Public" || *a == "Public");
    !public && addressed.contains(&owner.followers_url.as_str())
}

/// The header for delivering `body` to `inbox`, when it is a
/// followers-only activity of the owner's.
pub fn outbound_header(state: &AppState, inbox: &str, body: &[u8]) -> Option<String> {
    let owner = state.store.owner_account().ok()??;
    let activity: Value = serde_json::from_slice(body).ok()?;
    if activity.get("actor").and_then(Value::as_str) != Some(owner.uri.as_str())
        || !followers_only(&activity, &owner)
    {
        return None;
    }
    let on_host = followers_on(state, inbox).ok()?;
    Some(header_value(&SyncHeader {
        collection_id: owner.followers_url.clone(),
        url: state.urls.followers_synchronization(&owner.username),
        digest: digest(on_host.iter().map(String::as_str)),
    }))
}

fn last_syncs() -> &'static Mutex<HashMap<String, i64>> {
    static LAST: OnceLock<Mutex<HashMap<String, i64>>> = OnceLock::new();
    LAST.get_or_init(Default::default)
}

/// Claims this server's repair slot; `false` when one ran too recently.
fn claim(state: &AppState, signer_host: &str, now: i64) -> bool {
    let key = format!("{} {signer_host}", state.urls.base);
    let mut last = last_syncs().lock().unwrap_or_else(|e| e.into_inner());
    if last
        .get(&key)
        .is_some_and(|t| now - t < MIN_SYNC_INTERVAL_MS)
    {
        return false;
    }
    if last.len() >= MAX_TRACKED_HOSTS {
        last.retain(|_, t| now - *t < MIN_SYNC_INTERVAL_MS);
        if last.len() >= MAX_TRACKED_HOSTS {
            last.clear();
        }
    }
    last.insert(key, now);
    true
}

/// Looks at a verified delivery's header (from `signer`): on a digest
/// that disagrees with the owner's view, a repair is started in the
/// background. Never fails the delivery.
pub fn inbound(state: &AppState, signer: &Account, raw: Option<&str>) {
    let Some(h) = raw.and_then(parse_header) else {
        return;
    };
    // Only the signer's own followers collection, listed on its server.
    if signer.followers_url.is_empty()
        || h.collection_id != signer.followers_url
        || !host::same_origin(&h.url, &signer.uri)
    {
        return;
    }
    let Ok(Some(owner)) = state.store.owner_account() else {
        return;
    };
    let follows = matches!(
        state.store.has_relation(Rel::Following, signer.id),
        Ok(true)
    );
    let mine = digest(follows.then_some(owner.uri.as_str()));
    if mine == h.digest {
        return;
    }
    let host = host::of_url(&signer.uri).unwrap_or_default();
    if !claim(state, &host, crate::time_fmt::now_ms()) {
        return;
    }
    let (state, signer) = (state.clone(), signer.clone());
    tokio::spawn(async move {
        match synchronize(&state, &signer, &h.url).await {
            Ok(done) => tracing::info!("followers of {} synchronised: {done:?}", signer.uri),
            Err(e) => tracing::info!("followers of {} not synchronised: {e}", signer.uri),
        }
    });
}

/// The ids a partial followers collection lists (its first page when it
/// is paged), at most `MAX_PARTIAL_ITEMS`, all on `origin`'s server.
async fn listed(state: &AppState, url: &str, origin: &str) -> Result<Vec<String>, String> {
    let signer = super::fetcher::owner_signer(state);
    let mut doc = state
        .fetcher
        .fetch_unchecked(url, signer.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    if !host::same_origin(doc.url.as_str(), origin) {
        return Err(format!("{url} moved off {origin}'s server"));
    }
    if let Some(first) = doc.json.get("first").cloned() {
        doc.json = match first {
            Value::String(next) if host::same_origin(&next, origin) => {
                state
                    .fetcher
                    .fetch_unchecked(&next, signer.as_ref())
                    .await
                    .map_err(|e| e.to_string())?
                    .json
            }
            Value::Object(_) => first,
            _ => return Err(format!("{url} has a first page elsewhere")),
        };
    }
    let items = doc
        .json
        .get("orderedItems")
        .or_else(|| doc.json.get("items"));
    Ok(match items {
        Some(Value::Array(a)) => a
            .iter()
            .take(MAX_PARTIAL_ITEMS)
            .filter_map(|v| super::origin::id_of(v).map(str::to_string))
            .collect(),
        _ => vec![],
    })
}

/// Repairs the owner's follow of `them` against the followers `them`'s
/// server lists at `url`.
pub async fn synchronize(
    state: &AppState,
    them: &Account,
    url: &str,
) -> Result<crate::ops::followers_sync::Repair, String> {
    let items = listed(state, url, &them.uri).await?;
    crate::ops::followers_sync::repair(state, them, &items)
        .await
        .map_err(|e| e.to_string())
}
