//! OAuth apps, authorization codes and tokens, in the `oauth` tree.
//!
//! Keys are `kind \0 …`: `app \0 client_id`, `code \0 sha256(code)`,
//! `token \0 sha256(token)`, `refresh \0 sha256(refresh token)`. Codes and
//! tokens are kept only as hashes, so a copied database grants nothing;
//! client secrets likewise, compared in constant time.
//!
//! The signing key of the authorize page's hidden field lives in `meta`.

use super::{codec, index_key, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

const KEY_FORM_SECRET: &[u8] = b"oauth_form_secret";

/// A registered client application.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct App {
    pub id: u64,
    pub name: String,
    pub website: Option<String>,
    /// Scopes the app may ask for, as registered.
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub client_id: String,
    /// `token_hash` of the client secret.
    pub client_secret_hash: String,
    pub created_at_ms: i64,
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Code {
    pub client_id: String,
    pub account_id: u64,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// PKCE challenge as sent; empty when the app did not use PKCE.
    pub code_challenge: String,
    /// `S256` or `plain`.
    pub code_challenge_method: String,
    pub expires_at_ms: i64,
}

/// An access token (and the refresh token issued with it, if any).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Token {
    pub client_id: String,
    /// `None` for `client_credentials` tokens, which act for the app alone.
    pub account_id: Option<u64>,
    pub scopes: Vec<String>,
    pub created_at_ms: i64,
    /// `token_hash` of the access token; the record's own key.
    pub token_hash: String,
    /// `token_hash` of the refresh token issued alongside, if any.
    pub refresh_hash: Option<String>,
}

fn app_key(client_id: &str) -> Vec<u8> {
    index_key("app", &[client_id.as_bytes()])
}
fn code_key(hash: &str) -> Vec<u8> {
    index_key("code", &[hash.as_bytes()])
}
fn token_key(hash: &str) -> Vec<u8> {
    index_key("token", &[hash.as_bytes()])
}
fn refresh_key(hash: &str) -> Vec<u8> {
    index_key("refresh", &[hash.as_bytes()])
}

fn insert_token(
    tree: &TransactionalTree,
    token: &Token,
) -> std::result::Result<(), sled::transaction::UnabortableTransactionError> {
    tree.insert(token_key(&token.token_hash), codec::encode(token))?;
    if let Some(r) = &token.refresh_hash {
        tree.insert(refresh_key(r), token.token_hash.as_bytes())?;
    }
    Ok(())
}

fn remove_token(
    tree: &TransactionalTree,
    token: &Token,
) -> std::result::Result<(), sled::transaction::UnabortableTransactionError> {
    tree.remove(token_key(&token.token_hash))?;
    if let Some(r) = &token.refresh_hash {
        tree.remove(refresh_key(r))?;
    }
    Ok(())
}

impl Store {
    pub fn put_app(&self, app: &App) -> Result<()> {
        self.oauth
            .insert(app_key(&app.client_id), codec::encode(app))?;
        Ok(())
    }

    pub fn app(&self, client_id: &str) -> Result<Option<App>> {
        match self.oauth.get(app_key(client_id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn put_code(&self, code_hash: &str, code: &Code) -> Result<()> {
        self.oauth
            .insert(code_key(code_hash), codec::encode(code))?;
        Ok(())
    }

    /// Removes and returns a code: whoever takes it first wins, so a code
    /// works once even when two requests race.
    pub fn take_code(&self, code_hash: &str) -> Result<Option<Code>> {
        match self.oauth.remove(code_key(code_hash))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn put_token(&self, token: &Token) -> Result<()> {
        self.oauth.transaction(|t| {
            insert_token(t, token)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(())
    }

    pub fn token(&self, token_hash: &str) -> Result<Option<Token>> {
        match self.oauth.get(token_key(token_hash))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The token a refresh token was issued with.
    pub fn token_by_refresh(&self, refresh_hash: &str) -> Result<Option<Token>> {
        match self.oauth.get(refresh_key(refresh_hash))? {
            Some(access) => self.token(&String::from_utf8_lossy(&access)),
            None => Ok(None),
        }
    }

    /// Replaces `old` by `new` in one step; `false` (and nothing changed)
    /// when `old` is already gone, so a refresh token works once.
    pub fn rotate_token(&self, old: &Token, new: &Token) -> Result<bool> {
        let done = self.oauth.transaction(|t| {
            if t.get(token_key(&old.token_hash))?.is_none() {
                return Ok(false);
            }
            remove_token(t, old)?;
            insert_token(t, new)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(true)
        })?;
        Ok(done)
    }

    /// Deletes a token and its refresh token.
    pub fn delete_token(&self, token: &Token) -> Result<()> {
        self.oauth.transaction(|t| {
            remove_token(t, token)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(())
    }

    /// Every access token. The owner grants a handful (one per app and
    /// device), so a scan of the `token` keys is cheap and needs no index.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        self.oauth
            .scan_prefix(index_key("token", &[b""]))
            .map(|kv| codec::decode(&kv?.1))
            .collect()
    }

    /// Deletes every token (and refresh token) issued to an app, in one
    /// step; returns the tokens deleted.
    pub fn delete_tokens_of_app(&self, client_id: &str) -> Result<Vec<Token>> {
        let tokens: Vec<Token> = self
            .tokens()?
            .into_iter()
            .filter(|t| t.client_id == client_id)
            .collect();
        self.oauth.transaction(|t| {
            for token in &tokens {
                remove_token(t, token)?;
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(tokens)
    }

    /// Stores the owner's new secrets and, in the same step, ends every
    /// grant made under the old password: every access and refresh token,
    /// every unspent authorization code, every push subscription (they
    /// hang off tokens) and every browser session but `keep_session` (the
    /// one making the change). Returns the tokens deleted, so their open
    /// streams can be closed.
    pub fn replace_owner_and_sign_out(
        &self,
        owner: &super::Owner,
        keep_session: Option<&str>,
    ) -> Result<Vec<Token>> {
        let tokens = self.tokens()?;
        let mut doomed = Vec::new();
        for prefix in ["code", "push", "session"] {
            for kv in self.oauth.scan_prefix(index_key(prefix, &[b""])) {
                let (k, _) = kv?;
                let kept = keep_session
                    .is_some_and(|h| k.as_ref() == index_key("session", &[h.as_bytes()]));
                if !kept {
                    doomed.push(k);
                }
            }
        }
        let owner_bytes = codec::encode(owner);
        (&self.meta, &self.oauth).transaction(|(meta, oauth)| {
            meta.insert(super::meta::KEY_OWNER, owner_bytes.clone())?;
            for token in &tokens {
                remove_token(oauth, token)?;
            }
            for k in &doomed {
                oauth.remove(k)?;
            }
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        Ok(tokens)
    }

    /// The key that signs the authorize page's hidden field, made on first
    /// use. Kept in the store so a restart does not void open forms.
    pub fn oauth_form_secret(&self) -> Result<Vec<u8>> {
        if let Some(v) = self.meta.get(KEY_FORM_SECRET)? {
            return Ok(v.to_vec());
        }
        let fresh = crate::crypto::random_bytes::<32>();
        // Two first requests may race; the one that lands first wins and
        // both use its key.
        let _ =
            self.meta
                .compare_and_swap(KEY_FORM_SECRET, None as Option<&[u8]>, Some(&fresh[..]))?;
        self.meta.flush()?;
        Ok(self
            .meta
            .get(KEY_FORM_SECRET)?
            .map(|v| v.to_vec())
            .unwrap_or_else(|| fresh.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(hash: &str, refresh: Option<&str>) -> Token {
        Token {
            client_id: "c".into(),
            account_id: Some(1),
            scopes: vec!["read".into()],
            token_hash: hash.into(),
            refresh_hash: refresh.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn codes_work_once() {
        let store = Store::temporary().unwrap();
        store.put_code("h", &Code::default()).unwrap();
        assert!(store.take_code("h").unwrap().is_some());
        assert!(store.take_code("h").unwrap().is_none());
    }

    #[test]
    fn rotation_replaces_token_and_refresh_once() {
        let store = Store::temporary().unwrap();
        let old = token("a", Some("ra"));
        let new = token("b", Some("rb"));
        store.put_token(&old).unwrap();
        assert_eq!(store.token_by_refresh("ra").unwrap().unwrap(), old);
        assert!(store.rotate_token(&old, &new).unwrap());
        assert!(!store.rotate_token(&old, &new).unwrap());
        assert!(store.token("a").unwrap().is_none());
        assert!(store.token_by_refresh("ra").unwrap().is_none());
        assert_eq!(store.token_by_refresh("rb").unwrap().unwrap(), new);
        store.delete_token(&new).unwrap();
        assert!(store.token("b").unwrap().is_none());
        assert!(store.token_by_refresh("rb").unwrap().is_none());
    }

    #[test]
    fn tokens_are_listed_and_deleted_per_app() {
        let store = Store::temporary().unwrap();
        store.put_token(&token("a", Some("ra"))).unwrap();
        store.put_token(&token("b", None)).unwrap();
        let other = Token {
            client_id: "other".into(),
            ..token("c", None)
        };
        store.put_token(&other).unwrap();
        store.put_code("a", &Code::default()).unwrap();
        assert_eq!(store.tokens().unwrap().len(), 3);
        assert_eq!(store.delete_tokens_of_app("c").unwrap().len(), 2);
        assert!(store.token("a").unwrap().is_none());
        assert!(store.token_by_refresh("ra").unwrap().is_none());
        assert_eq!(store.tokens().unwrap(), vec![other]);
    }

    #[test]
    fn form_secret_is_stable() {
        let store = Store::temporary().unwrap();
        let a = store.oauth_form_secret().unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(store.oauth_form_secret().unwrap(), a);
    }
}
