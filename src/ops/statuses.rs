//! Posting, editing and deleting the owner's statuses.

use super::{commit, emit, owner_account, OpError, OpResult};
use crate::activitypub::{activity, note};
use crate::events::Event;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::statuses::{Mention, Poll, PollOption, Revision, Status, Visibility};
use crate::store::{index_key, timelines, T};
use crate::time_fmt::now_ms;

/// Mastodon's defaults, which apps read from the instance document.
pub const MAX_STATUS_CHARS: usize = 500;
pub const MAX_MEDIA_ATTACHMENTS: usize = 4;
pub const MAX_POLL_OPTIONS: usize = 4;
pub const MAX_POLL_OPTION_CHARS: usize = 50;
pub const MIN_POLL_EXPIRY_SECS: i64 = 300;
pub const MAX_POLL_EXPIRY_SECS: i64 = 2_629_746;
/// Longest content warning.
pub const MAX_SPOILER_CHARS: usize = 500;

#[derive(Clone, Debug, Default)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub expires_in_secs: i64,
    pub multiple: bool,
}

impl NewPoll {
    /// The stored poll, with no votes yet, closing `expires_in_secs` after
    /// `now_ms`: a post's new poll, or an edit's changed one.
    fn poll(&self, now_ms: i64) -> Poll {
        Poll {
            options: self
                .options
                .iter()
                .map(|o| PollOption {
                    title: o.trim().to_string(),
                    votes: 0,
                })
                .collect(),
            multiple: self.multiple,
            expires_at_ms: Some(now_ms + self.expires_in_secs * 1000),
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewStatus {
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub in_reply_to_id: Option<u64>,
    pub media_ids: Vec<u64>,
    pub poll: Option<NewPoll>,
    /// Repeating a request with the same key returns the first status.
    pub idempotency_key: Option<String>,
    pub application: Option<String>,
    /// The post this one quotes (Mastodon 4.5's `quoted_status_id`).
    pub quoted_status_id: Option<u64>,
    /// Who may quote this post (`quote_approval_policy`); `None`: public.
    pub quote_policy: Option<crate::store::quotes::QuotePolicy>,
}

pub(crate) fn validate(new: &NewStatus) -> OpResult<()> {
    let chars = new.text.chars().count() + new.spoiler_text.chars().count();
    if chars > MAX_STATUS_CHARS {
        return Err(OpError::Invalid(format!(
            "Validation failed: Text character limit of {MAX_STATUS_CHARS} exceeded ({chars})"
        )));
    }
    if new.spoiler_text.chars().count() > MAX_SPOILER_CHARS {
        return Err(OpError::Invalid(
            "Validation failed: the content warning is too long".into(),
        ));
    }
    if new.text.trim().is_empty() && new.media_ids.is_empty() && new.poll.is_none() {
        return Err(OpError::Invalid(
            "Validation failed: Text can't be blank".into(),
        ));
    }
    if new.media_ids.len() > MAX_MEDIA_ATTACHMENTS {
        return Err(OpError::Invalid(format!(
            "Validation failed: at most {MAX_MEDIA_ATTACHMENTS} media attachments"
        )));
    }
    if let Some(p) = &new.poll {
        if !new.media_ids.is_empty() {
            return Err(OpError::Invalid(
                "Validation failed: a post can have media or a poll, not both".into(),
            ));
        }
        if p.options.len() < 2 || p.options.len() > MAX_POLL_OPTIONS {
            return Err(OpError::Invalid(format!(
                "Validation failed: a poll needs 2 to {MAX_POLL_OPTIONS} options"
            )));
        }
        if p.options
            .iter()
            .any(|o| o.trim().is_empty() || o.chars().count() > MAX_POLL_OPTION_CHARS)
        {
            return Err(OpError::Invalid(format!(
                "Validation failed: poll options must be 1 to {MAX_POLL_OPTION_CHARS} characters"
            )));
        }
        if !(MIN_POLL_EXPIRY_SECS..=MAX_POLL_EXPIRY_SECS).contains(&p.expires_in_secs) {
            return Err(OpError::Invalid(format!(
                "Validation failed: a poll must last {MIN_POLL_EXPIRY_SECS} to {MAX_POLL_EXPIRY_SECS} seconds"
            )));
        }
    }
    Ok(())
}

/// Finds the accounts the text mentions among those already known.
pub async fn resolve_mentions(state: &AppState, text: &str) -> OpResult<Vec<Account>> {
    let mut out = Vec::new();
    for handle in crate::content::extract_mentions(text) {
        let found = match state.store.account_by_acct(&handle)? {
            Some(a) => Some(a),
            None => crate::federation::resolve_handle(state, &handle).await,
        };
        if let Some(a) = found {
            if !out.iter().any(|o: &Account| o.id == a.id) {
                out.push(a);
            }
        }
    }
    Ok(out)
}

/// The owner's text as status HTML; mentions link to accounts already
/// resolved into the store by `resolve_mentions`.
fn render(state: &AppState, text: &str) -> crate::content::Rendered {
    let resolver = crate::content::StoreResolver {
        store: &state.store,
        urls: &state.urls,
    };
    crate::content::render(text, &resolver)
}

fn mention_of(a: &Account) -> Mention {
    Mention {
        account_id: a.id,
        uri: a.uri.clone(),
        url: crate::content::links::account_link(a).unwrap_or_default(),
        username: a.username.clone(),
        acct: a.acct(),
    }
}

/// Timelines a status of the owner's goes into.
pub(crate) fn local_placement(s: &Status, owner_id: u64) -> Vec<String> {
    let mut placed = vec![timelines::home(), timelines::account(owner_id)];
    match s.visibility {
        Visibility::Public => {
            placed.push(timelines::public());
            placed.push(timelines::local());
            placed.extend(s.tags.iter().map(|t| timelines::tag(t)));
        }
        Visibility::Direct => placed.push(timelines::direct()),
        _ => {}
    }
    placed
}

/// Inboxes a status of the owner's is delivered to.
pub(crate) fn audience(
    state: &AppState,
    s: &Status,
    parent_author: Option<u64>,
) -> OpResult<Vec<String>> {
    let mut ids: Vec<u64> = s.mentions.iter().map(|m| m.account_id).collect();
    ids.extend(parent_author);
    let mut inboxes = outbox::account_inboxes(state, &ids)?;
    if s.visibility != Visibility::Direct {
        inboxes.extend(outbox::follower_inboxes(state)?);
    }
    Ok(inboxes)
}

/// Attachment descriptions for the Note; media records are looked up by id.
pub fn attachments(state: &AppState, media_ids: &[u64]) -> Vec<note::Attachment> {
    media_ids
        .iter()
        .filter_map(|id| crate::ops::media_attachment(state, *id))
        .collect()
}

pub async fn post(state: &AppState, new: NewStatus) -> OpResult<Status> {
    validate(&new)?;
    let owner = owner_account(state)?;
    if let Some(key) = &new.idempotency_key {
        if let Some(id) = state
            .store
            .get_index(&index_key("idempotency", &[key.as_bytes()]))?
        {
            if let Some(s) = state.store.status(id)? {
                return Ok(s);
            }
        }
    }
    let parent = match new.in_reply_to_id {
        Some(id) => Some(state.store.status(id)?.ok_or_else(|| {
            OpError::NotFound("Record not found: the status you reply to".into())
        })?),
        None => None,
    };
    let mut mentioned = resolve_mentions(state, &new.text).await?;
    if let Some(p) = &parent {
        if p.account_id != owner.id && !mentioned.iter().any(|a| a.id == p.account_id) {
            if let Some(a) = state.store.account(p.account_id)? {
                mentioned.push(a);
            }
        }
    }
    mentioned.retain(|a| a.id != owner.id);
    let quote = match new.quoted_status_id {
        Some(q) => Some(super::quotes::prepare(state, &owner, q)?),
        None => None,
    };
    let id = state.store.next_id();
    let now = crate::store::ids::id_time_ms(id);
    let urls = &state.urls;
    let rendered = render(state, &new.text);
    let mut status = Status {
        id,
        uri: urls.status(&owner.username, id),
        url: urls.status_page(&owner.username, id),
        account_id: owner.id,
        local: true,
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_uri: parent.as_ref().map(|p| p.uri.clone()),
        in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
        content: rendered.html,
        source_text: new.text.clone(),
        spoiler_text: new.spoiler_text.trim().to_string(),
        sensitive: new.sensitive || !new.spoiler_text.trim().is_empty(),
        visibility: new.visibility,
        language: new.language.clone().filter(|l| !l.is_empty()),
        mentions: mentioned.iter().map(mention_of).collect(),
        tags: rendered.tags,
        media_ids: new.media_ids.clone(),
        poll: new.poll.as_ref().map(|p| p.poll(now)),
        conversation: Some(
            parent
                .as_ref()
                .and_then(|p| p.conversation.clone())
                .unwrap_or_else(|| format!("{}/contexts/{id}", urls.base)),
        ),
        created_at_ms: now,
        application: new.application.clone(),
        quote: quote.as_ref().map(|q| {
            let mut link = q.link.clone();
            if q.ask.is_some() {
                link.request_uri = Some(super::quotes::request_id(&owner, id));
            }
            link
        }),
        quote_policy: Some(super::quotes::effective_policy(
            new.visibility,
            new.quote_policy,
        )),
        ..Default::default()
    };
    for m in &status.media_ids {
        crate::ops::check_media_attachable(state, *m, owner.id)?;
    }
    status.placed = local_placement(&status, owner.id);
    let doc = note::note(
        &status,
        &owner,
        urls,
        &attachments(state, &status.media_ids),
    );
    let ask = quote.as_ref().and_then(|q| q.ask.as_ref());
    let mut jobs = super::quotes::request_job(state, &owner, &status, &doc, ask);
    let create = activity::wrap("Create", format!("{}/activity", status.uri), &owner, doc);
    let mut inboxes = audience(state, &status, status.in_reply_to_account_id)?;
    // The quoted post's author sees the quote, as the mentioned do.
    inboxes.extend(ask.map(|a| a.inbox.clone()));
    jobs.extend(outbox::jobs(state, &create, inboxes));
    let idem = new.idempotency_key.clone();
    commit(state, &jobs, |tx| {
        tx.insert_status(&status)?;
        for m in &status.media_ids {
            tx.attach_media(*m, status.id)?;
        }
        if let Some(k) = &idem {
            tx.put(
                T::Index,
                &index_key("idempotency", &[k.as_bytes()]),
                &status.id.to_be_bytes(),
            )?;
        }
        Ok(())
    })
    .await?;
    emit(state, Event::StatusCreated(status.id));
    Ok(status)
}

#[derive(Clone, Debug, Default)]
pub struct EditStatus {
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub media_ids: Vec<u64>,
    pub poll: Option<NewPoll>,
    /// New alt text or focus for media of the post (Mastodon's
    /// `media_attributes`); each must be among `media_ids`.
    pub media_attributes: Vec<MediaChange>,
}

/// A change to one attached upload, made by an edit.
#[derive(Clone, Debug, Default)]
pub struct MediaChange {
    pub id: u64,
    pub description: Option<String>,
    pub focus: Option<(f32, f32)>,
}

/// Edits one of the owner's statuses, keeping the earlier version.
pub async fn edit(state: &AppState, id: u64, e: EditStatus) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let mut status = own_status(state, id, &owner)?;
    if status.reblog_of_id.is_some() {
        return Err(OpError::Invalid("a boost cannot be edited".into()));
    }
    validate(&NewStatus {
        text: e.text.clone(),
        spoiler_text: e.spoiler_text.clone(),
        media_ids: e.media_ids.clone(),
        poll: e.poll.clone(),
        ..Default::default()
    })?;
    let mentioned = resolve_mentions(state, &e.text).await?;
    let now = now_ms();
    status.revisions.push(Revision {
        content: status.content.clone(),
        spoiler_text: status.spoiler_text.clone(),
        sensitive: status.sensitive,
        media_ids: status.media_ids.clone(),
        poll_options: status
            .poll
            .iter()
            .flat_map(|p| p.options.iter().map(|o| o.title.clone()))
            .collect(),
        created_at_ms: status.edited_at_ms.unwrap_or(status.created_at_ms),
    });
    let urls = &state.urls;
    let rendered = render(state, &e.text);
    status.content = rendered.html;
    status.source_text = e.text.clone();
    status.spoiler_text = e.spoiler_text.trim().to_string();
    status.sensitive = e.sensitive || !status.spoiler_text.is_empty();
    if e.language.is_some() {
        status.language = e.language.clone();
    }
    for m in &e.media_ids {
        if !status.media_ids.contains(m) {
            crate::ops::check_media_attachable(state, *m, owner.id)?;
        }
    }
    status.media_ids = e.media_ids.clone();
    let mut changed_media = Vec::with_capacity(e.media_attributes.len());
    for c in &e.media_attributes {
        let record = state
            .store
            .media(c.id)?
            .filter(|m| m.account_id == owner.id);
        let (Some(record), true) = (record, e.media_ids.contains(&c.id)) else {
            return Err(OpError::Invalid(format!(
                "Validation failed: media_attributes names media {}, which is not in media_ids",
                c.id
            )));
        };
        changed_media.push(crate::ops::media::changed(
            record,
            c.description.as_deref(),
            c.focus,
        )?);
    }
    if let Some(p) = &e.poll {
        let same = status.poll.as_ref().is_some_and(|old| {
            old.options
                .iter()
                .map(|o| o.title.as_str())
                .eq(p.options.iter().map(|o| o.trim()))
        });
        if !same {
            status.poll = Some(p.poll(now));
        }
    } else {
        status.poll = None;
    }
    status.mentions = mentioned
        .iter()
        .filter(|a| a.id != owner.id)
        .map(mention_of)
        .collect();
    status.tags = rendered.tags;
    status.edited_at_ms = Some(now);
    let atts: Vec<note::Attachment> = status
        .media_ids
        .iter()
        .filter_map(|id| match changed_media.iter().find(|m| m.id == *id) {
            Some(m) => Some(crate::ops::attachment_of(state, m)),
            None => crate::ops::media_attachment(state, *id),
        })
        .collect();
    let doc = note::note(&status, &owner, urls, &atts);
    let update = activity::wrap(
        "Update",
        format!("{}#updates/{now}", status.uri),
        &owner,
        doc,
    );
    let jobs = outbox::jobs(
        state,
        &update,
        audience(state, &status, status.in_reply_to_account_id)?,
    );
    commit(state, &jobs, |tx| {
        tx.update_status(&status)?;
        for m in &changed_media {
            tx.put_media_record(m)?;
        }
        for m in &status.media_ids {
            tx.attach_media(*m, status.id)?;
        }
        Ok(())
    })
    .await?;
    emit(state, Event::StatusUpdated(status.id));
    Ok(status)
}

/// One of the owner's own statuses, or NotFound (others' are not theirs
/// to change, and Mastodon answers 404 rather than 403).
pub fn own_status(state: &AppState, id: u64, owner: &Account) -> OpResult<Status> {
    match state.store.status(id)? {
        Some(s) if s.account_id == owner.id => Ok(s),
        _ => Err(OpError::NotFound("Record not found".into())),
    }
}

/// Deletes one of the owner's statuses (and the owner's boosts of it);
/// returns it so clients can "delete and redraft".
pub async fn delete(state: &AppState, id: u64) -> OpResult<Status> {
    let owner = owner_account(state)?;
    let status = own_status(state, id, &owner)?;
    if status.reblog_of_id.is_some() {
        return Err(OpError::NotFound(
            "Record not found: use unreblog to undo a boost".into(),
        ));
    }
    let (to, cc) = note::addressing(&status, &owner);
    let del = activity::delete_note(
        format!("{}#delete", status.uri),
        &owner,
        &status.uri,
        to,
        cc,
    );
    let jobs = outbox::jobs(
        state,
        &del,
        audience(state, &status, status.in_reply_to_account_id)?,
    );
    let boosts: Vec<Status> = state
        .store
        .status_rel_accounts(crate::store::relations::StatusRel::Reblog, status.id)?
        .into_iter()
        .filter_map(|acct| {
            state
                .store
                .status_rel(crate::store::relations::StatusRel::Reblog, status.id, acct)
                .ok()
                .flatten()
        })
        .filter_map(|r| state.store.status(r.id).ok().flatten())
        .collect();
    commit(state, &jobs, |tx| {
        tx.delete_status(&status)?;
        for b in &boosts {
            tx.delete_status(b)?;
        }
        Ok(())
    })
    .await?;
    emit(state, Event::StatusDeleted(status.id));
    for b in &boosts {
        emit(state, Event::StatusDeleted(b.id));
    }
    Ok(status)
}
