//! The things a person or a peer does, one function each, called alike by
//! the Mastodon API, the web UI, the command line and the inbox worker.
//! An operation validates, changes the store, flushes what must be durable,
//! and only then reports success.

pub mod backup;
pub mod backup_format;
pub mod doctor;
pub mod media;
pub mod oauth;
pub mod password_limit;
pub mod profile;
pub mod profile_images;
pub mod prune;
pub mod setup;

/// Why an operation refused; the HTTP layer maps each kind to a status.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The caller sent something unacceptable; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Internal(String),
}

pub type OpResult<T> = Result<T, OpError>;

pub mod followers_sync;
pub mod follows;
pub mod hiding;
pub mod import;
pub mod inbound;
pub mod interactions;
pub mod moving;
pub mod notification_groups;
pub mod notification_policy;
pub mod notification_requests;
pub mod poll_ends;
pub mod polls;
pub mod quotes;
pub mod reports;
pub mod scheduled;
pub mod statuses;
pub mod visibility;

use crate::state::AppState;
use crate::store::accounts::Account;

/// The owner's account, or the error every action gives before setup.
pub fn owner_account(state: &AppState) -> OpResult<Account> {
    state
        .store
        .owner_account()?
        .ok_or_else(|| OpError::Forbidden("this server is not set up yet".into()))
}

/// Applies an operation's writes and queues the deliveries it owes in one
/// transaction, makes both durable, then wakes the delivery worker.
pub(crate) async fn commit<R>(
    state: &AppState,
    jobs: &[crate::store::queue::DeliveryJob],
    f: impl Fn(&crate::store::Tx) -> crate::store::TxResult<R>,
) -> OpResult<R> {
    let now = crate::time_fmt::now_ms();
    let r = state.store.transact(|tx| {
        let r = f(tx)?;
        for j in jobs {
            tx.enqueue_delivery(j, now)?;
        }
        Ok(r)
    })?;
    durable(state).await?;
    if !jobs.is_empty() {
        wake_delivery(state);
    }
    Ok(r)
}

/// Wakes the delivery worker after jobs were queued.
pub(crate) fn wake_delivery(state: &AppState) {
    state.delivery_wake.notify_one();
}

/// Makes a write durable before the caller reports success.
pub(crate) async fn durable(state: &AppState) -> OpResult<()> {
    state.store.flush().await?;
    Ok(())
}

pub(crate) fn emit(state: &AppState, event: crate::events::Event) {
    // No receiver is fine: nobody is streaming.
    let _ = state.events.send(event);
}

/// The Note attachment for one of the owner's uploads.
pub fn media_attachment(state: &AppState, id: u64) -> Option<crate::activitypub::note::Attachment> {
    let m = state.store.media(id).ok()??;
    Some(attachment_of(state, &m))
}

/// The ActivityPub attachment of one upload.
pub fn attachment_of(
    state: &AppState,
    m: &crate::store::media::MediaRecord,
) -> crate::activitypub::note::Attachment {
    crate::activitypub::note::Attachment {
        url: state.urls.media(&m.file),
        media_type: m.content_type.clone(),
        name: Some(m.description.clone()).filter(|d| !d.is_empty()),
        blurhash: Some(m.blurhash.clone()).filter(|b| !b.is_empty()),
        width: Some(m.original.width),
        height: Some(m.original.height),
        focus: Some((m.focus.x, m.focus.y)),
    }
}

/// Refuses media that don't exist, belong to someone else, or are
/// attached to another status already.
pub fn check_media_attachable(state: &AppState, id: u64, owner: u64) -> OpResult<()> {
    if state.store.media_scheduled_by(id)?.is_some() {
        return Err(OpError::Invalid(format!(
            "Validation failed: media {id} is held by a scheduled post"
        )));
    }
    match state.store.media(id)? {
        Some(m) if m.account_id == owner && m.status_id.is_none() => Ok(()),
        Some(m) if m.account_id == owner => Err(OpError::Invalid(format!(
            "Validation failed: media {id} is already attached to another post"
        ))),
        _ => Err(OpError::Invalid(format!(
            "Validation failed: media {id} does not exist; upload it first"
        ))),
    }
}

pub mod account_notes;
pub mod authorized_apps;
pub mod cards;
pub mod conversations;
pub mod domain_blocks;
pub mod endorsements;
pub mod featured_tags;
pub mod filters;
pub mod lists;
pub mod search;
pub mod tags;
