//! Web Push subscriptions, in the `oauth` tree under `push \0 token hash`
//! (Mastodon allows one subscription per access token), and the server's
//! VAPID key pair, in `meta`.
//!
//! Like the rest of the `oauth` tree, a subscription keeps only the hash
//! of its access token, so a copied database grants nothing. Mastodon's
//! push payload carries the raw token (`access_token`), which some apps
//! use to tell which of their accounts a notification is for; Burrow
//! sends that field empty instead. An app already knows which account it
//! subscribed for (one subscription per token, at a push endpoint of its
//! own), while a stored bearer token would open the owner's account to
//! anyone holding a copy of the data directory or a backup.
//!
//! Stores written before schema 3 kept the raw token; the migration to
//! schema 3 rewrites every subscription without it (`forget_push_tokens`)
//! rather than deleting them, so apps keep receiving notifications.
//!
//! The subscription goes when the app deletes it, re-subscribes, or its
//! token is revoked or refreshed (noticed at the next notification; apps
//! subscribe again with their new token).

use super::{codec, index_key, Result, Store};
use serde::{Deserialize, Serialize};

const KEY_VAPID: &[u8] = b"vapid_key";
const PREFIX: &str = "push";

/// Which notification types a subscription wants pushed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PushAlerts {
    pub mention: bool,
    pub status: bool,
    pub reblog: bool,
    pub follow: bool,
    pub follow_request: bool,
    pub favourite: bool,
    pub poll: bool,
    pub update: bool,
    pub admin_sign_up: bool,
    pub admin_report: bool,
}

impl PushAlerts {
    /// Mastodon's alert names, as apps send and read them.
    pub const NAMES: [&'static str; 10] = [
        "mention",
        "status",
        "reblog",
        "follow",
        "follow_request",
        "favourite",
        "poll",
        "update",
        "admin.sign_up",
        "admin.report",
    ];

    /// The switch for a notification type; `None` for types that are
    /// never pushed (moves, severed relationships…).
    pub fn get_mut(&mut self, kind: &str) -> Option<&mut bool> {
        Some(match kind {
            "mention" => &mut self.mention,
            "status" => &mut self.status,
            "reblog" => &mut self.reblog,
            "follow" => &mut self.follow,
            "follow_request" => &mut self.follow_request,
            "favourite" => &mut self.favourite,
            "poll" => &mut self.poll,
            "update" => &mut self.update,
            "admin.sign_up" => &mut self.admin_sign_up,
            "admin.report" => &mut self.admin_report,
            _ => return None,
        })
    }

    /// Whether a notification of type `kind` is pushed.
    pub fn allows(&self, kind: &str) -> bool {
        self.clone().get_mut(kind).is_some_and(|b| *b)
    }
}

/// From whom notifications are pushed (Mastodon's `policy`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PushPolicy {
    #[default]
    All,
    /// Accounts the owner follows.
    Followed,
    /// Accounts that follow the owner.
    Follower,
    None,
}

impl PushPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPolicy::All => "all",
            PushPolicy::Followed => "followed",
            PushPolicy::Follower => "follower",
            PushPolicy::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<PushPolicy> {
        Some(match s {
            "all" => PushPolicy::All,
            "followed" => PushPolicy::Followed,
            "follower" => PushPolicy::Follower,
            "none" => PushPolicy::None,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PushSubscription {
    pub id: u64,
    /// `token_hash` of the access token it belongs to; the record's key.
    pub token_hash: String,
    /// Where messages are POSTed (the push service).
    pub endpoint: String,
    /// The subscriber's P-256 public key, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// The subscriber's 16-byte authentication secret.
    pub auth: Vec<u8>,
    pub alerts: PushAlerts,
    pub policy: PushPolicy,
    pub created_at_ms: i64,
    /// `subscription[standard]`: the app reads RFC 8291 `aes128gcm`.
    /// Otherwise (the default, as Mastodon) messages go out in the legacy
    /// `aesgcm` coding, the only one most phone apps decrypt.
    pub standard: bool,
}

/// The VAPID key pair (RFC 8292) that signs our requests to push services.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct VapidKey {
    /// ECDSA P-256 private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// Uncompressed public point (65 bytes), what apps subscribe with.
    pub public_key: Vec<u8>,
}

fn key(token_hash: &str) -> Vec<u8> {
    index_key(PREFIX, &[token_hash.as_bytes()])
}

impl Store {
    /// Stores a subscription, replacing any other of the same token.
    pub fn put_push_subscription(&self, sub: &PushSubscription) -> Result<()> {
        self.oauth
            .insert(key(&sub.token_hash), codec::encode(sub))?;
        Ok(())
    }

    pub fn push_subscription(&self, token_hash: &str) -> Result<Option<PushSubscription>> {
        match self.oauth.get(key(token_hash))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Removes a token's subscription; `false` when it had none.
    pub fn delete_push_subscription(&self, token_hash: &str) -> Result<bool> {
        Ok(self.oauth.remove(key(token_hash))?.is_some())
    }

    /// Removes a subscription only if it is still the one with `id`, so a
    /// late failure of an old subscription can't remove its replacement.
    pub fn delete_push_subscription_if(&self, token_hash: &str, id: u64) -> Result<bool> {
        let k = key(token_hash);
        let Some(old) = self.oauth.get(&k)? else {
            return Ok(false);
        };
        let sub: PushSubscription = codec::decode(&old)?;
        if sub.id != id {
            return Ok(false);
        }
        Ok(self
            .oauth
            .compare_and_swap(&k, Some(old), None as Option<&[u8]>)?
            .is_ok())
    }

    /// Rewrites every subscription without the raw access token earlier
    /// versions kept (decoding ignores the old field, encoding leaves it
    /// out); returns how many were rewritten.
    pub(super) fn forget_push_tokens(&self) -> Result<usize> {
        let mut prefix = PREFIX.as_bytes().to_vec();
        prefix.push(0);
        let mut n = 0;
        for kv in self.oauth.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let sub: PushSubscription = codec::decode(&v)?;
            self.oauth.insert(k, codec::encode(&sub))?;
            n += 1;
        }
        Ok(n)
    }

    /// Every subscription (one per token that asked; a handful at most).
    pub fn push_subscriptions(&self) -> Result<Vec<PushSubscription>> {
        let mut prefix = PREFIX.as_bytes().to_vec();
        prefix.push(0);
        self.oauth
            .scan_prefix(prefix)
            .map(|kv| codec::decode(&kv?.1))
            .collect()
    }

    /// The VAPID key, made by `make` on first use and kept for good: apps
    /// subscribe with its public half, so a new key would orphan every
    /// subscription.
    pub fn vapid_key(&self, make: impl FnOnce() -> VapidKey) -> Result<VapidKey> {
        if let Some(v) = self.meta.get(KEY_VAPID)? {
            return codec::decode(&v);
        }
        let fresh = codec::encode(&make());
        // Two first uses may race; the first stored wins for both.
        let _ =
            self.meta
                .compare_and_swap(KEY_VAPID, None as Option<&[u8]>, Some(fresh.clone()))?;
        self.meta.flush()?;
        match self.meta.get(KEY_VAPID)? {
            Some(v) => codec::decode(&v),
            None => codec::decode(&fresh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SCHEMA_VERSION;

    fn sub(token: &str, id: u64) -> PushSubscription {
        PushSubscription {
            id,
            token_hash: token.into(),
            endpoint: format!("https://push.example/{id}"),
            ..Default::default()
        }
    }

    #[test]
    fn one_subscription_per_token_and_guarded_removal() {
        let s = Store::temporary().unwrap();
        s.put_push_subscription(&sub("a", 1)).unwrap();
        s.put_push_subscription(&sub("a", 2)).unwrap();
        s.put_push_subscription(&sub("b", 3)).unwrap();
        let all = s.push_subscriptions().unwrap();
        assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![2, 3]);
        assert!(!s.delete_push_subscription_if("a", 1).unwrap());
        assert!(s.delete_push_subscription_if("a", 2).unwrap());
        assert!(s.push_subscription("a").unwrap().is_none());
        assert!(s.delete_push_subscription("b").unwrap());
        assert!(!s.delete_push_subscription("b").unwrap());
        assert!(s.push_subscriptions().unwrap().is_empty());
    }

    /// A subscription as schema 2 stored it, raw token included.
    #[derive(Serialize)]
    struct OldSubscription {
        id: u64,
        token_hash: String,
        access_token: String,
        endpoint: String,
    }

    #[test]
    fn upgrading_to_schema_3_forgets_raw_tokens_and_keeps_subscriptions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 4 << 20).unwrap();
        let old = OldSubscription {
            id: 7,
            token_hash: "h".into(),
            access_token: "raw-bearer-token".into(),
            endpoint: "https://push.example/1".into(),
        };
        store.oauth.insert(key("h"), codec::encode(&old)).unwrap();
        store
            .meta
            .insert(super::super::meta::KEY_SCHEMA, codec::encode(&2u32))
            .unwrap();
        store.flush_sync().unwrap();
        drop(store);

        let store = Store::open(dir.path(), 4 << 20).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let raw = store.oauth.get(key("h")).unwrap().unwrap();
        assert!(!raw.windows(16).any(|w| w == b"raw-bearer-token"));
        let sub = store.push_subscription("h").unwrap().unwrap();
        assert_eq!(
            (sub.id, sub.endpoint.as_str()),
            (7, "https://push.example/1")
        );
    }

    #[test]
    fn alerts_and_policies_use_mastodon_names() {
        let mut a = PushAlerts::default();
        for name in PushAlerts::NAMES {
            assert!(!a.allows(name));
            *a.get_mut(name).unwrap() = true;
            assert!(a.allows(name));
        }
        assert!(!a.allows("move"));
        for p in ["all", "followed", "follower", "none"] {
            assert_eq!(PushPolicy::parse(p).unwrap().as_str(), p);
        }
    }

    #[test]
    fn vapid_key_is_made_once() {
        let s = Store::temporary().unwrap();
        let k = s
            .vapid_key(|| VapidKey {
                pkcs8: vec![1],
                public_key: vec![2],
            })
            .unwrap();
        let again = s.vapid_key(|| panic!("a key exists")).unwrap();
        assert_eq!(k, again);
        assert_eq!(again.public_key, vec![2]);
    }
}
