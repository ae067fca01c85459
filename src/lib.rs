//! Burrow: a one-person fediverse server for small hardware.
//!
//! The crate is layered (see `ARCHITECTURE.md`): `http` speaks to the
//! outside world, `ops` holds every action a person or a peer can take,
//! `store` is the only code that knows sled, `crypto` wraps ring.

pub mod activitypub;
pub mod admin;
pub mod cli;
pub mod config;
pub mod content;
pub mod crypto;
pub mod events;
pub mod federation;
pub mod host;
pub mod http;
pub mod media;
pub mod ops;
pub mod proxy_trust;
pub mod push;
pub mod server;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod templates;
pub mod time_fmt;
pub mod tls;
pub mod urls;
