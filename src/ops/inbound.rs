//! What peers do to us: each verified inbound activity becomes one of
//! these operations. The caller (the inbox worker) has already checked
//! the signature and that the signer is the activity's actor (save for a
//! Create another server forwarded, which is then the forwarder's, whose
//! word about the object is not taken); who may
//! speak for which object is asked of `federation::origin`, and the rules
//! here check the rest (what each verb may change).

use super::{commit, durable, emit, owner_account, OpError, OpResult};
use crate::activitypub::{activity, PUBLIC};
use crate::content::links::{self, safe_url};
use crate::events::Event;
use crate::federation::{self, origin, outbox};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::notifications::Notification;
use crate::store::relations::{Rel, Relation, StatusRel};
use crate::store::statuses::{Mention, RemoteMedia, Revision, Status, Visibility};
use crate::store::timelines;
use crate::time_fmt::{now_ms, parse_rfc3339_ms};
use serde_json::Value;

/// How many ancestors of a reply are fetched to complete a thread.
pub const MAX_THREAD_DEPTH: usize = 8;

pub use crate::federation::origin::id_of;

fn kind_of(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Strings of a `to`/`cc`-like field (string or array).
fn uris(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| id_of(x).map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// A notification from `from`, unless the owner mutes or blocks them or
/// the notification policy drops it (a `filtered` one waits as a request).
fn notification(
    state: &AppState,
    kind: &str,
    from: u64,
    status: Option<u64>,
) -> OpResult<Option<Notification>> {
    if state.store.has_relation(Rel::Muting, from)?
        || state.store.has_relation(Rel::Blocking, from)?
    {
        return Ok(None);
    }
    let n = Notification {
        id: state.store.next_id(),
        kind: kind.into(),
        account_id: from,
        status_id: status,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    let Some(mut n) = super::notification_policy::screen(state, n)? else {
        return Ok(None);
    };
    super::notification_groups::assign(&state.store, &mut n)?;
    Ok(Some(n))
}

fn notify(state: &AppState, kind: &str, from: u64, status: Option<u64>) -> OpResult<()> {
    let Some(n) = notification(state, kind, from, status)? else {
        return Ok(());
    };
    if state.store.transact(|tx| tx.notify(&n))? {
        emit(state, Event::Notification(n.id));
    }
    Ok(())
}

/// Dispatches one verified activity from `actor`.
pub async fn process(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let object = act.get("object").cloned().unwrap_or(Value::Null);
    if let Some(done) = super::quotes::inbound(state, actor, act).await {
        return done;
    }
    match kind_of(act) {
        "Follow" => follow(state, actor, act).await,
        "Accept" => accept(state, actor, &object).await,
        "Reject" => reject(state, actor, &object).await,
        "Undo" => undo(state, actor, &object).await,
        "Create" => create(state, actor, &object).await,
        "Update" => update(state, actor, &object).await,
        "Delete" => delete(state, actor, &object).await,
        "Like" | "EmojiReact" => like(state, actor, act).await,
        "Announce" => announce(state, actor, act).await,
        "Block" => block(state, actor, &object).await,
        "Move" => moved(state, actor, act).await,
        "Flag" => flag(state, actor, act).await,
        // Pins of remote accounts are fetched with their profile; nothing to keep.
        "Add" | "Remove" => Ok(()),
        other => {
            tracing::debug!("ignoring {other} from {}", actor.uri);
            Ok(())
        }
    }
}

async fn follow(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    if id_of(act.get("object").unwrap_or(&Value::Null)) != Some(owner.uri.as_str()) {
        return Err(OpError::Invalid("Follow of someone who is not here".into()));
    }
    let follow_id = id_of(act).unwrap_or_default().to_string();
    let r = Relation {
        id: state.store.next_id(),
        activity_uri: follow_id,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    let already = state.store.has_relation(Rel::FollowedBy, actor.id)?;
    // An owner who moved away takes no new followers: they are refused
    // and the actor document's `movedTo` points to the new account.
    let moved = owner.moved_to.is_some() && !already;
    let blocked = state.store.has_relation(Rel::Blocking, actor.id)? || moved;
    let pending = owner.locked && !blocked && !already;
    let answer = if pending {
        None
    } else {
        let kind = if blocked { "Reject" } else { "Accept" };
        let mut embedded = act.clone();
        if let Some(o) = embedded.as_object_mut() {
            o.remove("@context");
            o.remove("signature");
        }
        let id = activity::activity_id(&owner, &kind.to_lowercase(), state.store.next_id());
        Some(activity::respond(kind, id, &owner, embedded, &actor.uri))
    };
    let jobs = match &answer {
        Some(a) => outbox::jobs(state, a, outbox::account_inboxes(state, &[actor.id])?),
        None => vec![],
    };
    commit(state, &jobs, |tx| {
        if pending {
            tx.set_relation(owner.id, Rel::RequestedBy, actor.id, &r)?;
        } else if !blocked {
            tx.set_relation(owner.id, Rel::FollowedBy, actor.id, &r)?;
        }
        Ok(())
    })
    .await?;
    if !blocked && !already {
        notify(
            state,
            if pending { "follow_request" } else { "follow" },
            actor.id,
            None,
        )?;
    }
    Ok(())
}

async fn accept(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    let Some(r) = state.store.relation(Rel::Requested, actor.id)? else {
        return Ok(());
    };
    origin::answers_owner_follow(actor, &owner, &r, object)?;
    state.store.transact(|tx| {
        tx.remove_relation(owner.id, Rel::Requested, actor.id)?;
        tx.set_relation(owner.id, Rel::Following, actor.id, &r)?;
        Ok(())
    })?;
    durable(state).await
}

async fn reject(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    let sent = match state.store.relation(Rel::Requested, actor.id)? {
        Some(r) => r,
        None => match state.store.relation(Rel::Following, actor.id)? {
            Some(r) => r,
            None => return Ok(()),
        },
    };
    origin::answers_owner_follow(actor, &owner, &sent, object)?;
    // Lists hold only followed accounts; a refused (or withdrawn) follow
    // takes the account out of them, as the owner's own unfollow does.
    let lists = state.store.lists_for_account(actor.id)?;
    state.store.transact(|tx| {
        tx.remove_relation(owner.id, Rel::Requested, actor.id)?;
        tx.remove_relation(owner.id, Rel::Following, actor.id)?;
        tx.remove_from_lists(actor.id, &lists)?;
        Ok(())
    })?;
    durable(state).await
}

/// Takes back something the signer did. Every branch first asks
/// `origin` whether the wrapped activity is the signer's own, and then
/// undoes only relations keyed by the signer.
async fn undo(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    origin::wrapped_by_signer(actor, object)?;
    match kind_of(object) {
        "Follow" => {
            let stored = state
                .store
                .relation(Rel::FollowedBy, actor.id)?
                .or(state.store.relation(Rel::RequestedBy, actor.id)?);
            origin::undoes_own_follow(actor, &owner, stored.as_ref(), object)?;
            state.store.transact(|tx| {
                tx.remove_relation(owner.id, Rel::FollowedBy, actor.id)?;
                tx.remove_relation(owner.id, Rel::RequestedBy, actor.id)?;
                tx.unnotify("follow_request", actor.id, None)?;
                Ok(())
            })?;
        }
        "Like" | "EmojiReact" => {
            if let Some(s) = local_target(state, object.get("object"))? {
                state.store.transact(|tx| {
                    if tx
                        .remove_status_rel(StatusRel::Favourite, s.id, actor.id, owner.id)?
                        .is_some()
                    {
                        if let Some(mut st) = tx.status(s.id)? {
                            st.favourites_count = st.favourites_count.saturating_sub(1);
                            tx.update_status(&st)?;
                        }
                    }
                    tx.unnotify("favourite", actor.id, Some(s.id))?;
                    Ok(())
                })?;
            }
        }
        "Block" => {
            if object.get("object").and_then(id_of) == Some(owner.uri.as_str()) {
                state.store.transact(|tx| {
                    tx.remove_relation(owner.id, Rel::BlockedBy, actor.id)
                        .map(|_| ())
                })?;
            }
        }
        "Accept" => {
            state.store.transact(|tx| {
                if let Some(r) = tx.remove_relation(owner.id, Rel::Following, actor.id)? {
                    tx.set_relation(owner.id, Rel::Requested, actor.id, &r)?;
                }
                Ok(())
            })?;
        }
        // An Announce, or (as some servers send it) a bare id: a boost
        // the signer made, found by its URI.
        _ => {
            if let Some(uri) = id_of(object) {
                if let Some(boost) = state.store.status_by_uri(uri)? {
                    if boost.reblog_of_id.is_some() && origin::may_change(actor, &boost).is_ok() {
                        remove_boost(state, &owner, actor, &boost)?;
                    }
                }
            }
        }
    }
    durable(state).await
}

fn remove_boost(
    state: &AppState,
    owner: &Account,
    actor: &Account,
    boost: &Status,
) -> OpResult<()> {
    let target = boost.reblog_of_id;
    state.store.transact(|tx| {
        tx.delete_status(boost)?;
        if let Some(t) = target {
            if tx
                .remove_status_rel(StatusRel::Reblog, t, actor.id, owner.id)?
                .is_some()
            {
                if let Some(mut st) = tx.status(t)? {
                    st.reblogs_count = st.reblogs_count.saturating_sub(1);
                    tx.update_status(&st)?;
                }
            }
            tx.unnotify("reblog", actor.id, Some(t))?;
        }
        Ok(())
    })?;
    emit(state, Event::StatusDeleted(boost.id));
    Ok(())
}

/// A local status named by an activity's `object`.
fn local_target(state: &AppState, object: Option<&Value>) -> OpResult<Option<Status>> {
    let Some(uri) = object.and_then(id_of) else {
        return Ok(None);
    };
    Ok(state.store.status_by_uri(uri)?.filter(|s| s.local))
}

/// Resolves an object to a document we may believe: the embedded copy
/// when the signer wrote it (`origin::embedded_trusted`), otherwise the
/// copy its own origin serves for its id, whose author lives there.
async fn trusted_object(state: &AppState, actor: &Account, object: &Value) -> Option<Value> {
    let id = id_of(object)?;
    if origin::embedded_trusted(actor, object) {
        return Some(object.clone());
    }
    let fetched = federation::fetch_object(state, id).await?;
    if id_of(&fetched) != Some(id) {
        return None;
    }
    match origin::authored_at_origin(&fetched) {
        Ok(()) => Some(fetched),
        Err(e) => {
            tracing::info!("not believing {id}: {e}");
            None
        }
    }
}

const NOTE_TYPES: &[&str] = &[
    "Note", "Question", "Article", "Page", "Image", "Video", "Audio", "Event",
];

async fn create(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let Some(doc) = trusted_object(state, actor, object).await else {
        return Err(OpError::Invalid(
            "the object could not be verified at its origin".into(),
        ));
    };
    if !NOTE_TYPES.contains(&kind_of(&doc)) {
        return Ok(());
    }
    // A vote counts for the signer only when the signer cast it; a vote
    // fetched on someone else's word is nobody's.
    if origin::is_author(actor, &doc) && super::polls::remote_vote(state, actor, &doc).await? {
        return Ok(());
    }
    store_remote_status(state, &doc, 0).await.map(|_| ())
}

/// Stores a remote status (and, bounded, the thread above it). Returns
/// the stored status, or `None` when it is not wanted (nobody here cares).
pub async fn store_remote_status(
    state: &AppState,
    doc: &Value,
    depth: usize,
) -> OpResult<Option<Status>> {
    let owner = owner_account(state)?;
    let uri = id_of(doc)
        .ok_or_else(|| OpError::Invalid("the object has no id".into()))?
        .to_string();
    if let Some(s) = state.store.status_by_uri(&uri)? {
        return Ok(Some(s));
    }
    if state.store.is_tombstoned(&uri)? {
        return Ok(None);
    }
    origin::authored_at_origin(doc)?;
    let author_uri = origin::author_of(doc).unwrap_or_default().to_string();
    let author = match state.store.account_by_uri(&author_uri)? {
        Some(a) => a,
        None => federation::fetch_actor(state, &author_uri)
            .await
            .ok_or_else(|| {
                OpError::Invalid(format!("the author {author_uri} could not be fetched"))
            })?,
    };
    if state.store.has_relation(Rel::Blocking, author.id)? {
        return Ok(None);
    }
    let mut status = parse_status(state, doc, &author, &owner)?;
    // Complete the thread upwards, a bounded number of steps.
    let mut parent_known = false;
    if let Some(parent_uri) = status.in_reply_to_uri.clone() {
        let parent = match state.store.status_by_uri(&parent_uri)? {
            Some(p) => {
                parent_known = true;
                Some(p)
            }
            None if depth < MAX_THREAD_DEPTH => {
                match federation::fetch_object(state, &parent_uri).await {
                    Some(pdoc) => Box::pin(store_remote_status(state, &pdoc, depth + 1))
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                }
            }
            None => None,
        };
        if let Some(p) = parent {
            status.in_reply_to_id = Some(p.id);
            status.in_reply_to_account_id = Some(p.account_id);
        }
    }
    let mentions_owner = status.mentions.iter().any(|m| m.account_id == owner.id);
    let follows = state.store.has_relation(Rel::Following, author.id)?;
    let reply_to_owner = status.in_reply_to_account_id == Some(owner.id);
    // A reply to a status already here completes a thread the owner has
    // (forwarded to us, or found walking the thread), as Mastodon keeps it.
    let wanted = depth > 0
        || follows
        || mentions_owner
        || reply_to_owner
        || parent_known
        || super::quotes::declares_owner_post(state, doc, &owner)?;
    if !wanted {
        return Ok(None);
    }
    // Only a post that is kept costs fetches for what it quotes.
    super::quotes::resolve_remote(state, doc, &mut status, &author, depth).await?;
    let mut placed = vec![timelines::account(author.id)];
    if status.visibility == Visibility::Public {
        placed.push(timelines::public());
        placed.extend(status.tags.iter().map(|t| timelines::tag(t)));
    }
    if depth == 0 && (follows || mentions_owner) {
        placed.push(timelines::home());
    }
    if depth == 0 && follows {
        placed.extend(
            state
                .store
                .lists_for_account(author.id)?
                .into_iter()
                .map(timelines::list),
        );
    }
    if status.visibility == Visibility::Direct && mentions_owner {
        placed.push(timelines::direct());
    }
    status.placed = placed;
    state.store.transact(|tx| tx.insert_status(&status))?;
    durable(state).await?;
    if depth == 0 && follows && federation::replies::shows_replies(doc) {
        state.walks.schedule(&status.uri, now_ms());
    }
    if depth == 0 {
        emit(state, Event::StatusCreated(status.id));
        if mentions_owner || reply_to_owner {
            notify(state, "mention", author.id, Some(status.id))?;
        } else if super::quotes::quotes_owner(state, &status, &owner)? {
            // Mastodon 4.5's `quote`: someone quoted one of the owner's posts.
            notify(state, "quote", author.id, Some(status.id))?;
        } else if state
            .store
            .relation(Rel::Following, author.id)?
            .is_some_and(|r| r.notify)
        {
            notify(state, "status", author.id, Some(status.id))?;
        }
    }
    Ok(Some(status))
}

/// A remote Note (or Article, Question…) as a Status.
fn parse_status(
    state: &AppState,
    doc: &Value,
    author: &Account,
    owner: &Account,
) -> OpResult<Status> {
    let uri = id_of(doc).unwrap_or_default().to_string();
    let to = uris(doc.get("to"));
    let cc = uris(doc.get("cc"));
    let visibility = if to.iter().any(|u| is_public(u)) {
        Visibility::Public
    } else if cc.iter().any(|u| is_public(u)) {
        Visibility::Unlisted
    } else if !author.followers_url.is_empty()
        && (to.contains(&author.followers_url) || cc.contains(&author.followers_url))
    {
        Visibility::Private
    } else {
        Visibility::Direct
    };
    let content_raw = doc
        .get("content")
        .and_then(Value::as_str)
        .or_else(|| {
            doc.get("contentMap")
                .and_then(Value::as_object)
                .and_then(|m| m.values().find_map(Value::as_str))
        })
        .unwrap_or("");
    // The first address in `url` that may be linked to, else the id when
    // it may, else none (see `content::links`).
    let url = link_url(doc.get("url"))
        .or_else(|| safe_url(&uri))
        .unwrap_or_default();
    let kind = kind_of(doc);
    let mut content = crate::content::sanitize(content_raw);
    if !matches!(kind, "Note" | "Question") {
        // Articles and the like are shown as Mastodon shows them: title and
        // link (only the title, when there is no address to link to).
        let name = doc.get("name").and_then(Value::as_str).unwrap_or("");
        let text = crate::content::escape(if name.is_empty() { &url } else { name });
        let link = if url.is_empty() {
            format!("<p>{text}</p>")
        } else {
            format!(
                "<p><a href=\"{u}\" rel=\"nofollow noopener\" target=\"_blank\">{text}</a></p>",
                u = crate::content::escape(&url),
            )
        };
        content = if name.is_empty() {
            format!("{content}{link}")
        } else {
            link
        };
    }
    let mut mentions = Vec::new();
    let mut tags = Vec::new();
    if let Some(Value::Array(items)) = doc.get("tag") {
        for t in items {
            match kind_of(t) {
                "Mention" => {
                    let Some(href) = t.get("href").and_then(Value::as_str) else {
                        continue;
                    };
                    let known = state.store.account_by_uri(href)?;
                    let name = t
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim_start_matches('@');
                    mentions.push(Mention {
                        account_id: known.as_ref().map(|a| a.id).unwrap_or(0),
                        uri: href.to_string(),
                        url: match &known {
                            Some(a) => links::account_link(a),
                            None => safe_url(href),
                        }
                        .unwrap_or_default(),
                        username: name.split('@').next().unwrap_or(name).to_string(),
                        acct: known
                            .as_ref()
                            .map(|a| a.acct())
                            .unwrap_or_else(|| name.to_string()),
                    });
                }
                "Hashtag" => {
                    if let Some(n) = t.get("name").and_then(Value::as_str) {
                        let n = n.trim_start_matches('#').to_lowercase();
                        if !n.is_empty() && !tags.contains(&n) {
                            tags.push(n);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Being addressed directly counts as a mention even without a tag.
    if !mentions.iter().any(|m| m.account_id == owner.id)
        && (to.contains(&owner.uri) || cc.contains(&owner.uri))
    {
        mentions.push(Mention {
            account_id: owner.id,
            uri: owner.uri.clone(),
            url: owner.url.clone(),
            username: owner.username.clone(),
            acct: owner.username.clone(),
        });
    }
    let remote_media = match doc.get("attachment") {
        Some(Value::Array(a)) => a.iter().filter_map(parse_attachment).take(8).collect(),
        Some(v @ Value::Object(_)) => parse_attachment(v).into_iter().collect(),
        _ => vec![],
    };
    let published = doc
        .get("published")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339_ms)
        .unwrap_or_else(now_ms);
    let in_reply_to_uri = doc.get("inReplyTo").and_then(id_of).map(str::to_string);
    let spoiler = doc.get("summary").and_then(Value::as_str).unwrap_or("");
    let poll = parse_poll(doc);
    Ok(Status {
        id: state.store.next_id(),
        uri,
        url,
        account_id: author.id,
        local: false,
        in_reply_to_uri,
        content,
        spoiler_text: crate::content::html_to_text(spoiler),
        sensitive: doc
            .get("sensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || !spoiler.is_empty(),
        visibility,
        language: doc
            .get("contentMap")
            .and_then(Value::as_object)
            .and_then(|m| m.keys().next().cloned()),
        mentions,
        tags,
        remote_media,
        poll,
        conversation: doc
            .get("conversation")
            .and_then(Value::as_str)
            .map(str::to_string),
        created_at_ms: published.min(now_ms()),
        edited_at_ms: doc
            .get("updated")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339_ms),
        emojis: federation::emoji::parse_emojis(doc.get("tag")),
        ..Default::default()
    })
}

fn is_public(u: &str) -> bool {
    u == PUBLIC || u == "as:Public" || u == "Public"
}

/// The first address in a `url` value (a string, a `Link` object with an
/// `href`, or a list of either) that passes the link gate.
fn link_url(v: Option<&Value>) -> Option<String> {
    let one = |x: &Value| match x {
        Value::String(s) => safe_url(s),
        Value::Object(o) => o.get("href").and_then(Value::as_str).and_then(safe_url),
        _ => None,
    };
    match v? {
        Value::Array(a) => a.iter().find_map(one),
        x => one(x),
    }
}

fn parse_attachment(v: &Value) -> Option<RemoteMedia> {
    // An attachment without an address we may show is no attachment.
    let url = link_url(v.get("url"))?;
    Some(RemoteMedia {
        url,
        media_type: v
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_string(),
        description: v.get("name").and_then(Value::as_str).map(str::to_string),
        blurhash: v
            .get("blurhash")
            .and_then(Value::as_str)
            .map(str::to_string),
        width: v.get("width").and_then(Value::as_u64).map(|w| w as u32),
        height: v.get("height").and_then(Value::as_u64).map(|h| h as u32),
        preview_url: federation::emoji::image_url(v.get("icon"))
            .or_else(|| federation::emoji::image_url(v.get("preview")))
            .or_else(|| federation::emoji::image_url(v.get("thumbnail"))),
    })
}

fn parse_poll(doc: &Value) -> Option<crate::store::statuses::Poll> {
    if kind_of(doc) != "Question" {
        return None;
    }
    let (items, multiple) = match (doc.get("oneOf"), doc.get("anyOf")) {
        (Some(Value::Array(a)), _) => (a, false),
        (_, Some(Value::Array(a))) => (a, true),
        _ => return None,
    };
    Some(crate::store::statuses::Poll {
        options: items
            .iter()
            .take(crate::ops::statuses::MAX_POLL_OPTIONS * 4)
            .map(|o| crate::store::statuses::PollOption {
                title: o
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                votes: o
                    .pointer("/replies/totalItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            })
            .collect(),
        multiple,
        // As Mastodon reads it: `closed` (when it ended, or just `true`)
        // overrides `endTime`, so a poll closed early shows as ended.
        expires_at_ms: match doc.get("closed") {
            Some(Value::String(t)) => parse_rfc3339_ms(t),
            Some(Value::Bool(true)) => Some(now_ms()),
            _ => None,
        }
        .or_else(|| {
            doc.get("endTime")
                .and_then(Value::as_str)
                .and_then(parse_rfc3339_ms)
        }),
        voters_count: doc.get("votersCount").and_then(Value::as_u64).unwrap_or(0),
        own_votes: vec![],
    })
}

async fn update(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let kind = kind_of(object);
    if matches!(
        kind,
        "Person" | "Service" | "Application" | "Group" | "Organization"
    ) {
        if id_of(object) == Some(actor.uri.as_str()) {
            federation::fetch_actor(state, &actor.uri).await;
        }
        return Ok(());
    }
    let Some(uri) = id_of(object) else {
        return Ok(());
    };
    let Some(mut status) = state.store.status_by_uri(uri)? else {
        return Ok(());
    };
    origin::may_change(actor, &status)?;
    let Some(doc) = trusted_object(state, actor, object).await else {
        return Ok(());
    };
    if !origin::is_author(actor, &doc) {
        return Err(OpError::Forbidden(format!(
            "{uri} as its origin serves it is not by {}",
            actor.uri
        )));
    }
    let owner = owner_account(state)?;
    let mut fresh = parse_status(state, &doc, actor, &owner)?;
    fresh.id = status.id;
    super::quotes::refresh_remote(state, &doc, &status, &mut fresh, actor).await?;
    status.quote = fresh.quote.clone();
    status.quote_policy = fresh.quote_policy;
    // A Question sent again with new counts (votes, or the poll's end) is
    // not an edit, as Mastodon treats it: no revision, no "edited" mark.
    let same_titles = |a: &Option<crate::store::statuses::Poll>,
                       b: &Option<crate::store::statuses::Poll>| {
        match (a, b) {
            (Some(a), Some(b)) => a
                .options
                .iter()
                .map(|o| &o.title)
                .eq(b.options.iter().map(|o| &o.title)),
            (None, None) => true,
            _ => false,
        }
    };
    if status.poll.is_some()
        && fresh.content == status.content
        && fresh.spoiler_text == status.spoiler_text
        && fresh.sensitive == status.sensitive
        && fresh.remote_media == status.remote_media
        && same_titles(&fresh.poll, &status.poll)
    {
        if let (Some(old), Some(mut p)) = (&status.poll, fresh.poll) {
            p.own_votes = old.own_votes.clone();
            status.poll = Some(p);
        }
        state.store.transact(|tx| tx.update_status(&status))?;
        durable(state).await?;
        emit(state, Event::StatusUpdated(status.id));
        return Ok(());
    }
    status.revisions.push(Revision {
        content: status.content.clone(),
        spoiler_text: status.spoiler_text.clone(),
        sensitive: status.sensitive,
        created_at_ms: status.edited_at_ms.unwrap_or(status.created_at_ms),
        ..Default::default()
    });
    status.content = fresh.content;
    status.spoiler_text = fresh.spoiler_text;
    status.sensitive = fresh.sensitive;
    status.remote_media = fresh.remote_media;
    status.emojis = fresh.emojis;
    if let (Some(old), Some(new)) = (&status.poll, fresh.poll) {
        let mut p = new;
        p.own_votes = old.own_votes.clone();
        status.poll = Some(p);
    }
    status.edited_at_ms = Some(fresh.edited_at_ms.unwrap_or_else(now_ms));
    state.store.transact(|tx| tx.update_status(&status))?;
    durable(state).await?;
    emit(state, Event::StatusUpdated(status.id));
    Ok(())
}

async fn delete(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let Some(uri) = id_of(object) else {
        return Ok(());
    };
    if uri == actor.uri {
        return delete_actor(state, actor).await;
    }
    let Some(status) = state.store.status_by_uri(uri)? else {
        super::quotes::stamp_deleted(state, actor, uri).await?;
        return Ok(());
    };
    origin::may_change(actor, &status)?;
    state.store.transact(|tx| tx.delete_status(&status))?;
    durable(state).await?;
    emit(state, Event::StatusDeleted(status.id));
    Ok(())
}

/// The actor deleted their account: their statuses and relations go.
async fn delete_actor(state: &AppState, actor: &Account) -> OpResult<()> {
    let owner = owner_account(state)?;
    let page = timelines::Page {
        limit: timelines::MAX_SCAN,
        ..Default::default()
    };
    let ids = state
        .store
        .timeline_page(&timelines::account(actor.id), page, |_| true)?;
    for id in ids {
        if let Some(s) = state.store.status(id)? {
            state.store.transact(|tx| tx.delete_status(&s))?;
            emit(state, Event::StatusDeleted(id));
        }
    }
    state
        .store
        .transact(|tx| tx.remove_follows(owner.id, actor.id))?;
    durable(state).await
}

async fn like(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    let Some(status) = local_target(state, act.get("object"))? else {
        return Ok(());
    };
    let r = Relation {
        id: state.store.next_id(),
        activity_uri: id_of(act).unwrap_or_default().to_string(),
        created_at_ms: now_ms(),
        ..Default::default()
    };
    let new = state.store.transact(|tx| {
        let new = tx.set_status_rel(StatusRel::Favourite, status.id, actor.id, owner.id, &r)?;
        if new {
            if let Some(mut s) = tx.status(status.id)? {
                s.favourites_count += 1;
                tx.update_status(&s)?;
            }
        }
        Ok(new)
    })?;
    durable(state).await?;
    if new {
        notify(state, "favourite", actor.id, Some(status.id))?;
    }
    Ok(())
}

async fn announce(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    let Some(object) = act.get("object") else {
        return Ok(());
    };
    let Some(object_uri) = id_of(object) else {
        return Ok(());
    };
    let Some(boost_uri) = id_of(act).map(str::to_string) else {
        return Ok(());
    };
    // The boost is stored under its own id: that id must be the signer's
    // to mint, or it could squat (and, undone, tombstone) another's URI.
    origin::minted_by(actor, &boost_uri)?;
    if state.store.status_by_uri(&boost_uri)?.is_some() {
        return Ok(());
    }
    let target = match state.store.status_by_uri(object_uri)? {
        Some(s) => s,
        None => {
            if !state.store.has_relation(Rel::Following, actor.id)? {
                return Ok(());
            }
            let Some(doc) = federation::fetch_object(state, object_uri).await else {
                return Ok(());
            };
            match store_remote_status(state, &doc, 1).await? {
                Some(s) => s,
                None => return Ok(()),
            }
        }
    };
    if !target.visibility.is_public() {
        return Ok(());
    }
    let mut placed = vec![timelines::account(actor.id)];
    let follows = state.store.relation(Rel::Following, actor.id)?;
    if follows.as_ref().is_some_and(|r| r.reblogs) && target.account_id != owner.id {
        placed.push(timelines::home());
    }
    let published = act
        .get("published")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339_ms)
        .unwrap_or_else(now_ms);
    let boost = Status {
        id: state.store.next_id(),
        uri: boost_uri.clone(),
        url: safe_url(&boost_uri).unwrap_or_default(),
        account_id: actor.id,
        reblog_of_id: Some(target.id),
        visibility: Visibility::Public,
        created_at_ms: published.min(now_ms()),
        placed,
        ..Default::default()
    };
    let r = Relation {
        id: boost.id,
        activity_uri: boost_uri,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    state.store.transact(|tx| {
        tx.insert_status(&boost)?;
        if tx.set_status_rel(StatusRel::Reblog, target.id, actor.id, owner.id, &r)? {
            if let Some(mut s) = tx.status(target.id)? {
                s.reblogs_count += 1;
                tx.update_status(&s)?;
            }
        }
        Ok(())
    })?;
    durable(state).await?;
    emit(state, Event::StatusCreated(boost.id));
    if target.account_id == owner.id {
        notify(state, "reblog", actor.id, Some(target.id))?;
    }
    Ok(())
}

async fn block(state: &AppState, actor: &Account, object: &Value) -> OpResult<()> {
    let owner = owner_account(state)?;
    if id_of(object) != Some(owner.uri.as_str()) {
        return Ok(());
    }
    let r = Relation {
        id: state.store.next_id(),
        created_at_ms: now_ms(),
        ..Default::default()
    };
    state.store.transact(|tx| {
        tx.set_relation(owner.id, Rel::BlockedBy, actor.id, &r)?;
        tx.remove_follows(owner.id, actor.id)?;
        Ok(())
    })?;
    durable(state).await
}

/// Move: the old account (the signer) points at a new one, which must
/// list the old in `alsoKnownAs`; the owner's follow moves along. All of
/// it (the old account's `movedTo`, the Undo to the old, the Follow of
/// the new, the notification) is one transaction: a Move that can't be
/// finished changes nothing.
async fn moved(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    if act.get("object").and_then(id_of) != Some(actor.uri.as_str()) {
        return Err(OpError::Invalid("a Move must move its own actor".into()));
    }
    let Some(target_uri) = act.get("target").and_then(id_of) else {
        return Ok(());
    };
    let Some(target) = federation::fetch_actor(state, target_uri).await else {
        return Err(OpError::Invalid(
            "the Move target could not be fetched".into(),
        ));
    };
    if target.id == actor.id || !target.also_known_as.iter().any(|a| a == &actor.uri) {
        return Err(OpError::Forbidden(
            "the Move target does not list the old account in alsoKnownAs".into(),
        ));
    }
    let owner = owner_account(state)?;
    let mut old = actor.clone();
    old.moved_to = Some(target.uri.clone());
    let moving = state.store.has_relation(Rel::Following, actor.id)?;
    let (changes, note) = if moving {
        if state.store.has_relation(Rel::Blocking, target.id)?
            || state.store.has_relation(Rel::BlockedBy, target.id)?
            || super::hiding::domain_hidden(state, target.id)?
        {
            return Err(OpError::Forbidden(format!(
                "the owner's follow can't move to {}: a block is in place",
                target.uri
            )));
        }
        let options = state
            .store
            .relation(Rel::Following, actor.id)?
            .map(|r| super::follows::FollowOptions {
                reblogs: r.reblogs,
                notify: r.notify,
            })
            .unwrap_or_default();
        let ended = super::follows::FollowChange::unfollow(state, &owner, actor)?;
        let begun = super::follows::FollowChange::follow(state, &owner, &target, options)?;
        (
            ended.into_iter().chain([begun]).collect(),
            notification(state, "move", actor.id, None)?,
        )
    } else {
        (vec![], None)
    };
    let jobs: Vec<_> = changes
        .iter()
        .flat_map(|c: &super::follows::FollowChange| c.jobs.iter().cloned())
        .collect();
    let notified = commit(state, &jobs, |tx| {
        tx.put_account(&old)?;
        for c in &changes {
            c.write(tx, owner.id)?;
        }
        match &note {
            Some(n) => tx.notify(n),
            None => Ok(false),
        }
    })
    .await?;
    if let (true, Some(n)) = (notified, note) {
        emit(state, Event::Notification(n.id));
    }
    Ok(())
}

/// A report about the owner's posts: kept as a notification the owner sees.
async fn flag(state: &AppState, actor: &Account, act: &Value) -> OpResult<()> {
    let objects = uris(act.get("object"));
    let mut status_ids = Vec::new();
    for uri in &objects {
        if let Some(s) = state.store.status_by_uri(uri)? {
            status_ids.push(s.id);
        }
    }
    let n = Notification {
        id: state.store.next_id(),
        kind: "admin.report".into(),
        account_id: actor.id,
        report_comment: act
            .get("content")
            .and_then(Value::as_str)
            .map(crate::content::html_to_text),
        report_status_ids: status_ids,
        created_at_ms: now_ms(),
        ..Default::default()
    };
    state.store.transact(|tx| tx.notify(&n).map(|_| ()))?;
    durable(state).await?;
    emit(state, Event::Notification(n.id));
    Ok(())
}
