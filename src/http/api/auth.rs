//! Who is calling: the bearer token behind a request and its scopes.
//!
//! Handlers take `Auth` (a token is required) or `Option<Auth>` (public
//! endpoints that show more to a logged-in caller), then ask for what
//! they need:
//!
//! ```ignore
//! async fn handler(auth: Auth, …) -> Result<…, ApiError> {
//!     let owner_id = auth.user("write:statuses")?; // 403 without the scope,
//!                                                   // 422 for app-only tokens
//! ```
//!
//! Errors are Mastodon's words and statuses: 401 for a missing or unknown
//! token, 403 for a missing scope, 422 when a user is needed but the token
//! belongs to an app alone (`client_credentials`).

// The bearer header comes from anyone: no slicing by index.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use crate::http::error::ApiError;
use crate::ops::oauth::{authenticate_token, scope_covers};
use crate::ops::visibility::Viewer;
use crate::state::AppState;
use crate::store::oauth::Token;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

pub const INVALID_TOKEN: &str = "The access token is invalid";
pub const OUTSIDE_SCOPES: &str = "This action is outside the authorized scopes";
pub const NEEDS_USER: &str = "This method requires an authenticated user";

/// A valid access token.
#[derive(Clone, Debug)]
pub struct Auth {
    pub token: Token,
}

impl Auth {
    pub fn scopes(&self) -> &[String] {
        &self.token.scopes
    }

    /// The owner's account id, if the token acts for them.
    pub fn account_id(&self) -> Option<u64> {
        self.token.account_id
    }

    /// 403 unless the token carries `scope` (or a scope covering it).
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        self.require_any(&[scope])
    }

    /// 403 unless the token carries at least one of `scopes`.
    pub fn require_any(&self, scopes: &[&str]) -> Result<(), ApiError> {
        if scopes.iter().any(|s| scope_covers(&self.token.scopes, s)) {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, OUTSIDE_SCOPES))
        }
    }

    /// Who this token looks as: the owner when it acts for them, else (an
    /// app-only token) a visitor.
    pub fn viewer(&self) -> Viewer {
        match self.token.account_id {
            Some(_) => Viewer::Owner,
            None => Viewer::Anonymous,
        }
    }

    /// Checks `scope` and that the token acts for a person; returns the
    /// account id.
    pub fn user(&self, scope: &str) -> Result<u64, ApiError> {
        self.user_any(&[scope])
    }

    pub fn user_any(&self, scopes: &[&str]) -> Result<u64, ApiError> {
        self.require_any(scopes)?;
        self.token
            .account_id
            .ok_or_else(|| ApiError::unprocessable(NEEDS_USER))
    }
}

/// Who is looking, for the visibility gate (`ops::visibility`), on
/// endpoints where a token is optional: without one, a visitor; with one,
/// it must carry `scope`, and it is the owner only when it acts for them.
/// An app-only token (`client_credentials`, no account) is a visitor: any
/// app can have one without the owner's consent.
pub fn viewer(auth: &Option<Auth>, scope: &str) -> Result<Viewer, ApiError> {
    match auth {
        None => Ok(Viewer::Anonymous),
        Some(a) => {
            a.require(scope)?;
            Ok(a.viewer())
        }
    }
}

/// The bearer string of a request: `Authorization: Bearer …` (any case),
/// else the `access_token` query parameter (used by streaming and some
/// web clients).
fn bearer(parts: &Parts) -> Option<String> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some((scheme, rest)) = v.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
                return Some(rest.trim().to_string());
            }
        }
    }
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

async fn lookup(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    let Some(bearer) = bearer(parts) else {
        return Ok(None);
    };
    authenticate(state, &bearer).map(Some)
}

/// The `Auth` of a bearer string found elsewhere than `Auth` looks (the
/// streaming API also takes it from `Sec-WebSocket-Protocol`); 401 when it
/// is not one of ours.
pub fn authenticate(state: &AppState, bearer: &str) -> Result<Auth, ApiError> {
    match authenticate_token(&state.store, bearer)? {
        Some(token) => Ok(Auth { token }),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, INVALID_TOKEN)),
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        lookup(parts, state)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, INVALID_TOKEN))
    }
}

/// No token: `None`. A token that is not valid is still 401, so an app
/// learns it was logged out instead of silently seeing less.
impl OptionalFromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        lookup(parts, state).await
    }
}
