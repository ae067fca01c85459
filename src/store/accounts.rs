//! Accounts: the owner's and every remote actor we know of.
//!
//! Keyed by id in `accounts`; the `index` tree maps `account_uri \0 URI`
//! and `acct \0 user@host` (lower case) to the id.

use super::{codec, index_key, Result, Store, Tx, TxResult, T};
use serde::{Deserialize, Serialize};

/// A profile field (`PropertyValue` in ActivityPub, `fields` in the API).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Field {
    pub name: String,
    /// HTML, sanitised.
    pub value: String,
    pub verified_at_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Account {
    pub id: u64,
    pub username: String,
    /// `None` for the local owner, the host (with port) for remote actors.
    pub domain: Option<String>,
    /// ActivityPub actor id.
    pub uri: String,
    /// Profile page for people.
    pub url: String,
    pub display_name: String,
    /// Bio as HTML (sanitised for remote actors, rendered for the owner).
    pub note: String,
    /// The owner's bio as typed, for editing.
    pub note_source: String,
    pub fields: Vec<Field>,
    /// Avatar and header image URLs; empty means the default image.
    pub avatar: String,
    pub header: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    /// The owner's followers and following are not shown to others
    /// (Mastodon's `hide_collections`).
    pub hide_collections: bool,
    pub created_at_ms: i64,
    pub inbox: String,
    pub shared_inbox: String,
    pub outbox: String,
    pub followers_url: String,
    pub following_url: String,
    pub featured_url: String,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub also_known_as: Vec<String>,
    pub moved_to: Option<String>,
    pub followers_count: u64,
    pub following_count: u64,
    pub statuses_count: u64,
    pub last_status_at_ms: Option<i64>,
    /// When a remote actor was last fetched; 0 for the owner.
    pub fetched_at_ms: i64,
    /// Custom emoji its name, bio and fields may name (remote actors).
    pub emojis: Vec<super::emojis::CustomEmoji>,
}

impl Account {
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }

    /// `user@host` for remote accounts, `user` for the owner (as Mastodon's `acct`).
    pub fn acct(&self) -> String {
        match &self.domain {
            Some(d) => format!("{}@{}", self.username, d),
            None => self.username.clone(),
        }
    }

    /// Case-folded key for the `acct` index.
    pub fn acct_key(&self) -> String {
        self.acct().to_lowercase()
    }
}

impl Store {
    pub fn account(&self, id: u64) -> Result<Option<Account>> {
        match self.accounts.get(id.to_be_bytes())? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn account_by_uri(&self, uri: &str) -> Result<Option<Account>> {
        match self
            .index
            .get(index_key("account_uri", &[uri.as_bytes()]))?
        {
            Some(id) => self.account(be_u64(&id)),
            None => Ok(None),
        }
    }

    /// Looks up `user` (the owner) or `user@host`, ignoring case; the host
    /// may be written any way `crate::host` reads (`Bücher.example.` finds
    /// `user@xn--bcher-kva.example`).
    pub fn account_by_acct(&self, acct: &str) -> Result<Option<Account>> {
        let acct = match acct.rsplit_once('@') {
            Some((user, host)) => match crate::host::normalize(host) {
                Some(h) => format!("{user}@{h}"),
                None => acct.to_string(),
            },
            None => acct.to_string(),
        };
        let key = index_key("acct", &[acct.to_lowercase().as_bytes()]);
        match self.index.get(key)? {
            Some(id) => self.account(be_u64(&id)),
            None => Ok(None),
        }
    }

    /// Inserts or replaces an account and its index entries.
    pub fn put_account(&self, account: &Account) -> Result<()> {
        let id = account.id.to_be_bytes();
        self.accounts.insert(id, codec::encode(account))?;
        self.index
            .insert(index_key("account_uri", &[account.uri.as_bytes()]), &id)?;
        self.index
            .insert(index_key("acct", &[account.acct_key().as_bytes()]), &id)?;
        Ok(())
    }

    /// The owner's public account, if set up.
    pub fn owner_account(&self) -> Result<Option<Account>> {
        match self.owner()? {
            Some(o) => self.account(o.account_id),
            None => Ok(None),
        }
    }
}

impl Tx<'_> {
    /// `Store::put_account` as one step of a larger transaction (a Move
    /// marks the old account and moves the owner's follow together).
    pub fn put_account(&self, account: &Account) -> TxResult<()> {
        let id = account.id.to_be_bytes();
        self.put_rec(T::Accounts, &id, account)?;
        self.put(
            T::Index,
            &index_key("account_uri", &[account.uri.as_bytes()]),
            &id,
        )?;
        self.put(
            T::Index,
            &index_key("acct", &[account.acct_key().as_bytes()]),
            &id,
        )
    }
}

/// Reads a big-endian `u64` key or value; short input reads as zero-padded.
pub fn be_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[8 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    u64::from_be_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_found_by_id_uri_and_acct() {
        let store = Store::temporary().unwrap();
        let a = Account {
            id: store.next_id(),
            username: "Alice".into(),
            domain: Some("remote.example".into()),
            uri: "https://remote.example/users/alice".into(),
            ..Default::default()
        };
        store.put_account(&a).unwrap();
        assert_eq!(store.account(a.id).unwrap().unwrap(), a);
        assert_eq!(store.account_by_uri(&a.uri).unwrap().unwrap().id, a.id);
        assert_eq!(
            store
                .account_by_acct("alice@REMOTE.example")
                .unwrap()
                .unwrap()
                .id,
            a.id
        );
        assert!(store
            .account_by_acct("bob@remote.example")
            .unwrap()
            .is_none());
    }

    #[test]
    fn an_idn_acct_is_found_however_its_host_is_written() {
        let store = Store::temporary().unwrap();
        let a = Account {
            id: store.next_id(),
            username: "carl".into(),
            domain: crate::host::of_url("https://bücher.example/users/carl"),
            uri: "https://xn--bcher-kva.example/users/carl".into(),
            ..Default::default()
        };
        store.put_account(&a).unwrap();
        for acct in [
            "carl@bücher.example",
            "carl@Bücher.Example.",
            "carl@xn--bcher-kva.example",
        ] {
            let found = store.account_by_acct(acct).unwrap();
            assert_eq!(found.map(|f| f.id), Some(a.id), "{acct}");
        }
    }
}
