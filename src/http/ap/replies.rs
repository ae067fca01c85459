//! A status's replies, as a collection peers can walk to fill in the
//! thread (Mastodon 4.4 and GoToSocial do).
//!
//! Shaped as Mastodon serves it: `…/replies` is a `Collection` whose
//! `first` page is embedded; pages are `…/replies?page=true`, first the
//! owner's own replies (a thread they continued), then, from
//! `only_other_accounts=true`, everyone else's; each page lists ids and
//! links the next with `min_id`, the last id it looked at.
//!
//! Only public and unlisted replies are listed (Mastodon's
//! "distributable"), and of those only what the one asking may see, by
//! the visibility gate: a followers-only reply is never listed, even to
//! a follower, since the list is the same for anyone who walks it.

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use super::signed_fetch::SignedFetch;
use crate::activitypub::collection;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::statuses::Status;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

/// Replies listed on one page.
pub const REPLIES_PAGE_SIZE: usize = collection::PAGE_SIZE;
/// Stored replies looked at for one page. Replies the asker may not see,
/// or of the other kind (the owner's, others'), are skipped; this bounds
/// the work a single request can cause on a long thread. The next page
/// starts after the last one looked at.
pub const REPLIES_SCAN: usize = REPLIES_PAGE_SIZE * 5;
/// Query parameters read; the rest of a long query string is ignored.
const MAX_QUERY_PAIRS: usize = 16;

/// What a replies URL asks for.
#[derive(Debug, Default, PartialEq)]
struct Query {
    /// A page, rather than the collection.
    page: bool,
    /// Replies by others than the owner (else the owner's own).
    only_other_accounts: bool,
    /// Replies after this id.
    min_id: Option<u64>,
}

/// Rails' truthy values, as Mastodon reads its flags.
fn truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "1" | "t" | "on" | "yes"
    )
}

impl Query {
    fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let mut q = Query::default();
        let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes());
        for (k, v) in pairs.take(MAX_QUERY_PAIRS) {
            match k.as_ref() {
                "page" => q.page = truthy(&v),
                "only_other_accounts" => q.only_other_accounts = truthy(&v),
                "min_id" => {
                    q.min_id = Some(crate::store::ids::parse_id(&v).ok_or_else(|| {
                        ApiError::bad_request(format!("min_id `{v}` is not a status id"))
                    })?)
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

/// The URL of one page.
fn page_url(base: &str, only_other_accounts: bool, min_id: Option<u64>) -> String {
    let mut url = format!("{base}?");
    if let Some(m) = min_id {
        url.push_str(&format!("min_id={m}&"));
    }
    if only_other_accounts {
        url.push_str("only_other_accounts=true&");
    }
    url.push_str("page=true");
    url
}

pub async fn replies(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    mut fetch: SignedFetch,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref())?;
    let (status, owner) = super::objects::visible(&state, &name, &id, &mut fetch).await?;
    let page = page(&state, &mut fetch, &status, owner.id, &q).await?;
    let base = format!("{}/replies", status.uri);
    Ok(super::activity_json(if q.page {
        page
    } else {
        collection::with_first_page(&base, page)
    }))
}

/// One page of replies to `status`, as `q` asks.
async fn page(
    state: &AppState,
    fetch: &mut SignedFetch,
    status: &Status,
    owner_id: u64,
    q: &Query,
) -> Result<Value, ApiError> {
    let base = format!("{}/replies", status.uri);
    let scanned = state
        .store
        .replies_after(status.id, q.min_id, REPLIES_SCAN)?;
    let mut items = Vec::new();
    let mut last = None;
    let mut full = false;
    for rid in &scanned {
        if items.len() >= REPLIES_PAGE_SIZE {
            full = true;
            break;
        }
        last = Some(*rid);
        let Some(r) = state.store.status(*rid)? else {
            continue;
        };
        if (r.account_id == owner_id) == q.only_other_accounts || !r.visibility.is_public() {
            continue;
        }
        if fetch.may_see(state, &r).await? {
            items.push(json!(r.uri));
        }
    }
    // More may follow when the page filled up or the scan did.
    let more = full || scanned.len() >= REPLIES_SCAN;
    let next = match (more, q.only_other_accounts) {
        (true, other) => Some(page_url(&base, other, last)),
        // The owner's replies are done; everyone else's follow.
        (false, false) => Some(page_url(&base, true, None)),
        (false, true) => None,
    };
    Ok(collection::unordered_page(
        &page_url(&base, q.only_other_accounts, q.min_id),
        &base,
        items,
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_read_as_mastodon_writes_them() {
        let q = Query::parse(Some("only_other_accounts=true&page=true&min_id=42")).unwrap();
        assert_eq!(
            q,
            Query {
                page: true,
                only_other_accounts: true,
                min_id: Some(42)
            }
        );
        assert_eq!(Query::parse(None).unwrap(), Query::default());
        assert!(!Query::parse(Some("page=false")).unwrap().page);
        assert!(Query::parse(Some("min_id=abc")).is_err());
        assert!(Query::parse(Some("min_id=99999999999999999999999")).is_err());
        assert_eq!(
            page_url("https://x/r", true, Some(7)),
            "https://x/r?min_id=7&only_other_accounts=true&page=true"
        );
    }
}
