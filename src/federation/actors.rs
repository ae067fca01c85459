//! Remote actors: parsing the shapes real servers send into an
//! `Account`, and fetching and storing them.
//!
//! Servers disagree on shapes (an icon may be an object, a list or a bare
//! URL; `publicKey` an object or a list; `alsoKnownAs` a string or a
//! list), so every field is read leniently and only what we can't work
//! without is required: `id`, `type`, `preferredUsername`, `inbox`.

// Actor documents come from any server: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::fetcher::{self, FetchError};
use crate::content::links::safe_url;
use crate::crypto::keys::{PublicKey, PublicKeyError};
use crate::state::AppState;
use crate::store::accounts::{Account, Field};
use crate::store::{Store, StoreError};
use serde_json::Value;

/// Actor types we follow and accept activities from.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("not a usable actor: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(what: impl Into<String>) -> ActorError {
    ActorError::Invalid(what.into())
}

/// Reads an actor document into an `Account` (id 0: not stored yet).
pub fn parse_actor(doc: &Value, now_ms: i64) -> Result<Account, ActorError> {
    let id = str_at(doc, "id").ok_or_else(|| invalid("no id"))?;
    // The account's domain (its `acct`, what domain blocks match) is the
    // host in its one written form.
    let domain = crate::host::of_url(id)
        .ok_or_else(|| invalid(format!("id `{id}` is not a URL with an http or https host")))?;
    let kind = str_at(doc, "type").unwrap_or_default();
    if !ACTOR_TYPES.contains(&kind) {
        return Err(invalid(format!("type `{kind}` is not an actor type")));
    }
    let username = str_at(doc, "preferredUsername").unwrap_or_default();
    if username.is_empty() || username.contains(['@', '/', ' ', '\n']) {
        return Err(invalid(format!(
            "preferredUsername `{username}` is unusable"
        )));
    }
    let inbox = id_of(doc.get("inbox")).ok_or_else(|| invalid("no inbox"))?;
    let (public_key_id, public_key_pem) = public_key(doc, id).unwrap_or_default();
    let shared_inbox = doc
        .get("endpoints")
        .and_then(|e| id_of(e.get("sharedInbox")))
        // Misskey also puts it at the top level.
        .or_else(|| id_of(doc.get("sharedInbox")))
        .unwrap_or_default();
    Ok(Account {
        id: 0,
        username: username.to_string(),
        domain: Some(domain),
        uri: id.to_string(),
        url: first_url(doc.get("url"))
            .or_else(|| safe_url(id))
            .unwrap_or_default(),
        display_name: crate::content::plain_name(str_at(doc, "name").unwrap_or_default()),
        note: crate::content::sanitize(str_at(doc, "summary").unwrap_or_default()),
        note_source: String::new(),
        fields: fields(doc),
        avatar: first_url(doc.get("icon")).unwrap_or_default(),
        header: first_url(doc.get("image")).unwrap_or_default(),
        locked: bool_at(doc, "manuallyApprovesFollowers"),
        bot: matches!(kind, "Service" | "Application"),
        discoverable: bool_at(doc, "discoverable"),
        indexable: bool_at(doc, "indexable"),
        created_at_ms: str_at(doc, "published")
            .and_then(crate::time_fmt::parse_rfc3339_ms)
            .unwrap_or(now_ms),
        inbox,
        shared_inbox,
        outbox: id_of(doc.get("outbox")).unwrap_or_default(),
        followers_url: id_of(doc.get("followers")).unwrap_or_default(),
        following_url: id_of(doc.get("following")).unwrap_or_default(),
        featured_url: id_of(doc.get("featured")).unwrap_or_default(),
        public_key_id,
        public_key_pem,
        also_known_as: ids_of(doc.get("alsoKnownAs")),
        moved_to: id_of(doc.get("movedTo")),
        fetched_at_ms: now_ms,
        emojis: super::emoji::parse_emojis(doc.get("tag")),
        ..Default::default()
    })
}

/// Stores a freshly parsed actor, keeping the id (and the counts we keep
/// ourselves) when its URI is already known. Not flushed: a lost cache
/// entry is refetched, and the write that needs it (a follow, a status)
/// flushes anyway.
pub fn upsert_actor(store: &Store, mut fresh: Account) -> Result<Account, ActorError> {
    match store.account_by_uri(&fresh.uri)? {
        Some(old) if old.is_local() => {
            return Err(invalid(format!(
                "{} is a local account; it is never replaced from outside",
                fresh.uri
            )))
        }
        Some(old) => {
            fresh.id = old.id;
            fresh.followers_count = old.followers_count;
            fresh.following_count = old.following_count;
            fresh.statuses_count = old.statuses_count;
            fresh.last_status_at_ms = old.last_status_at_ms;
        }
        None => fresh.id = store.next_id(),
    }
    store.put_account(&fresh)?;
    Ok(fresh)
}

/// Parses and stores an actor document already checked to come from its
/// `id`.
pub fn store_actor(state: &AppState, doc: &Value) -> Result<Account, ActorError> {
    let parsed = parse_actor(doc, crate::time_fmt::now_ms())?;
    upsert_actor(&state.store, parsed)
}

/// Fetches the actor at `url` (signed by the owner when there is one),
/// checks its `id`, and stores it.
pub async fn fetch_actor(state: &AppState, url: &str) -> Result<Account, ActorError> {
    let doc = fetcher::fetch_object(state, url).await?;
    store_actor(state, &doc.json)
}

/// Finds `user@host` through WebFinger and fetches that actor.
pub async fn resolve_acct(state: &AppState, acct: &str) -> Result<Account, ActorError> {
    let url = state.fetcher.webfinger(acct).await?;
    fetch_actor(state, url.as_str()).await
}

/// The actor's own key: the `publicKey` entry (object or one of a list)
/// whose owner is the actor, with a PEM we can read.
fn public_key(doc: &Value, actor_id: &str) -> Option<(String, String)> {
    let keys: Vec<&Value> = match doc.get("publicKey")? {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    keys.into_iter().find_map(|k| {
        let owner = str_at(k, "owner");
        if owner.is_some_and(|o| o != actor_id) {
            return None;
        }
        let id = str_at(k, "id")?;
        let pem = str_at(k, "publicKeyPem")?;
        // A key too short to trust is kept all the same: verification
        // then refuses it by name, instead of reporting a missing key.
        if PublicKey::parse_pem(pem) == Err(PublicKeyError::Unreadable) {
            return None;
        }
        Some((id.to_string(), pem.to_string()))
    })
}

/// `attachment` entries of type `PropertyValue` (profile fields).
fn fields(doc: &Value) -> Vec<Field> {
    let list: Vec<&Value> = match doc.get("attachment") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return Vec::new(),
    };
    list.into_iter()
        .filter(|a| str_at(a, "type") == Some("PropertyValue"))
        .filter_map(|a| {
            Some(Field {
                name: crate::content::plain_name(str_at(a, "name")?),
                value: crate::content::sanitize(str_at(a, "value").unwrap_or_default()),
                verified_at_ms: None,
            })
        })
        .collect()
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn bool_at(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A link given as a bare string or as an object with an `id`.
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// A string or a list of strings (or of objects with ids).
fn ids_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| id_of(Some(x))).collect(),
        other => id_of(other).into_iter().collect(),
    }
}

/// The first safe URL (see `content::links`) in an image or link value: a
/// string, an `Image`/`Link` object (`url` or `href`, themselves possibly
/// nested), or a list. Anything else a peer put there is dropped here,
/// so it never reaches a page as a link or an image.
fn first_url(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => safe_url(s),
        Value::Array(a) => a.iter().find_map(|x| first_url(Some(x))),
        Value::Object(o) => first_url(o.get("url")).or_else(|| first_url(o.get("href"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_safe_addresses_are_kept_from_an_actor() {
        let doc = json!({
            "id": "https://remote.example/users/eve",
            "type": "Person",
            "preferredUsername": "eve",
            "inbox": "https://remote.example/users/eve/inbox",
            "url": [" javascript:alert(1)", { "type": "Link", "href": "data:text/html,x" }],
            "icon": ["vbscript:x", { "type": "Image", "url": "https://remote.example/a.png" }],
            "image": { "type": "Image", "url": "JAVASCRIPT:alert(1)" },
        });
        let a = parse_actor(&doc, 0).unwrap();
        assert_eq!(a.url, "https://remote.example/users/eve");
        assert_eq!(a.avatar, "https://remote.example/a.png");
        assert_eq!(a.header, "");
    }
}
