//! Who is fetching an ActivityPub document: the one check every
//! ActivityPub GET (objects and collections) passes through.
//!
//! With `federation.authorized_fetch` on, a GET must carry an HTTP
//! signature that verifies, or it is refused with 401 before anything is
//! read (Mastodon's secure mode). Without it, a GET may come unsigned and
//! is then a visitor's; a signature is verified only when the answer
//! depends on who asks (a private status, a page of the outbox), so a
//! public fetch costs no key lookup.
//!
//! What the fetcher may then see is the visibility gate's decision
//! (`ops::visibility`), asked with the `Viewer` found here.

use crate::federation::keys;
use crate::http::error::ApiError;
use crate::ops::visibility::{self, Viewer};
use crate::state::AppState;
use crate::store::statuses::Status;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};

/// Mastodon's words for an unsigned GET in secure mode.
pub const NOT_SIGNED: &str = "Request not signed";

/// A GET of an ActivityPub document, with its signer once known.
pub struct SignedFetch {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    /// `None` until asked for (or, with authorized fetch, checked on
    /// arrival): verifying costs an RSA check and maybe a key fetch.
    viewer: Option<Viewer>,
}

impl SignedFetch {
    /// Who is asking: the signer when the request carries a signature
    /// that verifies, else a visitor. Verified at most once per request.
    pub async fn viewer(&mut self, state: &AppState) -> Viewer {
        if let Some(v) = &self.viewer {
            return v.clone();
        }
        let v = self.signer(state).await.unwrap_or(Viewer::Anonymous);
        self.viewer = Some(v.clone());
        v
    }

    /// Whether the one asking may see `s`, by the visibility gate. A
    /// status any visitor may see needs no signature checked first.
    pub async fn may_see(&mut self, state: &AppState, s: &Status) -> crate::store::Result<bool> {
        if self.viewer.is_none() && visibility::may_see(state, &Viewer::Anonymous, s)? {
            return Ok(true);
        }
        let viewer = self.viewer(state).await;
        visibility::may_see(state, &viewer, s)
    }

    /// The verified signer, if the request is signed and it verifies.
    async fn signer(&self, state: &AppState) -> Option<Viewer> {
        let signed =
            self.headers.contains_key("signature") || self.headers.contains_key("signature-input");
        if !signed {
            return None;
        }
        match keys::verify_request(
            state,
            &self.method,
            &self.path_and_query,
            &self.headers,
            b"",
        )
        .await
        {
            Ok(account) => Some(Viewer::Remote(Box::new(account))),
            Err(e) => {
                tracing::debug!("signed GET {} not verified: {e}", self.path_and_query);
                None
            }
        }
    }
}

impl FromRequestParts<AppState> for SignedFetch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut fetch = SignedFetch {
            method: parts.method.clone(),
            // The path as the peer signed it, before any rewriting here.
            path_and_query: parts
                .extensions
                .get::<OriginalUri>()
                .map_or(&parts.uri, |o| &o.0)
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            headers: parts.headers.clone(),
            viewer: None,
        };
        if state.config.federation.authorized_fetch {
            match fetch.signer(state).await {
                Some(v) => fetch.viewer = Some(v),
                None => return Err(ApiError::new(StatusCode::UNAUTHORIZED, NOT_SIGNED)),
            }
        }
        Ok(fetch)
    }
}
