//! Talking to other servers: HTTP signatures, the SSRF-safe fetcher, the
//! durable delivery queue and the inbox worker. (Filled in by the
//! federation work; discovery documents live in `http::wellknown`.)

pub mod actors;
pub mod fetcher;
pub mod keys;
pub mod signatures;
