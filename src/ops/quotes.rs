//! Quote posts, both ways (Mastodon 4.5's rules, FEP-044f).
//!
//! Receiving: a remote post's quote is linked to the quoted post (fetched
//! through the SSRF-safe fetcher when missing, a bounded number of levels
//! deep) and counts as accepted only when it is approved: a self-quote; a
//! stamp (`QuoteAuthorization`) fetched from the quoted post's origin that
//! names both posts; for the owner's posts, a stamp the owner granted or
//! the owner's policy letting that author quote; and for a post whose
//! server declares no quote policy at all (Misskey, Pleroma, Akkoma, which
//! know no approval), being public or unlisted.
//!
//! Sending: the owner quotes with `quoted_status_id`; a remote quoted
//! post's author is sent a `QuoteRequest` and the quote stays pending
//! until an Accept brings a stamp that checks out, when the Note is sent
//! again with `quoteAuthorization`. Requests for the owner's posts are
//! answered by the owner's policy; a revocation deletes the stamp.

use super::{commit, durable, emit, owner_account, OpError, OpResult};
use crate::activitypub::{activity, note, quote as ap};
use crate::events::Event;
use crate::federation::{self, origin, outbox, quotes::declared};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::quotes::{QuoteLink, QuotePolicy, QuoteState, Stamp};
use crate::store::relations::Rel;
use crate::store::statuses::{Status, Visibility};
use crate::time_fmt::now_ms;
use serde_json::Value;

/// How deep quotes are followed when a post arrives: its quote, and
/// that quote's quote (`depth` as `inbound::store_remote_status` counts
/// it), and no further, so a chain of quotes costs at most two fetches.
pub const MAX_QUOTE_DEPTH: usize = 2;
/// Quotes listed in one answer of `GET /api/v1/statuses/:id/quotes`.
pub const MAX_QUOTES_LISTED: usize = 40;

/// Links the quote a remote post declares, before it is stored, and
/// notes the quote policy its server declares.
pub async fn resolve_remote(
    state: &AppState,
    doc: &Value,
    status: &mut Status,
    author: &Account,
    depth: usize,
) -> OpResult<()> {
    status.quote_policy = federation::quotes::declared_policy(doc, &author.followers_url);
    let Some(d) = declared(doc) else {
        return Ok(());
    };
    let quoted = match state.store.status_by_uri(&d.uri)? {
        Some(q) => Some(q),
        None if depth < MAX_QUOTE_DEPTH && fetch_allowed(state, &d.uri)? => {
            match federation::fetch_object(state, &d.uri).await {
                Some(qdoc) => {
                    Box::pin(super::inbound::store_remote_status(state, &qdoc, depth + 1))
                        .await
                        .ok()
                        .flatten()
                }
                None => None,
            }
        }
        None => None,
    }
    .filter(|q| q.reblog_of_id.is_none());
    let mut link = QuoteLink {
        uri: d.uri.clone(),
        status_id: quoted.as_ref().map(|q| q.id),
        approval_uri: d.approval_uri.clone(),
        ..Default::default()
    };
    link.state = match &quoted {
        None => QuoteState::Pending,
        Some(q) => approval(state, status, author, q, d.approval_uri.as_deref()).await?,
    };
    status.quote = Some(link);
    Ok(())
}

/// Whether the server may fetch `uri` for a quote: not tombstoned here,
/// not on a domain the owner blocked.
fn fetch_allowed(state: &AppState, uri: &str) -> OpResult<bool> {
    let host = crate::host::of_url(uri).unwrap_or_default();
    Ok(!state.store.is_tombstoned(uri)? && !state.store.is_domain_blocked(&host)?)
}

/// Whether `quoting` (by `author`) quoting `quoted` is approved.
async fn approval(
    state: &AppState,
    quoting: &Status,
    author: &Account,
    quoted: &Status,
    stamp_uri: Option<&str>,
) -> OpResult<QuoteState> {
    if quoted.account_id == author.id {
        return Ok(QuoteState::Accepted);
    }
    if quoted.local {
        let granted = match stamp_uri.and_then(|u| own_stamp(state, u)) {
            Some(id) => state
                .store
                .stamp(id)?
                .is_some_and(|s| s.quoting_uri == quoting.uri && s.quoted_id == quoted.id),
            None => false,
        };
        return Ok(if granted || allows(state, quoted, author)? {
            QuoteState::Accepted
        } else {
            QuoteState::Pending
        });
    }
    let Some(quoted_author) = state.store.account(quoted.account_id)? else {
        return Ok(QuoteState::Pending);
    };
    match stamp_uri {
        Some(uri) => Ok(check_stamp(state, uri, &quoting.uri, quoted, &quoted_author).await),
        // A server that declares no policy knows no approval: nothing
        // was asked, and nothing will be.
        None if quoted.quote_policy.is_none() && quoted.visibility.is_public() => {
            Ok(QuoteState::Accepted)
        }
        None => Ok(QuoteState::Pending),
    }
}

/// Fetches a stamp from the quoted author's origin and checks it, as
/// Mastodon's `VerifyQuoteService`: a stamp elsewhere is not fetched and
/// leaves the quote pending; one that can't be had rejects it.
async fn check_stamp(
    state: &AppState,
    uri: &str,
    quoting_uri: &str,
    quoted: &Status,
    quoted_author: &Account,
) -> QuoteState {
    if !crate::host::same_origin(uri, &quoted_author.uri) {
        tracing::info!("stamp {uri} is not on {}'s server", quoted_author.uri);
        return QuoteState::Pending;
    }
    let Some(stamp) = federation::fetch_object(state, uri).await else {
        return QuoteState::Rejected;
    };
    match federation::quotes::stamp_matches(
        &stamp,
        uri,
        quoting_uri,
        &quoted.uri,
        &quoted_author.uri,
    ) {
        Ok(()) => QuoteState::Accepted,
        Err(why) => {
            tracing::info!("not believing stamp {uri}: {why}");
            QuoteState::Pending
        }
    }
}

/// The id of a stamp the owner granted, from its URL.
fn own_stamp(state: &AppState, uri: &str) -> Option<u64> {
    let owner = state.store.owner_account().ok()??;
    let prefix = state.urls.quote_authorization(&owner.username, 0);
    let base = prefix.strip_suffix('0')?;
    uri.strip_prefix(base)?.parse().ok()
}

/// Whether the owner's policy lets `who` quote `quoted` without asking:
/// public and unlisted posts only, never a blocked account or domain.
pub fn allows(state: &AppState, quoted: &Status, who: &Account) -> OpResult<bool> {
    if !quoted.visibility.is_public()
        || state.store.has_relation(Rel::Blocking, who.id)?
        || super::hiding::domain_hidden(state, who.id)?
    {
        return Ok(false);
    }
    Ok(match quoted.quote_policy.unwrap_or_default() {
        QuotePolicy::Public => true,
        QuotePolicy::Followers => state.store.has_relation(Rel::FollowedBy, who.id)?,
        QuotePolicy::Nobody => false,
    })
}

/// Whether a status quotes one of the owner's posts (so it is kept).
pub fn quotes_owner(state: &AppState, s: &Status, owner: &Account) -> OpResult<bool> {
    Ok(match s.quote.as_ref().and_then(|q| q.status_id) {
        Some(id) => state
            .store
            .status(id)?
            .is_some_and(|q| q.account_id == owner.id),
        None => false,
    })
}

/// Whether a remote post declares a quote of one of the owner's posts
/// (looked up here only: the owner's posts are all here).
pub fn declares_owner_post(state: &AppState, doc: &Value, owner: &Account) -> OpResult<bool> {
    Ok(match declared(doc) {
        Some(d) => state
            .store
            .status_by_uri(&d.uri)?
            .is_some_and(|q| q.local && q.account_id == owner.id),
        None => false,
    })
}

/// The owner's quote of `quoted_id`, checked before the post is made,
/// and the author to ask when the quote needs approval.
pub struct OwnQuote {
    pub link: QuoteLink,
    pub ask: Option<Account>,
}

/// Checks that the owner may quote `quoted_id` and how.
pub fn prepare(state: &AppState, owner: &Account, quoted_id: u64) -> OpResult<OwnQuote> {
    let quoted =
        super::visibility::visible_status(state, &super::visibility::Viewer::Owner, quoted_id)?
            .filter(|q| q.reblog_of_id.is_none())
            .ok_or_else(|| OpError::NotFound("Record not found: the post you quote".into()))?;
    let mut link = QuoteLink {
        uri: quoted.uri.clone(),
        status_id: Some(quoted.id),
        ..Default::default()
    };
    if quoted.account_id == owner.id {
        link.state = QuoteState::Accepted;
        return Ok(OwnQuote { link, ask: None });
    }
    if !quoted.visibility.is_public() {
        return Err(OpError::Invalid(
            "Validation failed: only public and unlisted posts of others can be quoted".into(),
        ));
    }
    let author = state
        .store
        .account(quoted.account_id)?
        .ok_or_else(|| OpError::NotFound("Record not found: the quoted post's author".into()))?;
    match quoted.quote_policy {
        None => {
            link.state = QuoteState::Accepted;
            Ok(OwnQuote { link, ask: None })
        }
        Some(QuotePolicy::Nobody) => Err(OpError::Invalid(
            "Validation failed: the author of that post does not allow quotes".into(),
        )),
        Some(_) => Ok(OwnQuote {
            link,
            ask: Some(author),
        }),
    }
}

/// The id of the `QuoteRequest` for the owner's status `id`.
pub fn request_id(owner: &Account, id: u64) -> String {
    activity::activity_id(owner, "quote_requests", id)
}

/// The `QuoteRequest` job for the owner's new quote, if one is owed.
pub fn request_job(
    state: &AppState,
    owner: &Account,
    status: &Status,
    note_doc: &Value,
    ask: Option<&Account>,
) -> Vec<crate::store::queue::DeliveryJob> {
    let (Some(author), Some(q)) = (ask, &status.quote) else {
        return vec![];
    };
    let req = ap::request(
        &request_id(owner, status.id),
        owner,
        &q.uri,
        &author.uri,
        note_doc.clone(),
    );
    outbox::jobs(state, &req, vec![author.inbox.clone()])
}

/// An inbound quote activity: a `QuoteRequest`, or an Accept or Reject
/// answering one. `None` when the activity is none of these.
pub async fn inbound(state: &AppState, actor: &Account, act: &Value) -> Option<OpResult<()>> {
    let kind = act.get("type").and_then(Value::as_str).unwrap_or("");
    let object = act.get("object").unwrap_or(&Value::Null);
    match kind {
        "QuoteRequest" => Some(request(state, actor, act).await),
        "Accept" | "Reject" => {
            let answered = object.get("type").and_then(Value::as_str) == Some("QuoteRequest")
                || origin::id_of(object).is_some_and(|id| {
                    matches!(state.store.status_by_quote_request(id), Ok(Some(_)))
                });
            if !answered {
                return None;
            }
            Some(answer(state, actor, act, kind == "Accept").await)
        }
        _ => None,
    }
}

/// Answers a `QuoteRequest` for one of the owner's posts by the owner's
/// policy: an Accept with a fresh stamp, or a Reject.
async fn request(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    let id = origin::id_of(act)
        .ok_or_else(|| OpError::Invalid("a QuoteRequest needs an id".into()))?
        .to_string();
    origin::minted_by(actor, &id)?;
    let instrument = act.get("instrument").unwrap_or(&Value::Null);
    let Some(quoting_uri) = origin::id_of(instrument).map(str::to_string) else {
        return Err(OpError::Invalid(
            "a QuoteRequest needs an instrument".into(),
        ));
    };
    // The quoting post is the requester's own.
    origin::minted_by(actor, &quoting_uri)?;
    let quoted = match act.get("object").and_then(origin::id_of) {
        Some(uri) => state
            .store
            .status_by_uri(uri)?
            .filter(|s| s.local && s.account_id == owner.id && s.reblog_of_id.is_none()),
        None => None,
    };
    let Some(quoted) = quoted else {
        return Ok(());
    };
    let mut embedded = act.clone();
    if let Some(o) = embedded.as_object_mut() {
        o.remove("@context");
        o.remove("signature");
    }
    if !allows(state, &quoted, actor)? {
        let answer = ap::reject(
            &activity::activity_id(&owner, "rejects/quote_requests", state.store.next_id()),
            &owner,
            embedded,
            &actor.uri,
        );
        let jobs = outbox::jobs(state, &answer, outbox::account_inboxes(state, &[actor.id])?);
        return commit(state, &jobs, |_| Ok(())).await;
    }
    let stamp = Stamp {
        id: state.store.next_id(),
        quoting_uri: quoting_uri.clone(),
        quoting_author_uri: actor.uri.clone(),
        quoted_id: quoted.id,
        created_at_ms: now_ms(),
    };
    let stamp_uri = state.urls.quote_authorization(&owner.username, stamp.id);
    let answer = ap::accept(
        &activity::activity_id(&owner, "accepts/quote_requests", stamp.id),
        &owner,
        embedded,
        &actor.uri,
        &stamp_uri,
    );
    let jobs = outbox::jobs(state, &answer, outbox::account_inboxes(state, &[actor.id])?);
    commit(state, &jobs, |tx| tx.put_stamp(&stamp)).await?;
    // The quoting post, when it is here (or came embedded, by its author),
    // now shows the approval.
    let quoting = match state.store.status_by_uri(&quoting_uri)? {
        Some(s) => Some(s),
        None if origin::embedded_trusted(actor, instrument) => {
            super::inbound::store_remote_status(state, instrument, 0).await?
        }
        None => None,
    };
    if let Some(mut s) = quoting.filter(|s| s.account_id == actor.id) {
        if let Some(q) = s.quote.as_mut().filter(|q| q.status_id == Some(quoted.id)) {
            q.state = QuoteState::Accepted;
            q.approval_uri = Some(stamp_uri);
            state.store.transact(|tx| tx.update_status(&s))?;
            durable(state).await?;
            emit(state, Event::StatusUpdated(s.id));
        }
    }
    Ok(())
}

/// An Accept or Reject of a `QuoteRequest` the owner sent: only from the
/// quoted post's author, and an Accept only with a stamp that checks out.
async fn answer(state: &AppState, actor: &Account, act: &Value, accepted: bool) -> OpResult<()> {
    let owner = owner_account(state)?;
    let object = act.get("object").unwrap_or(&Value::Null);
    let Some(request_uri) = origin::id_of(object) else {
        return Ok(());
    };
    let Some(mut status) = state
        .store
        .status_by_quote_request(request_uri)?
        .filter(|s| s.local)
    else {
        return Ok(());
    };
    let Some(mut link) = status.quote.clone() else {
        return Ok(());
    };
    let quoted = match link.status_id {
        Some(id) => state.store.status(id)?,
        None => None,
    };
    let Some(quoted) = quoted.filter(|q| q.account_id == actor.id) else {
        return Err(OpError::Forbidden(format!(
            "{} answered a quote request that was not sent to it",
            actor.uri
        )));
    };
    if !accepted {
        link.state = QuoteState::Rejected;
        status.quote = Some(link);
        state.store.transact(|tx| tx.update_status(&status))?;
        durable(state).await?;
        emit(state, Event::StatusUpdated(status.id));
        return Ok(());
    }
    let Some(stamp_uri) = act
        .get("result")
        .and_then(origin::id_of)
        .map(str::to_string)
    else {
        return Err(OpError::Invalid(
            "an Accept of a quote needs a result".into(),
        ));
    };
    if check_stamp(state, &stamp_uri, &status.uri, &quoted, actor).await != QuoteState::Accepted {
        return Err(OpError::Forbidden(format!(
            "the stamp {stamp_uri} does not approve {}",
            status.uri
        )));
    }
    link.state = QuoteState::Accepted;
    link.approval_uri = Some(stamp_uri);
    status.quote = Some(link);
    // Everyone who has the post gets it again, with the stamp.
    let doc = note::note(
        &status,
        &owner,
        &state.urls,
        &super::statuses::attachments(state, &status.media_ids),
    );
    let update = activity::wrap(
        "Update",
        activity::activity_id(&owner, "updates", state.store.next_id()),
        &owner,
        doc,
    );
    let mut inboxes = super::statuses::audience(state, &status, status.in_reply_to_account_id)?;
    inboxes.push(actor.inbox.clone());
    let jobs = outbox::jobs(state, &update, inboxes);
    commit(state, &jobs, |tx| tx.update_status(&status)).await?;
    emit(state, Event::StatusUpdated(status.id));
    Ok(())
}

/// A Delete of a stamp: its author takes back the approval of a quote.
/// `false` when `uri` is no stamp we know.
pub async fn stamp_deleted(state: &AppState, actor: &Account, uri: &str) -> OpResult<bool> {
    let Some(mut quoting) = state.store.status_by_approval(uri)? else {
        return Ok(false);
    };
    let quoted_author = match quoting.quote.as_ref().and_then(|q| q.status_id) {
        Some(id) => state.store.status(id)?.map(|q| q.account_id),
        None => None,
    };
    if quoted_author != Some(actor.id) {
        return Err(OpError::Forbidden(format!(
            "{} may not revoke a quote of someone else's post",
            actor.uri
        )));
    }
    origin::minted_by(actor, uri)?;
    if let Some(q) = quoting.quote.as_mut() {
        q.state = QuoteState::Revoked;
    }
    state.store.transact(|tx| tx.update_status(&quoting))?;
    durable(state).await?;
    emit(state, Event::StatusUpdated(quoting.id));
    Ok(true)
}

/// The owner takes back the approval of `quoting_id`'s quote of their
/// post `quoted_id`: the stamp is deleted here and at the quoting
/// post's author (and the owner's followers, who may have the post).
pub async fn revoke(state: &AppState, quoted_id: u64, quoting_id: u64) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let not_found = || OpError::NotFound("Record not found".into());
    let quoted = state
        .store
        .status(quoted_id)?
        .filter(|s| s.account_id == owner.id)
        .ok_or_else(not_found)?;
    let mut quoting = state
        .store
        .status(quoting_id)?
        .filter(|s| s.quote.as_ref().and_then(|q| q.status_id) == Some(quoted.id))
        .ok_or_else(not_found)?;
    if quoting.account_id == owner.id {
        return Err(OpError::Invalid(
            "Validation failed: the owner's own quotes are not revoked".into(),
        ));
    }
    let stamp_uri = quoting.quote.as_ref().and_then(|q| q.approval_uri.clone());
    if let Some(q) = quoting.quote.as_mut() {
        q.state = QuoteState::Revoked;
    }
    let stamp_id = stamp_uri.as_deref().and_then(|u| own_stamp(state, u));
    let jobs = match &stamp_uri {
        Some(uri) if stamp_id.is_some() => {
            let mut inboxes = outbox::account_inboxes(state, &[quoting.account_id])?;
            inboxes.extend(outbox::follower_inboxes(state)?);
            let author = state.store.account(quoting.account_id)?.map(|a| a.uri);
            let del = ap::revoke(
                &activity::activity_id(&owner, "revocations", state.store.next_id()),
                &owner,
                uri,
                &author.into_iter().collect::<Vec<_>>(),
            );
            outbox::jobs(state, &del, inboxes)
        }
        _ => vec![],
    };
    commit(state, &jobs, |tx| {
        if let Some(id) = stamp_id {
            tx.remove_stamp(id)?;
        }
        tx.update_status(&quoting)
    })
    .await?;
    emit(state, Event::StatusUpdated(quoting.id));
    Ok(quoting)
}

/// The stamp the owner granted with id `id`, as peers fetch it.
pub fn stamp_document(state: &AppState, id: u64) -> OpResult<Option<Value>> {
    let owner = owner_account(state)?;
    let Some(stamp) = state.store.stamp(id)? else {
        return Ok(None);
    };
    let Some(quoted) = state.store.status(stamp.quoted_id)? else {
        return Ok(None);
    };
    Ok(Some(ap::authorization(
        &state.urls.quote_authorization(&owner.username, id),
        &owner.uri,
        &stamp.quoting_uri,
        &quoted.uri,
    )))
}

/// Whether a private or direct post may keep a policy other than
/// `nobody`: it may not (nobody else can quote it).
pub fn effective_policy(visibility: Visibility, chosen: Option<QuotePolicy>) -> QuotePolicy {
    match visibility {
        Visibility::Private | Visibility::Direct => QuotePolicy::Nobody,
        _ => chosen.unwrap_or_default(),
    }
}

/// The quote of an edited remote post: an approval already checked for
/// the same quote and stamp stands; anything else is worked out again.
pub async fn refresh_remote(
    state: &AppState,
    doc: &Value,
    stored: &Status,
    fresh: &mut Status,
    author: &Account,
) -> OpResult<()> {
    let d = declared(doc);
    let unchanged = match (&stored.quote, &d) {
        (Some(q), Some(d)) => {
            q.uri == d.uri && q.approval_uri == d.approval_uri && q.state != QuoteState::Pending
        }
        _ => false,
    };
    if unchanged {
        fresh.quote_policy = federation::quotes::declared_policy(doc, &author.followers_url);
        fresh.quote = stored.quote.clone();
        return Ok(());
    }
    // An edit fetches nothing more than the quoted post itself.
    resolve_remote(state, doc, fresh, author, MAX_QUOTE_DEPTH - 1).await
}
