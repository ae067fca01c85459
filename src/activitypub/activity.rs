//! Activities the owner sends: each wraps an object with an id, actor and
//! addressing. Ids are minted under the actor so peers can dereference
//! them and check their origin.

use super::PUBLIC;
use crate::store::accounts::Account;
use crate::time_fmt::{iso8601_ms, now_ms};
use serde_json::{json, Value};

const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// A fresh activity id under the actor: `ACTOR#kind/ID`.
pub fn activity_id(actor: &Account, kind: &str, id: u64) -> String {
    format!("{}#{}/{}", actor.uri, kind, id)
}

/// Create/Update for a Note; `to`/`cc` copied from the object.
pub fn wrap(kind: &str, id: String, actor: &Account, object: Value) -> Value {
    let to = object.get("to").cloned().unwrap_or_else(|| json!([]));
    let cc = object.get("cc").cloned().unwrap_or_else(|| json!([]));
    let published = object
        .get("updated")
        .or_else(|| object.get("published"))
        .cloned()
        .unwrap_or_else(|| json!(iso8601_ms(now_ms())));
    json!({
        "@context": super::note::context(),
        "id": id,
        "type": kind,
        "actor": actor.uri,
        "published": published,
        "to": to,
        "cc": cc,
        "object": object,
    })
}

/// Delete of a status: a Tombstone, addressed like the status was.
pub fn delete_note(
    id: String,
    actor: &Account,
    note_uri: &str,
    to: Vec<String>,
    cc: Vec<String>,
) -> Value {
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": "Delete",
        "actor": actor.uri,
        "to": to,
        "cc": cc,
        "object": { "id": note_uri, "type": "Tombstone", "atomUri": note_uri },
    })
}

/// Follow, Block, Like: actor → object (an actor or a status URI).
pub fn simple(kind: &str, id: String, actor: &Account, object: &str, to: Option<&str>) -> Value {
    let mut doc = json!({
        "@context": CONTEXT,
        "id": id,
        "type": kind,
        "actor": actor.uri,
        "object": object,
    });
    if let Some(to) = to {
        doc["to"] = json!([to]);
    }
    doc
}

/// Accept/Reject/Undo of an earlier activity (embedded whole, as
/// Mastodon does, so the receiver needn't fetch it).
pub fn respond(kind: &str, id: String, actor: &Account, object: Value, to: &str) -> Value {
    let mut object = object;
    if let Some(o) = object.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": kind,
        "actor": actor.uri,
        "to": [to],
        "object": object,
    })
}

/// Announce (boost) of a status, public unless the boosted status isn't.
pub fn announce(
    id: String,
    actor: &Account,
    object_uri: &str,
    object_author: &str,
    public: bool,
    published_ms: i64,
) -> Value {
    let (to, cc) = if public {
        (
            vec![PUBLIC.to_string()],
            vec![object_author.to_string(), actor.followers_url.clone()],
        )
    } else {
        (
            vec![actor.followers_url.clone()],
            vec![object_author.to_string()],
        )
    };
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": "Announce",
        "actor": actor.uri,
        "published": iso8601_ms(published_ms),
        "to": to,
        "cc": cc,
        "object": object_uri,
    })
}

/// Update of the actor itself (profile changes).
pub fn update_person(id: String, actor: &Account, person: Value) -> Value {
    let mut person = person;
    let context = person
        .get("@context")
        .cloned()
        .unwrap_or_else(|| json!(CONTEXT));
    if let Some(o) = person.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": context,
        "id": id,
        "type": "Update",
        "actor": actor.uri,
        "to": [PUBLIC],
        "cc": [actor.followers_url],
        "object": person,
    })
}

/// Delete of the actor (account deletion).
pub fn delete_actor(actor: &Account) -> Value {
    json!({
        "@context": CONTEXT,
        "id": format!("{}#delete", actor.uri),
        "type": "Delete",
        "actor": actor.uri,
        "to": [PUBLIC],
        "object": actor.uri,
    })
}
