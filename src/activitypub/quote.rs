//! Quote posts (FEP-044f, as Mastodon 4.5 sends them): the fields a
//! quoting Note carries, the `QuoteRequest` sent to the quoted post's
//! author, the `QuoteAuthorization` stamp granted in answer, and the
//! Accept, Reject and Delete around it.

use super::PUBLIC;
use crate::store::accounts::Account;
use crate::store::quotes::{QuotePolicy, QuoteState};
use crate::store::statuses::{Status, Visibility};
use serde_json::{json, Value};

const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// JSON-LD terms for the quote fields, added to the Note's context.
pub fn context_terms() -> Value {
    json!({
        "quote": "https://w3id.org/fep/044f#quote",
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "quoteAuthorization": { "@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id" },
        "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": { "@id": "gts:interactionPolicy", "@type": "@id" },
        "canQuote": { "@id": "gts:canQuote", "@type": "@id" },
        "automaticApproval": { "@id": "gts:automaticApproval", "@type": "@id" },
        "manualApproval": { "@id": "gts:manualApproval", "@type": "@id" },
        "interactingObject": { "@id": "gts:interactingObject", "@type": "@id" },
        "interactionTarget": { "@id": "gts:interactionTarget", "@type": "@id" }
    })
}

/// Who the owner's post lets quote it without asking, as peers read it.
pub fn interaction_policy(status: &Status, author: &Account) -> Value {
    let automatic: Vec<&str> = match (status.visibility, status.quote_policy.unwrap_or_default()) {
        (Visibility::Private | Visibility::Direct, _) | (_, QuotePolicy::Nobody) => vec![],
        (_, QuotePolicy::Public) => vec![PUBLIC],
        (_, QuotePolicy::Followers) => vec![author.followers_url.as_str()],
    };
    json!({ "canQuote": { "automaticApproval": automatic } })
}

/// Adds the quote fields to a Note: `quote` with its older spellings
/// (Misskey's and Fedibird's, as Mastodon 4.5 sends them), and the
/// stamp once the quote is approved.
pub fn add_quote_fields(doc: &mut Value, status: &Status) {
    let Some(q) = &status.quote else {
        return;
    };
    doc["quote"] = json!(q.uri);
    doc["_misskey_quote"] = json!(q.uri);
    doc["quoteUri"] = json!(q.uri);
    if let (QuoteState::Accepted, Some(stamp)) = (q.state, &q.approval_uri) {
        doc["quoteAuthorization"] = json!(stamp);
    }
}

/// The request to `quoted_author` to approve `note` quoting `quoted_uri`.
pub fn request(
    id: &str,
    actor: &Account,
    quoted_uri: &str,
    quoted_author: &str,
    note: Value,
) -> Value {
    let mut note = note;
    if let Some(o) = note.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": [CONTEXT, context_terms()],
        "id": id,
        "type": "QuoteRequest",
        "actor": actor.uri,
        "to": [quoted_author],
        "object": quoted_uri,
        "instrument": note,
    })
}

/// The stamp: `quoted_author` lets `quoting_uri` quote `quoted_uri`.
pub fn authorization(id: &str, quoted_author: &str, quoting_uri: &str, quoted_uri: &str) -> Value {
    json!({
        "@context": [CONTEXT, context_terms()],
        "id": id,
        "type": "QuoteAuthorization",
        "attributedTo": quoted_author,
        "interactingObject": quoting_uri,
        "interactionTarget": quoted_uri,
    })
}

/// Accept of a `QuoteRequest`, with the stamp's id as its `result`.
pub fn accept(id: &str, actor: &Account, request: Value, to: &str, stamp_uri: &str) -> Value {
    let mut request = request;
    if let Some(o) = request.as_object_mut() {
        o.remove("@context");
        // The instrument can be long; its id says which post it was.
        if let Some(i) = o.get("instrument").and_then(|i| i.get("id")).cloned() {
            o.insert("instrument".into(), i);
        }
    }
    json!({
        "@context": [CONTEXT, context_terms()],
        "id": id,
        "type": "Accept",
        "actor": actor.uri,
        "to": [to],
        "object": request,
        "result": stamp_uri,
    })
}

/// Reject of a `QuoteRequest`.
pub fn reject(id: &str, actor: &Account, request: Value, to: &str) -> Value {
    let mut request = request;
    if let Some(o) = request.as_object_mut() {
        o.remove("@context");
        if let Some(i) = o.get("instrument").and_then(|i| i.get("id")).cloned() {
            o.insert("instrument".into(), i);
        }
    }
    json!({
        "@context": [CONTEXT, context_terms()],
        "id": id,
        "type": "Reject",
        "actor": actor.uri,
        "to": [to],
        "object": request,
    })
}

/// Revocation of a stamp: a Delete of it.
pub fn revoke(id: &str, actor: &Account, stamp_uri: &str, to: &[String]) -> Value {
    json!({
        "@context": [CONTEXT, context_terms()],
        "id": id,
        "type": "Delete",
        "actor": actor.uri,
        "to": to,
        "object": { "id": stamp_uri, "type": "QuoteAuthorization" },
    })
}
