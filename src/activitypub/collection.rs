//! `OrderedCollection` and its pages, shaped as Mastodon serves them.

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
