//! ActivityPub endpoints: the actor, its collections (and, with
//! federation, the inboxes and objects). Every GET but the actor's (which
//! peers need unsigned, to find the key they verify signatures with) goes
//! through `signed_fetch`.

mod actor;
mod collections;
mod followers_sync;
mod inbox;
mod objects;
mod quote_authorizations;
mod replies;
mod signed_fetch;

use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{name}", get(actor::actor))
        .route("/users/{name}/inbox", post(inbox::post))
        .route("/inbox", post(inbox::post))
        .route("/users/{name}/statuses/{id}", get(objects::note))
        .route(
            "/users/{name}/statuses/{id}/activity",
            get(objects::create_activity),
        )
        .route("/users/{name}/statuses/{id}/replies", get(replies::replies))
        .route(
            "/users/{name}/quote_authorizations/{id}",
            get(quote_authorizations::show),
        )
        .route("/users/{name}/outbox", get(collections::outbox))
        .route("/users/{name}/followers", get(collections::followers))
        .route(
            "/users/{name}/followers_synchronization",
            get(followers_sync::show),
        )
        .route("/users/{name}/following", get(collections::following))
        .route(
            "/users/{name}/collections/featured",
            get(collections::featured),
        )
        .route(
            "/users/{name}/collections/tags",
            get(collections::featured_tags),
        )
}

/// An ActivityPub document with the content type peers require.
pub fn activity_json(doc: serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, crate::activitypub::CONTENT_TYPE),
            (header::VARY, "Accept"),
        ],
        doc.to_string(),
    )
        .into_response()
}
