//! The owner's `Person` document, with the fields and `@context` that
//! Mastodon's own actors carry, so every peer understands it.

use crate::store::accounts::Account;
use crate::urls::Urls;
use serde_json::{json, Value};

/// Mastodon's actor context: the core vocabularies plus the extension
/// terms its actors use.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "featuredTags": { "@id": "toot:featuredTags", "@type": "@id" },
            "alsoKnownAs": { "@id": "as:alsoKnownAs", "@type": "@id" },
            "movedTo": { "@id": "as:movedTo", "@type": "@id" },
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "discoverable": "toot:discoverable",
            "suspended": "toot:suspended",
            "memorial": "toot:memorial",
            "indexable": "toot:indexable",
            "attributionDomains": { "@id": "toot:attributionDomains", "@type": "@id" },
            "focalPoint": { "@container": "@list", "@id": "toot:focalPoint" },
            "Hashtag": "as:Hashtag",
            "Emoji": "toot:Emoji",
            "blurhash": "toot:blurhash",
            "sensitive": "as:sensitive"
        }
    ])
}

/// Guesses an image's media type from its URL, for `icon`/`image`.
fn image_type(url: &str) -> &'static str {
    let lower = url.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".gif") {
        "image/gif"
    } else if lower.ends_with(".webp") {
        "image/webp"
    } else {
        "image/jpeg"
    }
}

/// The actor document of a local account.
pub fn person(account: &Account, urls: &Urls) -> Value {
    let attachment: Vec<Value> = account
        .fields
        .iter()
        .map(|f| json!({ "type": "PropertyValue", "name": f.name, "value": f.value }))
        .collect();
    let mut doc = json!({
        "@context": context(),
        "id": account.uri,
        "type": if account.bot { "Service" } else { "Person" },
        "following": account.following_url,
        "followers": account.followers_url,
        "inbox": account.inbox,
        "outbox": account.outbox,
        "featured": account.featured_url,
        "featuredTags": urls.featured_tags(&account.username),
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.note,
        "url": account.url,
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "memorial": false,
        "published": crate::time_fmt::iso8601_ms(account.created_at_ms),
        "publicKey": {
            "id": account.public_key_id,
            "owner": account.uri,
            "publicKeyPem": account.public_key_pem,
        },
        "tag": [],
        "attachment": attachment,
        "endpoints": { "sharedInbox": account.shared_inbox },
    });
    if !account.avatar.is_empty() {
        doc["icon"] = json!({ "type": "Image", "mediaType": image_type(&account.avatar), "url": account.avatar });
    }
    if !account.header.is_empty() {
        doc["image"] = json!({ "type": "Image", "mediaType": image_type(&account.header), "url": account.header });
    }
    if !account.also_known_as.is_empty() {
        doc["alsoKnownAs"] = json!(account.also_known_as);
    }
    if let Some(m) = &account.moved_to {
        doc["movedTo"] = json!(m);
    }
    doc
}
