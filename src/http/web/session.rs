//! The owner's login in a browser: a session cookie backed by a record in
//! the store (hashed), a CSRF token per session checked on every form, and
//! the shared limit on password guesses (`ops::password_limit`).
//!
//! Every owner form is read through [`Post`], which refuses a body whose
//! `csrf` field does not match the session: a handler cannot forget it.

use crate::crypto::{random_token, secure_eq, token_hash};
use crate::http::error::PageError;
use crate::state::AppState;
use crate::store::sessions::WebSession;
use crate::time_fmt::now_ms;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// The session cookie. Its value is a random token; the store keeps only
/// its hash.
pub const SESSION_COOKIE: &str = "burrow_session";
/// A short-lived cookie holding the login form's CSRF value (there is no
/// session yet to hold it): the form must echo it.
pub const LOGIN_COOKIE: &str = "burrow_login";
/// How long a login lasts. A month: the owner's own devices, where
/// logging in again with a long password is the real cost.
pub const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;
/// How long the login form stays usable.
pub const LOGIN_FORM_LIFETIME_SECS: u64 = 3600;
/// A logged-in owner.
#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: String,
    pub csrf: String,
}

/// The value of one cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session of this request, if the cookie names a live one.
pub fn current(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let hash = token_hash(token);
    let s = state.store.session(&hash, now_ms()).ok()??;
    Some(Session {
        token_hash: hash,
        csrf: s.csrf,
    })
}

/// A cookie with the attributes every Burrow cookie has.
fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: u64) -> HeaderValue {
    let secure = if state.urls.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Where to go after a form: only paths on this site (never `//host`).
pub fn local_path(next: &str, fallback: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok { next } else { fallback }.to_string()
}

/// Pages for the owner answer a visitor with the login page.
pub struct LoginRequired(String);

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        let next =
            percent_encoding::utf8_percent_encode(&self.0, percent_encoding::NON_ALPHANUMERIC);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = LoginRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/web/home".into())
        } else {
            "/web/home".into()
        };
        current(state, &parts.headers).ok_or(LoginRequired(next))
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// The refusal of a form without its token.
pub fn csrf_refused() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "Form refused",
        "This form did not carry this session's security token (it may be old, or come from another site). Go back, reload the page and try again.",
    )
}

/// An owner's form: the session, plus the body, accepted only when its
/// `csrf` field matches the session's token.
pub struct Post<T> {
    pub session: Session,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Post<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| csrf_refused().into_response())?;
        if !secure_eq(token.csrf.as_bytes(), session.csrf.as_bytes()) {
            return Err(csrf_refused().into_response());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check your input",
                format!("The form could not be read ({e}). Go back and try again."),
            )
            .into_response()
        })?;
        Ok(Post { session, form })
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    nonce: &str,
    next: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let owner = crate::ops::owner_account(state)?;
    let html = state
        .templates
        .render(
            "login.html",
            minijinja::context! {
                csrf => nonce, next => next, error => error,
                handle => format!("@{}@{}", owner.username, state.urls.host),
            },
        )
        .map_err(PageError::internal)?;
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(
            state,
            LOGIN_COOKIE,
            nonce,
            "/login",
            LOGIN_FORM_LIFETIME_SECS,
        ),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let next = local_path(&q.next, "/web/home");
    if current(&state, &headers).is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    login_page(&state, StatusCode::OK, &random_token(), &next, None)
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut res = PageError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        crate::ops::password_limit::wait_message(wait),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !secure_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return Err(csrf_refused());
    }
    let attempt = match state.password_limiter.reserve(Instant::now()) {
        Ok(a) => a,
        Err(wait) => return Ok(too_many(wait)),
    };
    let next = local_path(&f.next, "/web/home");
    let st = state.clone();
    let password = f.password;
    let ok = tokio::task::spawn_blocking(move || {
        crate::ops::setup::check_password(&st.store, &password)
    })
    .await
    .map_err(PageError::internal)??;
    if !ok {
        attempt.failed(Instant::now());
        tracing::warn!("wrong password on the login page");
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &f.csrf,
            &next,
            Some("That password is not right."),
        );
    }
    attempt.succeeded();
    let token = random_token();
    let now = now_ms();
    let record = WebSession {
        token_hash: token_hash(&token),
        csrf: random_token(),
        created_at_ms: now,
        expires_at_ms: now + SESSION_LIFETIME_MS,
    };
    state.store.prune_sessions(now, None)?;
    state.store.put_session(&record)?;
    state.store.flush().await?;
    let mut res = Redirect::to(&next).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            SESSION_COOKIE,
            &token,
            "/",
            (SESSION_LIFETIME_MS / 1000) as u64,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, "", "/login", 0),
    );
    Ok(res)
}

/// Opens a new browser session for the owner (the setup page logs the
/// new owner in this way) and returns the cookie that carries it.
pub async fn open_session(state: &AppState) -> Result<HeaderValue, PageError> {
    let token = random_token();
    let now = now_ms();
    let record = WebSession {
        token_hash: token_hash(&token),
        csrf: random_token(),
        created_at_ms: now,
        expires_at_ms: now + SESSION_LIFETIME_MS,
    };
    state.store.put_session(&record)?;
    state.store.flush().await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &token,
        "/",
        (SESSION_LIFETIME_MS / 1000) as u64,
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    post: Post<Empty>,
) -> Result<Response, PageError> {
    state.store.delete_session(&post.session.token_hash)?;
    state.store.flush().await?;
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/web/home?x=1", "/f"), "/web/home?x=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "",
            "web",
        ] {
            assert_eq!(local_path(bad, "/f"), "/f", "{bad}");
        }
    }
}
