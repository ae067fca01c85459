//! The one-time setup page: the owner picks a username, display name and
//! password. The link's token is single-use and lives only in memory.

use crate::http::error::PageError;
use crate::ops::{setup, OpError};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    username: String,
    #[serde(default)]
    display_name: String,
    password: String,
}

fn refuse_token(state: &AppState) -> PageError {
    if state.is_set_up() {
        PageError::new(
            StatusCode::GONE,
            "Already set up",
            "This server already has its owner. The setup link works only once.",
        )
    } else {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Setup link not valid",
            "This setup link is wrong or was used already. Restart Burrow to print a new one.",
        )
    }
}

fn form_page(
    state: &AppState,
    token: &str,
    username: &str,
    display_name: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let html = state
        .templates
        .render(
            "setup.html",
            minijinja::context! {
                token => token, username => username, display_name => display_name,
                error => error, host => state.urls.host,
                local_warning => local_warning(state),
            },
        )
        .map_err(PageError::internal)?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(html)).into_response())
}

/// The warning about a public URL nobody else can reach, if it is one.
fn local_warning(state: &AppState) -> Option<String> {
    setup::public_url_is_local(&state.urls.base).then(|| setup::local_url_warning(&state.urls.base))
}

pub async fn form(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    let token = q.token.unwrap_or_default();
    if state.is_set_up() || !state.setup_token_valid(&token) {
        return Err(refuse_token(&state));
    }
    form_page(&state, &token, "", "", None)
}

pub async fn submit(
    State(state): State<AppState>,
    Form(f): Form<SetupForm>,
) -> Result<Response, PageError> {
    if state.is_set_up() || !state.setup_token_valid(&f.token) {
        return Err(refuse_token(&state));
    }
    let new = setup::NewOwner {
        username: f.username.trim().to_string(),
        display_name: f.display_name.clone(),
        password: f.password,
    };
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let key = st.keygen.generate();
        setup::create_owner(&st.store, &st.urls, &new, key)
    })
    .await
    .map_err(PageError::internal)?;
    match result {
        Ok(account) => {
            state.consume_setup_token();
            tracing::info!("owner @{} created through the setup page", account.username);
            // The owner is logged in at once, and shown what to do next.
            let cookie = super::session::open_session(&state).await?;
            let handle = format!("@{}@{}", account.username, state.urls.host);
            let html = state
                .templates
                .render(
                    "setup_done.html",
                    minijinja::context! {
                        handle => handle,
                        server => state.urls.host,
                        profile_url => account.url,
                        local_warning => local_warning(&state),
                    },
                )
                .map_err(PageError::internal)?;
            let mut res = Html(html).into_response();
            res.headers_mut()
                .insert(axum::http::header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(OpError::Invalid(msg)) => form_page(
            &state,
            &f.token,
            f.username.trim(),
            &f.display_name,
            Some(&msg),
        ),
        Err(e) => Err(e.into()),
    }
}
