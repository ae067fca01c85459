//! What a streaming connection listens to, and what it is sent.
//!
//! A connection holds [`Subscriptions`]: the streams it chose (`user`,
//! `public:local`, `hashtag` with a tag…). For each `Event` on
//! `state.events`, [`Subscriptions::deliveries`] decides which of those
//! streams get it, by the timelines the status was placed in (the same
//! placement the REST timelines read), and builds the payload once for
//! all of them. WebSocket and SSE only differ in how they frame the
//! result.

use crate::events::Event;
use crate::http::api::auth::Auth;
use crate::http::api::entities::conversation::conversation;
use crate::http::api::entities::notification::notification;
use crate::http::api::entities::status::filtered_status;
use crate::ops::filters::{Context, Filters};
use crate::ops::hiding;
use crate::state::AppState;
use crate::store::relations::Rel;
use crate::store::statuses::Status;
use crate::store::{timelines, Result};
use axum::http::StatusCode;
use serde::Serialize;
use std::sync::Arc;

/// Streams one WebSocket may hold at once. A client subscribes to a
/// handful (home, notifications, a few hashtags); the bound keeps one
/// connection from making every event cost hundreds of comparisons.
pub const MAX_SUBSCRIPTIONS: usize = 32;

/// The public timelines by where their statuses come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    All,
    Local,
    Remote,
}

/// One of Mastodon's stream kinds, with its parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Home timeline and notifications.
    User,
    UserNotification,
    Public {
        origin: Origin,
        only_media: bool,
    },
    /// `tag` lower-cased, without `#`, as tags are stored.
    Hashtag {
        tag: String,
        local: bool,
    },
    List(u64),
    /// Direct messages, as `conversation` events.
    Direct,
}

/// Why a stream can't be had, in Mastodon's words and statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    pub status: StatusCode,
    pub message: String,
}

impl StreamError {
    fn new(status: StatusCode, message: &str) -> StreamError {
        StreamError {
            status,
            message: message.to_string(),
        }
    }
}

pub const MISSING_TOKEN: &str = "Missing access token";
pub const NO_SCOPE: &str = "Access token does not have the required scopes";
pub const UNKNOWN_STREAM: &str = "Unknown stream type";
pub const MISSING_TAG: &str = "Missing tag name parameter";
pub const MISSING_LIST: &str = "Missing list name parameter";
pub const NO_LIST: &str = "Not authorized to stream this list";
pub const TOO_MANY: &str = "Too many streams on this connection; unsubscribe from one first";

impl Channel {
    /// The channel named `name` (`public:local:media`…) with its `tag` or
    /// `list` parameter.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result2<Channel> {
        let public = |origin, only_media| Ok(Channel::Public { origin, only_media });
        let hashtag = |local| {
            let tag = tag
                .map(|t| t.trim().trim_start_matches('#').to_lowercase())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| StreamError::new(StatusCode::BAD_REQUEST, MISSING_TAG))?;
            Ok(Channel::Hashtag { tag, local })
        };
        match name {
            "user" => Ok(Channel::User),
            "user:notification" => Ok(Channel::UserNotification),
            "public" => public(Origin::All, false),
            "public:media" => public(Origin::All, true),
            "public:local" => public(Origin::Local, false),
            "public:local:media" => public(Origin::Local, true),
            "public:remote" => public(Origin::Remote, false),
            "public:remote:media" => public(Origin::Remote, true),
            "hashtag" => hashtag(false),
            "hashtag:local" => hashtag(true),
            "direct" => Ok(Channel::Direct),
            "list" => {
                let raw = list
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| StreamError::new(StatusCode::BAD_REQUEST, MISSING_LIST))?;
                // Every list is the owner's; one that can't be an id is
                // nobody's, which Mastodon answers as not authorised.
                raw.parse()
                    .map(Channel::List)
                    .map_err(|_| StreamError::new(StatusCode::UNAUTHORIZED, NO_LIST))
            }
            _ => Err(StreamError::new(StatusCode::BAD_REQUEST, UNKNOWN_STREAM)),
        }
    }

    /// The filter context of the statuses this stream carries (Mastodon's
    /// streaming server uses the same mapping); direct messages have none.
    fn filter_context(&self) -> Option<Context> {
        match self {
            Channel::User | Channel::List(_) => Some(Context::Home),
            Channel::Public { .. } | Channel::Hashtag { .. } => Some(Context::Public),
            Channel::UserNotification => Some(Context::Notifications),
            Channel::Direct => None,
        }
    }

    /// Mastodon's rule: public streams need only a valid token; the
    /// notification stream needs `read:notifications`; the rest
    /// `read:statuses` (`read` covers both).
    pub fn check_scope(&self, auth: &Auth) -> Result2<()> {
        let needed = match self {
            Channel::Public { .. } | Channel::Hashtag { .. } => return Ok(()),
            Channel::UserNotification => "read:notifications",
            _ => "read:statuses",
        };
        auth.require(needed)
            .map_err(|_| StreamError::new(StatusCode::UNAUTHORIZED, NO_SCOPE))
    }
}

pub type Result2<T> = std::result::Result<T, StreamError>;

/// A stream a connection holds, and its name as events carry it
/// (`["hashtag", "rust"]`: the tag or list as the client wrote it).
#[derive(Clone, Debug)]
pub struct Subscription {
    pub channel: Channel,
    pub stream: Vec<String>,
}

/// The name events carry for a stream chosen as `name` with `tag`/`list`.
pub fn stream_name(name: &str, tag: Option<&str>, list: Option<&str>) -> Vec<String> {
    let extra = match name {
        "hashtag" | "hashtag:local" => tag,
        "list" => list,
        _ => None,
    };
    std::iter::once(name)
        .chain(extra)
        .map(str::to_string)
        .collect()
}

/// One event for one stream of a connection. The payload is shared by
/// every stream that gets the event.
#[derive(Clone, Debug)]
pub struct Delivery<'a> {
    pub stream: &'a [String],
    pub event: &'static str,
    /// `None` for `filters_changed`.
    pub payload: Option<Arc<str>>,
}

/// The streams of one connection.
#[derive(Debug)]
pub struct Subscriptions {
    auth: Auth,
    subs: Vec<Subscription>,
}

impl Subscriptions {
    /// Streams are the owner's: a token that acts for an app alone has
    /// nobody's home to stream, and Mastodon refuses it as invalid.
    pub fn new(auth: Auth) -> Result2<Subscriptions> {
        if auth.account_id().is_none() {
            return Err(StreamError::new(
                StatusCode::UNAUTHORIZED,
                crate::http::api::auth::INVALID_TOKEN,
            ));
        }
        Ok(Subscriptions {
            auth,
            subs: Vec::new(),
        })
    }

    /// Adds a stream after checking the token may read it; subscribing
    /// twice to the same stream changes nothing.
    pub fn subscribe(&mut self, channel: Channel, stream: Vec<String>) -> Result2<()> {
        channel.check_scope(&self.auth)?;
        if self.subs.iter().any(|s| s.channel == channel) {
            return Ok(());
        }
        if self.subs.len() >= MAX_SUBSCRIPTIONS {
            return Err(StreamError::new(StatusCode::BAD_REQUEST, TOO_MANY));
        }
        self.subs.push(Subscription { channel, stream });
        Ok(())
    }

    pub fn unsubscribe(&mut self, channel: &Channel) {
        self.subs.retain(|s| &s.channel != channel);
    }

    /// Mastodon puts notifications on the `user` stream only for tokens
    /// that may read them.
    fn user_gets_notifications(&self) -> bool {
        self.auth.require("read:notifications").is_ok()
    }

    /// Whether `event` ends this connection: its own token was revoked.
    /// Checked per event by each connection, so closing costs no task and
    /// no registry of who holds which token.
    pub fn ended_by(&self, event: &Event) -> bool {
        matches!(event, Event::TokenRevoked(hash) if *hash == self.auth.token.token_hash)
    }

    /// What `event` means for each of this connection's streams.
    pub fn deliveries(&self, state: &AppState, event: &Event) -> Result<Vec<Delivery<'_>>> {
        match event {
            Event::StatusCreated(id) => self.for_status(state, *id, "update"),
            Event::StatusUpdated(id) => self.for_status(state, *id, "status.update"),
            Event::StatusDeleted(id) => {
                // The status is gone, so where it was placed is unknown:
                // like Mastodon, tell every status stream; clients ignore
                // ids they never showed.
                let payload: Arc<str> = Arc::from(id.to_string());
                Ok(self
                    .subs
                    .iter()
                    .filter(|s| s.channel != Channel::UserNotification)
                    .map(|s| Delivery {
                        stream: &s.stream,
                        event: "delete",
                        payload: Some(payload.clone()),
                    })
                    .collect())
            }
            Event::Notification(id) => self.for_notification(state, *id),
            Event::FiltersChanged => Ok(self
                .subs
                .iter()
                .filter(|s| s.channel == Channel::User)
                .map(|s| Delivery {
                    stream: &s.stream,
                    event: "filters_changed",
                    payload: None,
                })
                .collect()),
            // Not for the streams; `ended_by` handles it.
            Event::TokenRevoked(_) => Ok(Vec::new()),
        }
    }

    fn for_status(
        &self,
        state: &AppState,
        id: u64,
        event: &'static str,
    ) -> Result<Vec<Delivery<'_>>> {
        let store = &state.store;
        let Some(s) = store.status(id)? else {
            // Deleted again before this connection got to it.
            return Ok(Vec::new());
        };
        let placed = |name: &str| s.placed.iter().any(|p| p == name);
        let inner = match s.reblog_of_id {
            Some(i) => store.status(i)?,
            None => None,
        };
        let shown = inner.as_ref().unwrap_or(&s);
        let media = !shown.media_ids.is_empty() || !shown.remote_media.is_empty();
        let local = placed(&timelines::local());
        let hits: Vec<&Subscription> = self
            .subs
            .iter()
            .filter(|sub| match &sub.channel {
                Channel::User => placed(&timelines::home()),
                Channel::UserNotification => false,
                Channel::Public { origin, only_media } => {
                    placed(&timelines::public())
                        && match origin {
                            Origin::All => true,
                            Origin::Local => local,
                            Origin::Remote => !local,
                        }
                        && (media || !only_media)
                }
                Channel::Hashtag { tag, local: l } => placed(&timelines::tag(tag)) && (local || !l),
                Channel::List(list) => placed(&timelines::list(*list)),
                Channel::Direct => placed(&timelines::direct()),
            })
            .collect();
        if hits.is_empty() || hidden(state, &s, inner.as_ref())? {
            return Ok(Vec::new());
        }
        // The payload differs by filter context (the `filtered` warnings),
        // so it is built once per context, and left out where a `hide`
        // filter drops the status.
        let mut status_json: Vec<(Option<Context>, Option<Arc<str>>)> = Vec::new();
        let mut conversation_json = None;
        let mut out = Vec::with_capacity(hits.len());
        for sub in hits {
            let (event, payload) = if sub.channel == Channel::Direct {
                if conversation_json.is_none() {
                    // The conversation the store filed the status under,
                    // built as the REST API builds it; none when the
                    // owner removed it meanwhile.
                    let entity = match store.conversation_of(s.id)? {
                        Some(c) => encode(&conversation(state, &c)?),
                        None => None,
                    };
                    conversation_json = Some(entity);
                }
                ("conversation", conversation_json.clone().flatten())
            } else {
                let context = sub.channel.filter_context();
                let payload = match status_json.iter().find(|(c, _)| *c == context) {
                    Some((_, p)) => p.clone(),
                    None => {
                        let words = match context {
                            Some(c) => Filters::load(state, c)?,
                            None => Filters::none(),
                        };
                        let p = filtered_status(state, &self.auth.viewer(), &s, &words)?
                            .and_then(|e| encode(&e));
                        status_json.push((context, p.clone()));
                        p
                    }
                };
                (event, payload)
            };
            if payload.is_some() {
                out.push(Delivery {
                    stream: &sub.stream,
                    event,
                    payload,
                });
            }
        }
        Ok(out)
    }

    fn for_notification(&self, state: &AppState, id: u64) -> Result<Vec<Delivery<'_>>> {
        let user = self.user_gets_notifications();
        let hits: Vec<&Subscription> = self
            .subs
            .iter()
            .filter(|s| match s.channel {
                Channel::User => user,
                Channel::UserNotification => true,
                _ => false,
            })
            .collect();
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        let store = &state.store;
        let Some(n) = store.notification(id)? else {
            return Ok(Vec::new());
        };
        let muted = store
            .relation(Rel::Muting, n.account_id)?
            .is_some_and(|m| m.hide_notifications);
        if muted
            || store.has_relation(Rel::Blocking, n.account_id)?
            || hiding::domain_hidden(state, n.account_id)?
        {
            return Ok(Vec::new());
        }
        let words = Filters::load(state, Context::Notifications)?;
        let Some(entity) = notification(state, &n, &words)? else {
            return Ok(Vec::new());
        };
        let Some(payload) = encode(&entity) else {
            return Ok(Vec::new());
        };
        Ok(hits
            .into_iter()
            .map(|s| Delivery {
                stream: &s.stream,
                event: "notification",
                payload: Some(payload.clone()),
            })
            .collect())
    }
}

/// Whether the owner silenced someone the status is about: its author,
/// the boosted author, or anyone it mentions (muted or blocked), an
/// author on a blocked domain, or an author who blocks the owner.
/// Mastodon's streaming server applies the same test.
fn hidden(state: &AppState, s: &Status, inner: Option<&Status>) -> Result<bool> {
    let store = &state.store;
    let authors = std::iter::once(s.account_id).chain(inner.map(|i| i.account_id));
    for a in authors {
        if store.has_relation(Rel::BlockedBy, a)? || hiding::domain_hidden(state, a)? {
            return Ok(true);
        }
    }
    let shown = inner.unwrap_or(s);
    let about = std::iter::once(s.account_id)
        .chain(inner.map(|i| i.account_id))
        .chain(shown.mentions.iter().map(|m| m.account_id));
    for a in about {
        if store.has_relation(Rel::Muting, a)? || store.has_relation(Rel::Blocking, a)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Completes when the server begins to stop. (The guard `wait_for`
/// returns is dropped here, so callers' futures stay `Send`.)
pub async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

/// Serialises a payload once for every stream; `None` (logged) if it
/// can't be, which the entity types make impossible in practice.
fn encode<T: Serialize>(value: &T) -> Option<Arc<str>> {
    match serde_json::to_string(value) {
        Ok(s) => Some(Arc::from(s)),
        Err(e) => {
            tracing::error!("cannot encode a streaming payload: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_as_mastodon_spells_them() {
        assert_eq!(Channel::parse("user", None, None), Ok(Channel::User));
        assert_eq!(
            Channel::parse("public:remote:media", None, None),
            Ok(Channel::Public {
                origin: Origin::Remote,
                only_media: true
            })
        );
        assert_eq!(
            Channel::parse("hashtag:local", Some("#Rust"), None),
            Ok(Channel::Hashtag {
                tag: "rust".into(),
                local: true
            })
        );
        assert_eq!(
            Channel::parse("hashtag", None, None).unwrap_err().message,
            MISSING_TAG
        );
        assert_eq!(
            Channel::parse("list", None, Some("12")),
            Ok(Channel::List(12))
        );
        assert_eq!(
            Channel::parse("list", None, Some("x")).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            Channel::parse("home", None, None).unwrap_err().message,
            UNKNOWN_STREAM
        );
    }

    #[test]
    fn stream_names_carry_the_tag_or_list() {
        assert_eq!(
            stream_name("hashtag", Some("Rust"), None),
            vec!["hashtag", "Rust"]
        );
        assert_eq!(stream_name("list", None, Some("3")), vec!["list", "3"]);
        assert_eq!(stream_name("user", Some("x"), Some("3")), vec!["user"]);
    }

    fn auth(scopes: &[&str]) -> Auth {
        Auth {
            token: crate::store::oauth::Token {
                account_id: Some(1),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn scopes_follow_mastodon() {
        let notes_only = auth(&["read:notifications"]);
        assert!(Channel::UserNotification.check_scope(&notes_only).is_ok());
        assert_eq!(
            Channel::User.check_scope(&notes_only).unwrap_err().message,
            NO_SCOPE
        );
        let write = auth(&["write"]);
        assert!(Channel::Public {
            origin: Origin::All,
            only_media: false
        }
        .check_scope(&write)
        .is_ok());
        assert!(Channel::Direct.check_scope(&write).is_err());
        assert!(Channel::Direct.check_scope(&auth(&["read"])).is_ok());
        let mut subs = Subscriptions::new(auth(&["read:statuses"])).unwrap();
        subs.subscribe(Channel::User, vec!["user".into()]).unwrap();
        assert!(!subs.user_gets_notifications());
        let app_only = Auth {
            token: crate::store::oauth::Token {
                account_id: None,
                scopes: vec!["read".into()],
                ..Default::default()
            },
        };
        assert!(Subscriptions::new(app_only).is_err());
    }

    #[test]
    fn subscriptions_are_deduplicated_and_bounded() {
        let mut subs = Subscriptions::new(auth(&["read"])).unwrap();
        subs.subscribe(Channel::User, vec!["user".into()]).unwrap();
        subs.subscribe(Channel::User, vec!["user".into()]).unwrap();
        assert_eq!(subs.subs.len(), 1);
        for i in 1..MAX_SUBSCRIPTIONS {
            let c = Channel::Hashtag {
                tag: format!("t{i}"),
                local: false,
            };
            subs.subscribe(c, vec![]).unwrap();
        }
        let more = Channel::Hashtag {
            tag: "more".into(),
            local: false,
        };
        assert_eq!(
            subs.subscribe(more.clone(), vec![]).unwrap_err().message,
            TOO_MANY
        );
        subs.unsubscribe(&Channel::User);
        assert!(subs.subscribe(more, vec![]).is_ok());
    }
}
