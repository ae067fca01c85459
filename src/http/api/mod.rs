//! The Mastodon client API (`/api/*`) and its OAuth endpoints (`/oauth/*`).
//! Mastodon's JSON shapes live only here, in `entities/`.

pub mod accounts;
pub mod apps;
pub mod auth;
pub mod bookmarks;
pub mod entities;
pub mod grouped_notifications;
pub mod instance;
pub mod instance_extras;
pub mod link_timeline;
pub mod markers;
pub mod notification_policy;
pub mod notification_requests;
pub mod notifications;
pub mod oauth;
pub mod paging;
pub mod params;
pub mod push;
pub mod streaming;

pub mod account_actions;
pub mod accounts_read;
pub mod blocks;
pub mod conversations;
pub mod endorsements;
pub mod featured_tags;
pub mod filters;
pub mod follow_requests;
pub mod lists;
pub mod media;
pub mod misc;
pub mod polls;
pub mod quotes;
pub mod reports;
pub mod scheduled_statuses;
pub mod search;
pub mod statuses;
pub mod timelines;
pub mod userinfo;

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::routing::{any, get, post};
use axum::Router;
use tower_http::cors::CorsLayer;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps", post(apps::create))
        .route(
            "/api/v1/apps/verify_credentials",
            get(apps::verify_credentials),
        )
        .route(
            "/oauth/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route(
            "/oauth/authorize/",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/api/v1/instance", get(instance::v1))
        .route("/api/v2/instance", get(instance::v2))
        .route("/api/v1/instance/peers", get(instance::peers))
        .route("/api/v1/instance/activity", get(instance::activity))
        .route("/api/v1/instance/rules", get(instance::rules))
        .route(
            "/api/v1/instance/extended_description",
            get(instance::extended_description),
        )
        .route("/api/v1/custom_emojis", get(instance::custom_emojis))
        .route(
            "/api/v1/push/subscription",
            post(push::create)
                .get(push::show)
                .put(push::update)
                .delete(push::destroy),
        )
        .merge(accounts::routes())
        .merge(accounts_read::routes())
        .merge(account_actions::routes())
        .merge(follow_requests::routes())
        .merge(blocks::routes())
        .merge(lists::routes())
        .merge(filters::routes())
        .merge(search::routes())
        .merge(misc::routes())
        .merge(featured_tags::routes())
        .merge(statuses::routes())
        .merge(timelines::routes())
        .merge(notifications::routes())
        .merge(notification_policy::routes())
        .merge(notification_requests::routes())
        .merge(markers::routes())
        .merge(bookmarks::routes())
        .merge(conversations::routes())
        .merge(polls::routes())
        .merge(quotes::routes())
        .merge(media::routes())
        .merge(streaming::routes())
        .merge(scheduled_statuses::routes())
        .merge(reports::routes())
        .merge(endorsements::routes())
        .merge(instance_extras::routes())
        .merge(userinfo::routes())
        .merge(link_timeline::routes())
        .route("/api/{*rest}", any(unknown_endpoint))
        // Browser-based apps (Elk, Phanpy) call the API from their own origin.
        .layer(CorsLayer::permissive())
}

async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("Record not found")
}
