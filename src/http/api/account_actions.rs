//! What the owner does to an account: follow, unfollow, remove from
//! followers, block, mute, and a private note. Each answers with the
//! resulting `Relationship`.

use super::accounts_read::known_account;
use super::auth::Auth;
use super::entities::relationship::{relationship, RelationshipEntity};
use super::params::Params;
use crate::http::error::ApiError;
use crate::ops::{account_notes, follows};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route(
            "/api/v1/accounts/{id}/remove_from_followers",
            post(remove_from_followers),
        )
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
        .route("/api/v1/accounts/{id}/note", post(note))
}

type Answer = Result<Json<RelationshipEntity>, ApiError>;

fn answer(state: &AppState, id: u64) -> Answer {
    Ok(Json(relationship(state, id)?))
}

/// `reblogs` and `notify` as given, else what the current follow has
/// (or Mastodon's defaults for a new one).
async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Answer {
    auth.user("write:follows")?;
    let a = known_account(&state, &id)?;
    let current = relationship(&state, a.id)?;
    let existing = current.following || current.requested;
    let opts = follows::FollowOptions {
        reblogs: p
            .bool("reblogs")?
            .unwrap_or(!existing || current.showing_reblogs),
        notify: p.bool("notify")?.unwrap_or(existing && current.notifying),
    };
    follows::follow(&state, a.id, opts).await?;
    answer(&state, a.id)
}

async fn unfollow(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Answer {
    auth.user("write:follows")?;
    let a = known_account(&state, &id)?;
    follows::unfollow(&state, a.id).await?;
    answer(&state, a.id)
}

async fn remove_from_followers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Answer {
    auth.user("write:follows")?;
    let a = known_account(&state, &id)?;
    // Removing someone who does not follow is not an error in Mastodon.
    match follows::remove_from_followers(&state, a.id).await {
        Ok(_) | Err(crate::ops::OpError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    answer(&state, a.id)
}

async fn block(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Answer {
    auth.user("write:blocks")?;
    let a = known_account(&state, &id)?;
    follows::block(&state, a.id).await?;
    answer(&state, a.id)
}

async fn unblock(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Answer {
    auth.user("write:blocks")?;
    let a = known_account(&state, &id)?;
    follows::unblock(&state, a.id).await?;
    answer(&state, a.id)
}

/// `notifications` (default true) also hides their notifications;
/// `duration` in seconds, 0 or absent for ever.
async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Answer {
    auth.user("write:mutes")?;
    let a = known_account(&state, &id)?;
    let notifications = p.bool("notifications")?.unwrap_or(true);
    let duration = match p.str("duration").filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(d.trim().parse::<i64>().map_err(|_| {
            ApiError::unprocessable(format!(
                "`duration` must be a number of seconds (0 for ever), not `{d}`"
            ))
        })?),
        None => None,
    };
    follows::mute(&state, a.id, notifications, duration).await?;
    answer(&state, a.id)
}

async fn unmute(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Answer {
    auth.user("write:mutes")?;
    let a = known_account(&state, &id)?;
    follows::unmute(&state, a.id).await?;
    answer(&state, a.id)
}

async fn note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> Answer {
    auth.user("write:accounts")?;
    let a = known_account(&state, &id)?;
    let comment = p.str("comment").unwrap_or_default();
    account_notes::set_note(&state, a.id, comment.trim()).await?;
    answer(&state, a.id)
}
