//! Mastodon's JSON entities, built from store records. The shapes follow
//! docs.joinmastodon.org and Mastodon's serializers: every documented key
//! is present (apps refuse objects with missing keys), dates carry
//! milliseconds and ids are strings.

pub mod account;
pub mod application;
pub mod instance;
pub mod push;
