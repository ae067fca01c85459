//! Every integration test, in one crate: one binary links Burrow once.
//! Each module is one area; `common` starts real servers, `api_client`
//! logs in as a Mastodon app would.

mod api_client;
mod common;

mod actors;
mod api_accounts;
mod api_accounts_rel;
mod api_conversations;
mod api_filters_applied;
mod api_instance;
mod api_lists_filters;
mod api_media;
mod api_notifications;
mod api_oauth;
mod api_search;
mod api_statuses;
mod api_timelines;
mod cli;
mod delivery;
mod discovery;
mod durability;
mod federation;
mod fetcher;
mod fixtures_inbound;
mod hostile_flood;
mod hostile_fuzz;
mod hostile_linkgate;
mod hostile_origin;
mod hostile_panicproof;
mod hostile_peerwork;
mod hostile_secrets;
mod hostile_visibility;
mod inbox_security;
mod keys;
mod media;
mod moving;
mod props;
mod push;
mod setup;
mod signatures;
mod streaming;
mod web;
