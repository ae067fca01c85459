//! Who may speak for what: the origin and authorship rules every inbound
//! activity asks, so that no verb restates them.
//!
//! A valid signature proves only who sent a request. What that sender may
//! say is decided here, and nowhere else:
//!
//! - Ids the signer mints (an Announce, the activities an Undo wraps) live
//!   on the signer's own origin; otherwise a boost could squat another
//!   server's status URI, and undoing it would tombstone that URI for ever.
//! - An embedded object is believed as sent only when its author *is* the
//!   signer. Sharing a host is not enough: any account of a server could
//!   then post as its neighbour (the class of Mastodon's CVE-2024-23832).
//!   Anything else is fetched from its own origin by id.
//! - A fetched object's author lives on the object's origin.
//! - A stored status changes (Update, Delete, Undo of a boost) only at its
//!   author's word, and only when its URI is on the author's origin.
//! - An Accept or Reject answers a Follow the owner sent to that signer;
//!   an Undo of a Follow undoes the signer's own Follow of the owner.
//!
//! Hosts are compared through `crate::host`, the one normalisation.

use crate::host;
use crate::ops::OpError;
use crate::store::accounts::Account;
use crate::store::relations::Relation;
use crate::store::statuses::Status;
use serde_json::Value;

/// Why a signer may not speak for an object; the inbox worker logs it and
/// drops the activity (retrying can't help).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

impl From<Refused> for OpError {
    fn from(r: Refused) -> OpError {
        OpError::Forbidden(r.0)
    }
}

/// The answer of every rule here.
pub type Verdict = Result<(), Refused>;

fn refuse(why: String) -> Verdict {
    Err(Refused(why))
}

/// The id of an embedded object or a bare URI.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Who an object says made it: `attributedTo` (the first entry of a
/// list, as Mastodon reads it) for statuses, `actor` for activities.
pub fn author_of(doc: &Value) -> Option<&str> {
    match doc.get("attributedTo") {
        Some(Value::Array(a)) => a.iter().find_map(id_of),
        Some(v) => id_of(v),
        None => doc.get("actor").and_then(id_of),
    }
}

/// Whether the signer is the object's author.
pub fn is_author(signer: &Account, doc: &Value) -> bool {
    author_of(doc) == Some(signer.uri.as_str())
}

/// An id the signer minted (its Announce, a wrapped activity) must be on
/// the signer's own origin.
pub fn minted_by(signer: &Account, id: &str) -> Verdict {
    if host::same_origin(id, &signer.uri) {
        Ok(())
    } else {
        refuse(format!(
            "{} may not speak for {id}, which is on another origin",
            signer.uri
        ))
    }
}

/// Whether an embedded object may be used as sent: the signer wrote it
/// and it lives on the signer's origin. `false` means: fetch it by id.
pub fn embedded_trusted(signer: &Account, object: &Value) -> bool {
    object.is_object()
        && is_author(signer, object)
        && id_of(object).is_some_and(|id| minted_by(signer, id).is_ok())
}

/// A document fetched from its origin is believed when its author lives
/// on that origin too (a server vouches only for its own accounts).
pub fn authored_at_origin(doc: &Value) -> Verdict {
    let (Some(id), Some(author)) = (id_of(doc), author_of(doc)) else {
        return refuse("the object has no id or no author".into());
    };
    if host::same_origin(id, author) {
        Ok(())
    } else {
        refuse(format!(
            "{id} is attributed to {author}, who is on another server"
        ))
    }
}

/// A stored status changes only at its author's word: the signer wrote
/// it, it is a remote status, and its URI is on the signer's origin.
pub fn may_change(signer: &Account, status: &Status) -> Verdict {
    if status.local || status.account_id != signer.id {
        return refuse(format!(
            "only the author of {} may change or remove it",
            status.uri
        ));
    }
    minted_by(signer, &status.uri)
}

/// What an Undo wraps is the signer's own: a wrapped activity names the
/// signer as its actor (when it names one) and carries an id on the
/// signer's origin; a bare id is on the signer's origin.
pub fn wrapped_by_signer(signer: &Account, wrapped: &Value) -> Verdict {
    if let Some(actor) = wrapped.get("actor") {
        if id_of(actor) != Some(signer.uri.as_str()) {
            return refuse(format!(
                "{} may not undo an activity of {}",
                signer.uri,
                id_of(actor).unwrap_or("someone else")
            ));
        }
    }
    match id_of(wrapped) {
        Some(id) => minted_by(signer, id),
        // Some servers embed an activity without an id; its actor is
        // checked above, and the relation it names is keyed by the signer.
        None if wrapped.is_object() => Ok(()),
        None => refuse("the undone activity has no id".into()),
    }
}

/// An Undo of a Follow takes back the signer's own Follow of the owner:
/// embedded, its actor is the signer and its object the owner; by id, it
/// is the Follow we stored for that signer.
pub fn undoes_own_follow(
    signer: &Account,
    owner: &Account,
    stored: Option<&Relation>,
    wrapped: &Value,
) -> Verdict {
    let by_id = stored.is_some_and(|r| {
        !r.activity_uri.is_empty() && id_of(wrapped) == Some(r.activity_uri.as_str())
    });
    let embedded = wrapped.get("actor").and_then(id_of) == Some(signer.uri.as_str())
        && wrapped.get("object").and_then(id_of) == Some(owner.uri.as_str());
    if by_id || embedded {
        Ok(())
    } else {
        refuse(format!(
            "{} may only undo its own follow of {}",
            signer.uri, owner.uri
        ))
    }
}

/// An Accept or Reject answers a Follow the owner sent to the signer:
/// named by the id we gave it, or embedded with the owner as its actor
/// and the signer as its object.
pub fn answers_owner_follow(
    signer: &Account,
    owner: &Account,
    sent: &Relation,
    object: &Value,
) -> Verdict {
    let by_id = !sent.activity_uri.is_empty() && id_of(object) == Some(sent.activity_uri.as_str());
    let embedded = object.get("type").and_then(Value::as_str) == Some("Follow")
        && object.get("actor").and_then(id_of) == Some(owner.uri.as_str())
        && object.get("object").and_then(id_of) == Some(signer.uri.as_str());
    if by_id || embedded {
        Ok(())
    } else {
        refuse(format!(
            "{} answered a follow that {} never sent it",
            signer.uri, owner.uri
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(id: u64, uri: &str) -> Account {
        Account {
            id,
            uri: uri.into(),
            domain: crate::host::of_url(uri),
            ..Default::default()
        }
    }

    #[test]
    fn an_embedded_object_is_trusted_only_from_its_author() {
        let mallory = account(2, "https://host.example/users/mallory");
        let note =
            |author: &str, id: &str| json!({ "id": id, "type": "Note", "attributedTo": author });
        let own = note(
            "https://host.example/users/mallory",
            "https://host.example/users/mallory/statuses/1",
        );
        assert!(embedded_trusted(&mallory, &own));
        // Same host, another account: fetched, not believed.
        let alice = note(
            "https://host.example/users/alice",
            "https://host.example/users/alice/statuses/1",
        );
        assert!(!embedded_trusted(&mallory, &alice));
        // The signer as author, but the id on another origin.
        let elsewhere = note(
            "https://host.example/users/mallory",
            "https://other.example/statuses/1",
        );
        assert!(!embedded_trusted(&mallory, &elsewhere));
        assert!(!embedded_trusted(
            &mallory,
            &json!("https://host.example/users/mallory/statuses/1")
        ));
        // Hosts are compared normalised.
        let spelled = note(
            "https://host.example/users/mallory",
            "https://HOST.example.:443/users/mallory/statuses/2",
        );
        assert!(embedded_trusted(&mallory, &spelled));
    }

    #[test]
    fn fetched_documents_are_authored_on_their_origin() {
        assert!(authored_at_origin(&json!({
            "id": "https://a.example/s/1",
            "attributedTo": ["https://a.example/u/x", "https://b.example/u/y"],
        }))
        .is_ok());
        assert!(authored_at_origin(&json!({
            "id": "https://a.example/s/1",
            "attributedTo": "https://b.example/u/y",
        }))
        .is_err());
        assert!(authored_at_origin(&json!({ "id": "https://a.example/s/1" })).is_err());
    }

    #[test]
    fn wrapped_activities_are_the_signers_own() {
        let bob = account(2, "https://b.example/users/bob");
        assert!(wrapped_by_signer(
            &bob,
            &json!({ "id": "https://b.example/a/1", "actor": "https://b.example/users/bob" })
        )
        .is_ok());
        assert!(wrapped_by_signer(
            &bob,
            &json!({ "id": "https://b.example/a/1", "actor": "https://b.example/users/carol" })
        )
        .is_err());
        assert!(wrapped_by_signer(&bob, &json!("https://c.example/a/1")).is_err());
        assert!(minted_by(&bob, "https://c.example/statuses/1").is_err());
    }

    #[test]
    fn follows_are_answered_and_undone_only_as_sent() {
        let owner = account(1, "https://here.example/users/alice");
        let bob = account(2, "https://b.example/users/bob");
        let sent = Relation {
            activity_uri: "https://here.example/users/alice/follows/9".into(),
            ..Default::default()
        };
        let follow = |actor: &str, object: &str| json!({ "id": "https://x.example/f", "type": "Follow", "actor": actor, "object": object });
        assert!(answers_owner_follow(&bob, &owner, &sent, &json!(sent.activity_uri)).is_ok());
        assert!(answers_owner_follow(&bob, &owner, &sent, &follow(&owner.uri, &bob.uri)).is_ok());
        assert!(answers_owner_follow(
            &bob,
            &owner,
            &sent,
            &follow("https://b.example/users/carol", &bob.uri)
        )
        .is_err());
        assert!(answers_owner_follow(&bob, &owner, &sent, &json!("https://b.example/f")).is_err());

        assert!(undoes_own_follow(&bob, &owner, None, &follow(&bob.uri, &owner.uri)).is_ok());
        assert!(undoes_own_follow(
            &bob,
            &owner,
            None,
            &follow("https://b.example/users/carol", &owner.uri)
        )
        .is_err());
        assert!(undoes_own_follow(
            &bob,
            &owner,
            None,
            &follow(&bob.uri, "https://c.example/users/dave")
        )
        .is_err());
    }
}
