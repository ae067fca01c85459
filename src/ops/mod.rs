//! The things a person or a peer does, one function each, called alike by
//! the Mastodon API, the web UI, the command line and the inbox worker.
//! An operation validates, changes the store, flushes what must be durable,
//! and only then reports success.

pub mod media;
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
