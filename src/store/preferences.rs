//! The owner's posting defaults and the text they typed into their
//! profile fields, in `meta`. Kept apart from the public `Account` record,
//! which holds only what peers and apps see.

use super::{accounts::Account, codec, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, Transactional};

const KEY_PREFERENCES: &[u8] = b"preferences";

/// A profile field as the owner typed it (the account holds the HTML).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FieldSource {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Preferences {
    /// Default visibility of new posts: public, unlisted, private, direct.
    pub privacy: String,
    /// Mark new posts' media sensitive by default.
    pub sensitive: bool,
    /// ISO 639 code of the default post language; empty when unset.
    pub language: String,
    pub fields_source: Vec<FieldSource>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            privacy: "public".into(),
            sensitive: false,
            language: String::new(),
            fields_source: Vec::new(),
        }
    }
}

impl Store {
    pub fn preferences(&self) -> Result<Preferences> {
        match self.meta.get(KEY_PREFERENCES)? {
            Some(v) => codec::decode(&v),
            None => Ok(Preferences::default()),
        }
    }

    /// Saves the owner's account record and preferences together. The
    /// account's uri and acct never change here, so its index entries stay.
    pub fn save_profile(&self, account: &Account, prefs: &Preferences) -> Result<()> {
        let account_bytes = codec::encode(account);
        let prefs_bytes = codec::encode(prefs);
        let id = account.id.to_be_bytes();
        let _writing = self.writing();
        (&self.meta, &self.accounts).transaction(|(meta, accounts)| {
            accounts.insert(&id, account_bytes.clone())?;
            meta.insert(KEY_PREFERENCES, prefs_bytes.clone())?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(())
    }
}
