//! The owner's private notes on accounts (the Relationship's `note`), in
//! `relations` under `account_note \0 ACCOUNT` → the text.

use super::{index_key, Result, Store};

fn key(account: u64) -> Vec<u8> {
    index_key("account_note", &[&account.to_be_bytes()])
}

impl Store {
    /// The note on an account; empty when there is none.
    pub fn account_note(&self, account: u64) -> Result<String> {
        Ok(self
            .relations
            .get(key(account))?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default())
    }

    /// Sets (or, with an empty text, removes) the note on an account.
    pub fn set_account_note(&self, account: u64, text: &str) -> Result<()> {
        if text.is_empty() {
            self.relations.remove(key(account))?;
        } else {
            self.relations.insert(key(account), text.as_bytes())?;
        }
        Ok(())
    }
}
