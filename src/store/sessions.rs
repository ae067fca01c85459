//! The owner's browser sessions, in the `oauth` tree under
//! `session \0 sha256(cookie)`. Like OAuth tokens, only the hash is kept:
//! a copied database opens no session.

use super::{codec, index_key, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WebSession {
    /// `token_hash` of the cookie value; the record's own key.
    pub token_hash: String,
    /// Must accompany every form posted in this session. Not a secret on
    /// its own (it opens nothing without the cookie), so kept as is.
    pub csrf: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

fn session_key(hash: &str) -> Vec<u8> {
    index_key("session", &[hash.as_bytes()])
}

impl Store {
    pub fn put_session(&self, s: &WebSession) -> Result<()> {
        self.oauth
            .insert(session_key(&s.token_hash), codec::encode(s))?;
        Ok(())
    }

    /// The session for a cookie's hash, if it exists and has not expired.
    pub fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<WebSession>> {
        match self.oauth.get(session_key(token_hash))? {
            Some(v) => {
                let s: WebSession = codec::decode(&v)?;
                Ok((s.expires_at_ms > now_ms).then_some(s))
            }
            None => Ok(None),
        }
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.oauth.remove(session_key(token_hash))?;
        Ok(())
    }

    /// Removes expired sessions, and every other one when `keep_only` is
    /// given (after a password change). One owner has few sessions, so a
    /// prefix scan is cheap.
    pub fn prune_sessions(&self, now_ms: i64, keep_only: Option<&str>) -> Result<()> {
        let mut prefix = index_key("session", &[]);
        prefix.push(0);
        for kv in self.oauth.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let s: WebSession = codec::decode(&v)?;
            let other = keep_only.is_some_and(|h| h != s.token_hash);
            if s.expires_at_ms <= now_ms || other {
                self.oauth.remove(k)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(hash: &str, expires: i64) -> WebSession {
        WebSession {
            token_hash: hash.into(),
            csrf: "c".into(),
            created_at_ms: 0,
            expires_at_ms: expires,
        }
    }

    #[test]
    fn sessions_expire_and_prune() {
        let store = Store::temporary().unwrap();
        store.put_session(&session("a", 100)).unwrap();
        store.put_session(&session("b", 200)).unwrap();
        store.put_session(&session("c", 300)).unwrap();
        assert!(store.session("a", 50).unwrap().is_some());
        assert!(store.session("a", 100).unwrap().is_none());
        store.prune_sessions(150, None).unwrap();
        assert!(store.session("a", 0).unwrap().is_none());
        store.prune_sessions(150, Some("c")).unwrap();
        assert!(store.session("b", 0).unwrap().is_none());
        assert!(store.session("c", 0).unwrap().is_some());
        store.delete_session("c").unwrap();
        assert!(store.session("c", 0).unwrap().is_none());
    }
}
