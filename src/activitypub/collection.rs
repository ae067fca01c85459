//! `OrderedCollection` and its pages, shaped as Mastodon serves them;
//! and the unordered `Collection` with its first page embedded, the
//! shape of a status's replies.

use serde_json::{json, Value};

/// Items on one collection page.
pub const PAGE_SIZE: usize = 20;

const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The collection summary: count and a link to the first page.
pub fn summary(id: &str, total: u64, first: Option<String>) -> Value {
    let mut doc = json!({
        "@context": CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if let Some(first) = first {
        doc["first"] = json!(first);
    }
    doc
}

/// A collection with its items inline (small ones, like `featured`).
pub fn inline(id: &str, items: Vec<Value>) -> Value {
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    })
}

/// One page. `next` is present only when more items follow.
pub fn page(
    id: &str,
    part_of: &str,
    total: u64,
    items: Vec<Value>,
    next: Option<String>,
    prev: Option<String>,
) -> Value {
    let mut doc = json!({
        "@context": CONTEXT,
        "id": id,
        "type": "OrderedCollectionPage",
        "totalItems": total,
        "partOf": part_of,
        "orderedItems": items,
    });
    if let Some(n) = next {
        doc["next"] = json!(n);
    }
    if let Some(p) = prev {
        doc["prev"] = json!(p);
    }
    doc
}

/// An unordered `Collection` with its first page embedded (as Mastodon
/// serves a status's replies, so a peer reads the first items without a
/// second request).
pub fn with_first_page(id: &str, mut first: Value) -> Value {
    if let Some(o) = first.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": "Collection",
        "first": first,
    })
}

/// One page of an unordered collection: `items` (ids), `next` only when
/// more may follow.
pub fn unordered_page(id: &str, part_of: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut doc = json!({
        "@context": CONTEXT,
        "id": id,
        "type": "CollectionPage",
        "partOf": part_of,
        "items": items,
    });
    if let Some(n) = next {
        doc["next"] = json!(n);
    }
    doc
}
