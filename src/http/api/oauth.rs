//! The OAuth endpoints: the authorize page, the token and revoke
//! endpoints, and the RFC 8414 metadata document.
//!
//! The authorize form is protected against forgery by a signed hidden
//! field (see `ops::oauth::sign_form`), not by cookies: apps open the page
//! in web views and system browsers with all kinds of cookie policies.

use super::params::Params;
use crate::http::error::{ApiError, PageError};
use crate::ops::oauth::{
    self as ops, requested_scopes, AuthorizeRequest, FormRejection, OAuthError, OOB,
};
use crate::state::AppState;
use crate::store::oauth::App;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;
use std::time::Instant;

fn now_secs() -> i64 {
    crate::time_fmt::now_ms() / 1000
}

/// Headers for the authorize pages: never cached, never framed (a framed
/// page could trick the owner into approving). No `form-action`: the
/// approval redirects to the app's own scheme.
fn page_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// What a person reads for each scope they are asked to grant.
fn describe_scope(scope: &str) -> String {
    match scope {
        "read" => {
            "Read everything: your posts, timelines, notifications, lists and settings".into()
        }
        "write" => "Post, edit and delete, favourite and boost, and change your profile".into(),
        "follow" => "Follow, block and mute people".into(),
        "push" => "Receive push notifications".into(),
        "profile" => "See your profile".into(),
        s => match s.split_once(':') {
            Some(("read", what)) => format!("Read your {what}"),
            Some(("write", what)) => format!("Change your {what}"),
            Some(("admin", _)) => format!("Administration ({s}); Burrow has no admin API"),
            _ => s.to_string(),
        },
    }
}

fn page_error(status: StatusCode, title: &str, message: impl Into<String>) -> Response {
    page_headers(PageError::new(status, title, message).into_response())
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => page_headers((StatusCode::FOUND, [(header::LOCATION, v)]).into_response()),
        Err(_) => page_error(
            StatusCode::BAD_REQUEST,
            "Cannot return to the app",
            "The app's redirect address contains characters that cannot be used in a redirect.",
        ),
    }
}

/// Sends an error back to the app, or shows it when the app asked for
/// the out-of-band page.
fn redirect_error(req: &AuthorizeRequest, error: &str, description: &str) -> Response {
    if req.redirect_uri == OOB {
        return page_error(
            StatusCode::BAD_REQUEST,
            "Login failed",
            format!("{error}: {description}"),
        );
    }
    let mut params = vec![("error", error), ("error_description", description)];
    if !req.state.is_empty() {
        params.push(("state", req.state.as_str()));
    }
    redirect(&ops::redirect_with(&req.redirect_uri, &params))
}

/// Checks the app and redirect URI; failures are shown, never redirected
/// (an unchecked redirect URI could send the code anywhere).
fn resolve_app(state: &AppState, req: &mut AuthorizeRequest) -> Result<App, PageError> {
    let app = match state.store.app(&req.client_id) {
        Ok(Some(app)) => app,
        Ok(None) => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Unknown app",
                "The app that sent you here is not registered on this server (unknown client_id). Go back to the app and start logging in again.",
            ))
        }
        Err(e) => return Err(PageError::from(e)),
    };
    if req.redirect_uri.is_empty() && app.redirect_uris.len() == 1 {
        req.redirect_uri = app.redirect_uris[0].clone();
    }
    if !app.redirect_uris.contains(&req.redirect_uri) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Redirect address not registered",
            format!(
                "The app \u{201c}{}\u{201d} asked to return to an address it did not register. Nothing was granted. Go back to the app and try again; if this keeps happening, the app is misconfigured.",
                app.name
            ),
        ));
    }
    Ok(app)
}

struct FormView<'a> {
    app: &'a App,
    req: &'a AuthorizeRequest,
    scopes: &'a [String],
    error: Option<String>,
    status: StatusCode,
}

fn render_form(state: &AppState, v: FormView) -> Response {
    let secret = match state.store.oauth_form_secret() {
        Ok(s) => s,
        Err(e) => return PageError::from(e).into_response(),
    };
    let issued_at = now_secs();
    let sig = ops::sign_form(&secret, v.req, issued_at);
    let owner = state
        .store
        .owner_account()
        .ok()
        .flatten()
        .unwrap_or_default();
    let scopes: Vec<_> = v
        .scopes
        .iter()
        .map(|s| minijinja::context! { name => s, text => describe_scope(s) })
        .collect();
    let html = state.templates.render(
        "authorize.html",
        minijinja::context! {
            app_name => v.app.name,
            app_website => v.app.website,
            scopes => scopes,
            req => v.req,
            issued_at => issued_at,
            sig => sig,
            error => v.error,
            username => owner.username,
            host => state.urls.host,
            oob => v.req.redirect_uri == OOB,
        },
    );
    match html {
        Ok(html) => page_headers((v.status, Html(html)).into_response()),
        Err(e) => PageError::internal(e).into_response(),
    }
}

fn request_from(p: &Params) -> AuthorizeRequest {
    let s = |k: &str| p.str(k).unwrap_or_default();
    AuthorizeRequest {
        client_id: s("client_id"),
        redirect_uri: s("redirect_uri"),
        scope: p
            .str("scope")
            .or_else(|| p.str("scopes"))
            .unwrap_or_default(),
        state: s("state"),
        code_challenge: s("code_challenge"),
        code_challenge_method: s("code_challenge_method"),
    }
}

/// `GET /oauth/authorize`: the page asking the owner to approve an app.
pub async fn authorize_page(State(state): State<AppState>, p: Params) -> Response {
    let mut req = request_from(&p);
    let app = match resolve_app(&state, &mut req) {
        Ok(app) => app,
        Err(e) => return page_headers(e.into_response()),
    };
    let response_type = p.str("response_type").unwrap_or_default();
    if response_type != "code" {
        return redirect_error(
            &req,
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    let scopes = match requested_scopes(&app, Some(&req.scope)) {
        Ok(s) => s,
        Err(e) => return redirect_error(&req, e.code(), &e.to_string()),
    };
    req.scope = scopes.join(" ");
    if !req.code_challenge.is_empty() {
        if req.code_challenge_method.is_empty() {
            req.code_challenge_method = "plain".into();
        }
        if !matches!(req.code_challenge_method.as_str(), "S256" | "plain") {
            return redirect_error(
                &req,
                "invalid_request",
                "code_challenge_method must be S256 or plain.",
            );
        }
    } else {
        req.code_challenge_method.clear();
    }
    render_form(
        &state,
        FormView {
            app: &app,
            req: &req,
            scopes: &scopes,
            error: None,
            status: StatusCode::OK,
        },
    )
}

/// `POST /oauth/authorize`: the owner approved (with their password) or
/// denied.
pub async fn authorize_submit(State(state): State<AppState>, p: Params) -> Response {
    let mut req = request_from(&p);
    let issued_at = p
        .str("issued_at")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let sig = p.str("signature").unwrap_or_default();
    let secret = match state.store.oauth_form_secret() {
        Ok(s) => s,
        Err(e) => return PageError::from(e).into_response(),
    };
    match ops::verify_form(&secret, &req, issued_at, &sig, now_secs()) {
        Ok(()) => {}
        Err(FormRejection::BadSignature) => {
            return page_error(
                StatusCode::FORBIDDEN,
                "Login form not accepted",
                "This login form was not issued by this server or was altered. Go back to the app and start logging in again.",
            )
        }
        Err(FormRejection::Expired) => {
            return page_error(
                StatusCode::BAD_REQUEST,
                "Login page expired",
                "This login page is too old. Go back to the app and start logging in again.",
            )
        }
    }
    let app = match resolve_app(&state, &mut req) {
        Ok(app) => app,
        Err(e) => return page_headers(e.into_response()),
    };
    let scopes: Vec<String> = req.scope.split(' ').map(String::from).collect();
    if p.str("decision").as_deref() == Some("deny") {
        if req.redirect_uri == OOB {
            return page_error(
                StatusCode::OK,
                "Access denied",
                format!("{} was not given access to your account.", app.name),
            );
        }
        return redirect_error(&req, "access_denied", "The owner denied the request.");
    }
    let again = |error: String, status: StatusCode| {
        render_form(
            &state,
            FormView {
                app: &app,
                req: &req,
                scopes: &scopes,
                error: Some(error),
                status,
            },
        )
    };
    let attempt = match state.password_limiter.reserve(Instant::now()) {
        Ok(a) => a,
        Err(wait) => {
            return again(
                crate::ops::password_limit::wait_message(wait),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
    };
    let password = p.str("password").unwrap_or_default();
    let st = state.clone();
    let checked = tokio::task::spawn_blocking(move || {
        crate::ops::setup::check_password(&st.store, &password)
    })
    .await;
    match checked {
        Ok(Ok(true)) => attempt.succeeded(),
        Ok(Ok(false)) => {
            attempt.failed(Instant::now());
            return again(
                "That password is not right. Try again.".into(),
                StatusCode::UNAUTHORIZED,
            );
        }
        Ok(Err(e)) => return PageError::from(e).into_response(),
        Err(e) => return PageError::internal(e).into_response(),
    }
    let owner_id = match state.store.owner() {
        Ok(Some(o)) => o.account_id,
        Ok(None) => return PageError::not_found("This server has no owner yet.").into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let grant = ops::Grant {
        client_id: app.client_id.clone(),
        account_id: owner_id,
        redirect_uri: req.redirect_uri.clone(),
        scopes: scopes.clone(),
        code_challenge: req.code_challenge.clone(),
        code_challenge_method: req.code_challenge_method.clone(),
    };
    let code = match ops::issue_code(&state.store, grant) {
        Ok(c) => c,
        Err(e) => return PageError::from(e).into_response(),
    };
    if let Err(e) = state.store.flush().await {
        return PageError::from(e).into_response();
    }
    if req.redirect_uri == OOB {
        let html = state.templates.render(
            "authorize.html",
            minijinja::context! { app_name => app.name, code => code, username => "", host => state.urls.host },
        );
        return match html {
            Ok(html) => page_headers(Html(html).into_response()),
            Err(e) => PageError::internal(e).into_response(),
        };
    }
    let mut params = vec![("code", code.as_str())];
    if !req.state.is_empty() {
        params.push(("state", req.state.as_str()));
    }
    redirect(&ops::redirect_with(&req.redirect_uri, &params))
}

/// An RFC 6749 error response.
pub struct TokenError(OAuthError);

impl From<OAuthError> for TokenError {
    fn from(e: OAuthError) -> Self {
        TokenError(e)
    }
}

impl From<crate::store::StoreError> for TokenError {
    fn from(e: crate::store::StoreError) -> Self {
        TokenError(OAuthError::Store(e))
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::Store(e) => {
                tracing::error!("internal error at the token endpoint: {e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let description = match &self.0 {
            OAuthError::Store(_) => {
                "internal server error; the server log has the details".to_string()
            }
            e => e.to_string(),
        };
        let mut res = (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "error": self.0.code(), "error_description": description })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth\""),
            );
        }
        res
    }
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part
/// form-urlencoded) or, failing that, from the parameters.
fn client_credentials_of(headers: &HeaderMap, p: &Params) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((dec(id), dec(secret)))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (p.str("client_id"), p.str("client_secret")),
    }
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, TokenError> {
    let (client_id, secret) = client_credentials_of(&headers, &p);
    let grant_type = p
        .str("grant_type")
        .filter(|g| !g.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("the grant_type parameter is required".into()))?;
    let store = &state.store;
    let issued = match grant_type.as_str() {
        "authorization_code" => {
            let code = p.str("code").filter(|c| !c.is_empty()).ok_or_else(|| {
                OAuthError::InvalidRequest("the code parameter is required".into())
            })?;
            let verifier = p.str("code_verifier");
            // Without a secret only a PKCE-bound code can be exchanged.
            let app = ops::authenticate_client(
                store,
                client_id.as_deref(),
                secret.as_deref(),
                verifier.is_some(),
            )?;
            let authenticated = secret.as_deref().is_some_and(|s| !s.is_empty());
            ops::exchange_code(
                store,
                &app,
                &code,
                p.str("redirect_uri").as_deref(),
                verifier.as_deref(),
                authenticated,
            )?
        }
        "client_credentials" => {
            let app =
                ops::authenticate_client(store, client_id.as_deref(), secret.as_deref(), false)?;
            ops::client_credentials(store, &app, p.str("scope").as_deref())?
        }
        "refresh_token" => {
            let app =
                ops::authenticate_client(store, client_id.as_deref(), secret.as_deref(), false)?;
            let refresh = p
                .str("refresh_token")
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    OAuthError::InvalidRequest("the refresh_token parameter is required".into())
                })?;
            ops::refresh(store, &app, &refresh, p.str("scope").as_deref())?
        }
        _ => return Err(OAuthError::UnsupportedGrantType.into()),
    };
    store.flush().await?;
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scopes.join(" "),
        "created_at": issued.created_at_ms / 1000,
    });
    if let Some(r) = issued.refresh_token {
        body["refresh_token"] = json!(r);
    }
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response())
}

/// `POST /oauth/revoke` (RFC 7009): 200 `{}` whether or not the token
/// existed.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    p: Params,
) -> Result<Response, TokenError> {
    let (client_id, secret) = client_credentials_of(&headers, &p);
    let app =
        ops::authenticate_client(&state.store, client_id.as_deref(), secret.as_deref(), false)?;
    let token = p
        .str("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("the token parameter is required".into()))?;
    let revoked = ops::revoke(&state.store, &app, &token).map_err(|e| match e {
        crate::ops::OpError::Store(e) => TokenError(OAuthError::Store(e)),
        other => TokenError(OAuthError::InvalidRequest(other.to_string())),
    })?;
    state.store.flush().await?;
    ops::announce_revoked(&state, revoked.as_slice());
    Ok(Json(json!({})).into_response())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let base = &state.urls.base;
    Ok(Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "scopes_supported": ops::SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256", "plain"],
    }))
    .into_response())
}
