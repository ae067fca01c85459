//! The apps the owner has let in: the tokens granted through the
//! authorize page, grouped by app, and revoking all of an app's tokens
//! at once (Mastodon's "Authorized apps" page).
//!
//! Tokens are checked against the store on every request, so a revoked
//! token fails with 401 on the very next one; its open streams are told
//! and close.

use super::{durable, OpError, OpResult};
use crate::state::AppState;
use serde::Serialize;

/// One app with the tokens the owner granted it.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizedApp {
    pub client_id: String,
    pub name: String,
    pub website: Option<String>,
    /// Every scope granted to any of its tokens, in first-seen order.
    pub scopes: Vec<String>,
    /// How many live tokens it holds (one per login on a device).
    pub tokens: usize,
    /// When the oldest live token was granted.
    pub first_granted_ms: i64,
    /// When the newest live token was granted. Use of a token is not
    /// recorded: that would be a disk write per API request.
    pub last_granted_ms: i64,
}

/// Apps holding tokens that act for the owner, most recently granted
/// first. Tokens an app got for itself (`client_credentials`) grant no
/// access to the owner's data and are not listed.
pub fn list(state: &AppState) -> OpResult<Vec<AuthorizedApp>> {
    let mut apps: Vec<AuthorizedApp> = Vec::new();
    for t in state.store.tokens()? {
        if t.account_id.is_none() {
            continue;
        }
        let i = match apps.iter().position(|a| a.client_id == t.client_id) {
            Some(i) => i,
            None => {
                let app = state.store.app(&t.client_id)?;
                apps.push(AuthorizedApp {
                    client_id: t.client_id.clone(),
                    name: app
                        .as_ref()
                        .map(|a| a.name.clone())
                        .unwrap_or_else(|| "(an app no longer registered)".into()),
                    website: app.and_then(|a| a.website).filter(|w| !w.is_empty()),
                    scopes: Vec::new(),
                    tokens: 0,
                    first_granted_ms: t.created_at_ms,
                    last_granted_ms: t.created_at_ms,
                });
                apps.len() - 1
            }
        };
        let a = &mut apps[i];
        a.tokens += 1;
        a.first_granted_ms = a.first_granted_ms.min(t.created_at_ms);
        a.last_granted_ms = a.last_granted_ms.max(t.created_at_ms);
        for s in t.scopes {
            if !a.scopes.contains(&s) {
                a.scopes.push(s);
            }
        }
    }
    apps.sort_by_key(|a| std::cmp::Reverse(a.last_granted_ms));
    Ok(apps)
}

/// Deletes every token of the app (and their push subscriptions),
/// durably; its next request gets 401.
/// The app stays registered, so the owner can authorize it again.
pub async fn revoke(state: &AppState, client_id: &str) -> OpResult<usize> {
    let gone = state.store.delete_tokens_of_app(client_id)?;
    let n = gone.len();
    if n == 0 {
        return Err(OpError::NotFound(
            "This app holds no access any more; reload the settings page.".into(),
        ));
    }
    // Push subscriptions hang off tokens; the push worker would drop
    // them at the next notification, but they go now.
    for t in &gone {
        state.store.delete_push_subscription(&t.token_hash)?;
    }
    durable(state).await?;
    super::oauth::announce_revoked(state, &gone);
    tracing::info!("revoked {n} token(s) of app {client_id}");
    Ok(n)
}
