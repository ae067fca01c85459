//! ActivityStreams shapes: the JSON Burrow serves to and sends to peers.
//! Only this module (and the federation code that parses inbound
//! documents) knows these shapes.

pub mod activity;
pub mod actor;
pub mod collection;
pub mod note;
pub mod quote;

/// Content type of every ActivityPub document Burrow serves or sends.
pub const CONTENT_TYPE: &str = "application/activity+json";
/// What Burrow asks for when it fetches ActivityPub documents.
pub const ACCEPT: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
