//! Every integration test, in one crate: one binary links Burrow once.
//! Each module is one area; `common` starts real servers, `api_client`
//! logs in as a Mastodon app would.

mod api_client;
mod common;

mod acme;
mod actors;
mod api_accounts;
mod api_accounts_rel;
mod api_conversations;
mod api_filters_applied;
mod api_gaps;
mod api_instance;
mod api_lists_filters;
mod api_media;
mod api_notifications;
mod api_oauth;
mod api_reports;
mod api_scheduled;
mod api_search;
mod api_statuses;
mod api_timelines;
mod backup;
mod cli;
mod delivery;
mod discovery;
mod disk_month;
mod durability;
mod emoji_cards;
mod entity_shapes;
mod federation;
mod fetcher;
mod fixtures_inbound;
mod followers_sync;
mod hostile_flood;
mod hostile_fuzz;
mod hostile_linkgate;
mod hostile_origin;
mod hostile_panicproof;
mod hostile_peerwork;
mod hostile_secrets;
mod hostile_visibility;
mod import;
mod inbox_security;
mod keys;
mod media;
// The benchmark's loopback peers and seeding, shared with `disk_month`.
mod moving;
mod notification_policy;
#[allow(dead_code)]
#[path = "../../benches/year/peers.rs"]
mod peers;
mod props;
mod proxy_trust;
mod prune;
mod push;
mod push_legacy;
mod quotes;
#[allow(dead_code)]
#[path = "../../benches/year/seed.rs"]
mod seed;
mod setup;
mod signatures;
mod streaming;
mod threads;
mod tls;
mod web;
