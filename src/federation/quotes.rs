//! Reading quote posts as peers send them.
//!
//! Four shapes are in use for "this post quotes that one": FEP-044f's
//! `quote` (Mastodon 4.5, GoToSocial, tootik), Misskey's
//! `_misskey_quote`, Pleroma and Akkoma's `quoteUrl`, and Fedibird's
//! `quoteUri`. Each holds the quoted post's id, as a string or (rarely)
//! an object or a one-element list. Only FEP-044f has approval: the
//! quoted post's server grants a `QuoteAuthorization` stamp, which the
//! quoting post names in `quoteAuthorization`, and which must be fetched
//! from that server and name both posts before the quote counts as
//! approved (`stamp_matches`).
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::origin::id_of;
use crate::activitypub::PUBLIC;
use crate::content::links::MAX_URL_BYTES;
use crate::store::quotes::QuotePolicy;
use serde_json::Value;

/// The properties naming a quoted post, in the order they are believed
/// when a post carries several (FEP-044f first, as Mastodon reads them).
pub const QUOTE_KEYS: &[&str] = &["quote", "_misskey_quote", "quoteUrl", "quoteUri"];

/// A quote as a post declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    /// The quoted post's id.
    pub uri: String,
    /// The stamp the post says approves it (FEP-044f only).
    pub approval_uri: Option<String>,
}

/// A peer's address we may fetch: http(s), with a host, not overlong.
fn fetchable(s: &str) -> Option<String> {
    (s.len() <= MAX_URL_BYTES && crate::host::of_url(s).is_some()).then(|| s.to_string())
}

/// The first id in a value that is a string, an object with an `id`, or
/// a list of either.
fn first_id(v: &Value) -> Option<&str> {
    match v {
        Value::Array(a) => a.first().and_then(id_of),
        other => id_of(other),
    }
}

/// The quote a post declares, in whichever shape it uses.
pub fn declared(doc: &Value) -> Option<Declared> {
    let uri = QUOTE_KEYS
        .iter()
        .find_map(|k| doc.get(*k).and_then(first_id).and_then(fetchable))?;
    let approval_uri = doc
        .get("quoteAuthorization")
        .and_then(first_id)
        .and_then(fetchable);
    Some(Declared { uri, approval_uri })
}

/// Who a remote post lets quote it without asking, from its
/// `interactionPolicy.canQuote` (FEP-044f and GoToSocial's older
/// `always`). `None` when it declares nothing: its server knows no
/// approval, so there is nothing to ask for.
pub fn declared_policy(doc: &Value, author_followers: &str) -> Option<QuotePolicy> {
    let can_quote = doc.pointer("/interactionPolicy/canQuote")?;
    let automatic: Vec<&str> = ["automaticApproval", "always"]
        .iter()
        .filter_map(|k| can_quote.get(*k))
        .flat_map(|v| match v {
            Value::Array(a) => a.iter().filter_map(id_of).collect::<Vec<_>>(),
            other => id_of(other).into_iter().collect(),
        })
        .collect();
    Some(
        if automatic
            .iter()
            .any(|u| *u == PUBLIC || *u == "as:Public" || *u == "Public")
        {
            QuotePolicy::Public
        } else if !author_followers.is_empty() && automatic.contains(&author_followers) {
            QuotePolicy::Followers
        } else {
            QuotePolicy::Nobody
        },
    )
}

/// What a stamp must say to approve `quoting_uri` quoting `quoted_uri`
/// by `quoted_author`, fetched from `stamp_uri` (the fetcher checked its
/// `id`): it is a `QuoteAuthorization`, granted by the quoted post's
/// author, on that author's origin, naming both posts.
pub fn stamp_matches(
    stamp: &Value,
    stamp_uri: &str,
    quoting_uri: &str,
    quoted_uri: &str,
    quoted_author: &str,
) -> Result<(), String> {
    let is_stamp = match stamp.get("type") {
        Some(Value::String(t)) => t == "QuoteAuthorization",
        Some(Value::Array(a)) => a.iter().any(|t| t == "QuoteAuthorization"),
        _ => false,
    };
    if !is_stamp {
        return Err(format!("{stamp_uri} is not a QuoteAuthorization"));
    }
    if stamp.get("attributedTo").and_then(id_of) != Some(quoted_author) {
        return Err(format!("{stamp_uri} is not granted by {quoted_author}"));
    }
    if !crate::host::same_origin(stamp_uri, quoted_author) {
        return Err(format!("{stamp_uri} is not on {quoted_author}'s server"));
    }
    if stamp.get("interactingObject").and_then(id_of) != Some(quoting_uri) {
        return Err(format!("{stamp_uri} does not approve {quoting_uri}"));
    }
    if stamp.get("interactionTarget").and_then(id_of) != Some(quoted_uri) {
        return Err(format!("{stamp_uri} is not about {quoted_uri}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shape_in_use_is_read() {
        let q = "https://a.example/notes/1";
        for key in QUOTE_KEYS {
            let d = declared(&json!({ *key: q })).unwrap();
            assert_eq!(d.uri, q, "{key}");
            assert_eq!(d.approval_uri, None);
        }
        let d = declared(&json!({ "quote": { "id": q }, "quoteAuthorization": [q] })).unwrap();
        assert_eq!(d.approval_uri.as_deref(), Some(q));
        // FEP-044f wins over the older keys.
        let d = declared(&json!({ "quoteUrl": "https://b.example/x", "quote": q })).unwrap();
        assert_eq!(d.uri, q);
    }

    #[test]
    fn hostile_values_are_no_quote() {
        for v in [
            json!({ "quote": "javascript:alert(1)" }),
            json!({ "quote": 7 }),
            json!({ "quote": [] }),
            json!({ "quote": "" }),
            json!({ "quoteUrl": format!("https://a.example/{}", "x".repeat(MAX_URL_BYTES)) }),
        ] {
            assert_eq!(declared(&v), None, "{v}");
        }
    }

    #[test]
    fn policies_are_read_from_either_vocabulary() {
        let f = "https://a.example/users/x/followers";
        let p =
            |can: Value| declared_policy(&json!({ "interactionPolicy": { "canQuote": can } }), f);
        assert_eq!(
            p(json!({ "automaticApproval": PUBLIC })),
            Some(QuotePolicy::Public)
        );
        assert_eq!(p(json!({ "always": [PUBLIC] })), Some(QuotePolicy::Public));
        assert_eq!(
            p(json!({ "automaticApproval": [f] })),
            Some(QuotePolicy::Followers)
        );
        assert_eq!(
            p(json!({ "manualApproval": [PUBLIC] })),
            Some(QuotePolicy::Nobody)
        );
        assert_eq!(declared_policy(&json!({}), f), None);
    }

    #[test]
    fn a_stamp_must_name_both_posts_and_come_from_the_author() {
        let author = "https://a.example/users/x";
        let stamp_uri = "https://a.example/users/x/quote_authorizations/1";
        let good = json!({
            "id": stamp_uri,
            "type": "QuoteAuthorization",
            "attributedTo": author,
            "interactingObject": "https://b.example/notes/2",
            "interactionTarget": "https://a.example/notes/1",
        });
        let check = |s: &Value, uri: &str| {
            stamp_matches(
                s,
                uri,
                "https://b.example/notes/2",
                "https://a.example/notes/1",
                author,
            )
        };
        assert_eq!(check(&good, stamp_uri), Ok(()));
        assert!(check(&good, "https://evil.example/stamp").is_err());
        for (k, v) in [
            ("type", json!("Note")),
            ("attributedTo", json!("https://a.example/users/y")),
            ("interactingObject", json!("https://b.example/notes/3")),
            ("interactionTarget", json!("https://a.example/notes/9")),
        ] {
            let mut bad = good.clone();
            if let Some(o) = bad.as_object_mut() {
                o.insert(k.to_string(), v);
            }
            assert!(check(&bad, stamp_uri).is_err(), "{k}");
        }
    }
}
