//! HTML pages: setup, the public profile, static files.

mod access;
mod accounts;
mod actions;
mod compose_form;
mod multipart_form;
mod owner;
pub mod profile;
mod reports;
pub mod session;
mod settings;
mod setup;
mod tags;
pub mod view;

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/@{name}", get(profile::page))
        .route("/@{name}/{id}", get(profile::status))
        .route("/tags/{tag}", get(tags::page))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route(
            "/authorize_interaction",
            get(accounts::authorize_interaction),
        )
        .route("/web", get(|| async { Redirect::to("/web/home") }))
        .route("/web/home", get(owner::home))
        .route("/web/local", get(owner::local))
        .route("/web/federated", get(owner::federated))
        .route("/web/notifications", get(owner::notifications))
        .route("/web/compose", get(actions::compose))
        .route(
            "/web/statuses",
            post(actions::create).layer(axum::extract::DefaultBodyLimit::max(
                compose_form::MAX_COMPOSE_BODY_BYTES,
            )),
        )
        .route("/web/statuses/{id}", get(owner::status).post(actions::act))
        .route(
            "/web/statuses/{id}/edit",
            get(actions::edit_form).post(actions::edit),
        )
        .route(
            "/web/statuses/{id}/delete",
            get(actions::delete_form).post(actions::delete),
        )
        .route("/web/search", get(accounts::search))
        .route(
            "/web/accounts/{id}",
            get(accounts::account).post(accounts::act),
        )
        .route("/web/settings", get(settings::show))
        .route(
            "/web/settings/profile",
            post(settings::save_profile).layer(axum::extract::DefaultBodyLimit::max(
                multipart_form::MAX_PROFILE_BODY_BYTES,
            )),
        )
        .route(
            "/web/settings/picture/remove",
            post(settings::remove_picture),
        )
        .route("/web/settings/password", post(settings::change_password))
        .route("/web/settings/apps/revoke", post(access::revoke_app))
        .route("/web/settings/domain_blocks", post(access::domain_block))
        .route("/web/{list}", get(web_list))
        .route("/static/{file}", get(static_file))
}

async fn home(State(state): State<AppState>) -> Response {
    match state.store.owner_account() {
        Ok(Some(a)) => Redirect::to(&format!("/@{}", a.username)).into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn static_file(Path(file): Path<String>) -> Response {
    match crate::templates::STATIC_FILES
        .iter()
        .find(|(name, _, _)| *name == file)
    {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => super::error::PageError::not_found("There is no such file.").into_response(),
    }
}

/// `/web/bookmarks`, `/web/favourites` (statuses) and `/web/followers`,
/// `/web/following`, `/web/blocks`, `/web/mutes` (accounts).
async fn web_list(
    state: State<AppState>,
    session: session::Session,
    uri: axum::extract::OriginalUri,
    Path(list): Path<String>,
    q: axum::extract::Query<profile::PageQuery>,
) -> Result<Response, super::error::PageError> {
    match list.as_str() {
        "bookmarks" | "favourites" => owner::saved(state, session, uri, Path(list), q).await,
        _ => accounts::list(state, session, uri, Path(list), q).await,
    }
}
