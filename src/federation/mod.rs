//! Talking to other servers: HTTP signatures, the SSRF-safe fetcher, the
//! durable delivery queue and the inbox worker. (Filled in by the
//! federation work; discovery documents live in `http::wellknown`.)

pub mod signatures;
