//! The `meta` tree: schema version, the owner's secrets, instance settings.

use super::{accounts::Account, codec, index_key, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, Transactional};

/// Version of the on-disk layout this binary writes. Each bump adds a step
/// to `migrate`.
pub const SCHEMA_VERSION: u32 = 4;

pub(super) const KEY_SCHEMA: &[u8] = b"schema_version";
pub(super) const KEY_OWNER: &[u8] = b"owner";

/// The one local person: identity secrets kept apart from the public
/// `Account` record so no serializer can leak them by accident.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Owner {
    pub account_id: u64,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// RSA private key, PKCS#8 DER; signs every outbound request.
    pub private_key_pkcs8: Vec<u8>,
    pub created_at_ms: i64,
}

/// Brings an older data directory up to `SCHEMA_VERSION`, one step at a time.
pub(super) fn migrate(store: &Store) -> Result<()> {
    let found = match store.meta.get(KEY_SCHEMA)? {
        Some(v) => codec::decode::<u32>(&v)?,
        None => 0,
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    // Version 0 → 1: a new, empty store. Nothing to move.
    // Version 1 → 2: direct statuses stored before conversations existed
    // are in none; file them, so the owner's old DMs are listed too. (On
    // a new store the direct timeline is empty and this costs one scan.)
    if found < 2 {
        let filed = store.file_unfiled_direct()?;
        if filed > 0 {
            tracing::info!("filed {filed} direct status(es) into conversations");
        }
    }
    // Version 2 → 3: hosts have one written form (`crate::host`); domain
    // blocks saved with a trailing dot or an IDN in Unicode are rewritten
    // into it, or they would never match.
    if found < 3 {
        let changed = store.normalize_domain_blocks()?;
        if changed > 0 {
            tracing::info!("rewrote {changed} domain block(s) in the normalised form");
        }
    }
    // Version 3 → 4: push subscriptions no longer keep their raw access
    // token (see `store::push`); rewrite them without it.
    if found < 4 {
        let n = store.forget_push_tokens()?;
        if n > 0 {
            tracing::info!("removed the stored access token of {n} push subscription(s)");
        }
    }
    // Future steps go here as `if found < N { … }`.
    if found < SCHEMA_VERSION {
        // The steps' writes and the version reach the disk together, so a
        // store never claims a step it didn't finish; a crash before this
        // reruns the steps, which skip what they did already.
        store
            .meta
            .insert(KEY_SCHEMA, codec::encode(&SCHEMA_VERSION))?;
        store.db.flush()?;
    }
    Ok(())
}

impl Store {
    pub fn schema_version(&self) -> Result<u32> {
        Ok(match self.meta.get(KEY_SCHEMA)? {
            Some(v) => codec::decode(&v)?,
            None => 0,
        })
    }

    pub fn owner(&self) -> Result<Option<Owner>> {
        match self.meta.get(KEY_OWNER)? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The owner's account id, without decoding the owner's secrets: read
    /// paths ask it for every status they show. Remembered once found, as
    /// the owner's account never changes after setup (a password change
    /// rewrites the record with the same id).
    pub fn owner_account_id(&self) -> Result<Option<u64>> {
        if let Some(id) = self.owner_account.get() {
            return Ok(Some(*id));
        }
        let id = self.owner()?.map(|o| o.account_id);
        if let Some(id) = id {
            let _ = self.owner_account.set(id);
        }
        Ok(id)
    }

    /// Stores the owner and their account in one transaction; refuses when
    /// an owner exists already, so nothing is ever overwritten.
    pub fn create_owner(&self, owner: &Owner, account: &Account) -> Result<()> {
        let owner_bytes = codec::encode(owner);
        let account_bytes = codec::encode(account);
        let id = account.id.to_be_bytes();
        let uri_key = index_key("account_uri", &[account.uri.as_bytes()]);
        let acct_key = index_key("acct", &[account.acct_key().as_bytes()]);
        (&self.meta, &self.accounts, &self.index).transaction(|(meta, accounts, index)| {
            if meta.get(KEY_OWNER)?.is_some() {
                return Err(ConflictableTransactionError::Abort(StoreError::Conflict(
                    "this data directory already has an owner".into(),
                )));
            }
            meta.insert(KEY_OWNER, owner_bytes.clone())?;
            accounts.insert(&id, account_bytes.clone())?;
            index.insert(uri_key.clone(), &id)?;
            index.insert(acct_key.clone(), &id)?;
            Ok(())
        })?;
        Ok(())
    }

    /// Replaces the owner's secrets (password change, key rotation).
    pub fn update_owner(&self, owner: &Owner) -> Result<()> {
        self.meta.insert(KEY_OWNER, codec::encode(owner))?;
        Ok(())
    }
}
