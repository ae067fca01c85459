//! Reporting an account (and some of its statuses) to its server.
//!
//! A one-person server has no moderators of its own, so a report is
//! mostly a message to the reported account's moderators: with `forward`
//! it goes there as a `Flag`, Mastodon's shape (object: the account, then
//! the statuses; content: the comment), through the durable delivery
//! queue in the report's own transaction. The report is also kept, so the
//! owner can look back at what they reported. The owner is this server's
//! only admin and filed it themself, so no `admin.report` notification is
//! made for it.

use super::{commit, owner_account, OpError, OpResult};
use crate::activitypub::activity;
use crate::federation::outbox;
use crate::state::AppState;
use crate::store::reports::Report;
use crate::time_fmt::now_ms;
use serde_json::json;

/// Longest comment (Mastodon's `Report::COMMENT_SIZE_LIMIT`).
pub const MAX_COMMENT_CHARS: usize = 1_000;
/// Most statuses one report may point at; the Flag carries them all.
pub const MAX_STATUSES: usize = 100;
/// The categories Mastodon knows.
pub const CATEGORIES: &[&str] = &["spam", "legal", "violation", "other"];

/// What the owner reports.
#[derive(Clone, Debug, Default)]
pub struct NewReport {
    pub account_id: u64,
    pub status_ids: Vec<u64>,
    pub comment: String,
    pub forward: bool,
    /// `None` means Mastodon's default, `other`.
    pub category: Option<String>,
    pub rule_ids: Vec<u64>,
}

pub async fn report(state: &AppState, new: NewReport) -> OpResult<Report> {
    let owner = owner_account(state)?;
    let target = state
        .store
        .account(new.account_id)?
        .ok_or_else(|| OpError::NotFound("Record not found".into()))?;
    if target.id == owner.id {
        return Err(OpError::Invalid(
            "Validation failed: you cannot report yourself".into(),
        ));
    }
    let comment_chars = new.comment.chars().count();
    if comment_chars > MAX_COMMENT_CHARS {
        return Err(OpError::Invalid(format!(
            "Validation failed: Comment is too long (maximum is {MAX_COMMENT_CHARS} characters)"
        )));
    }
    let category = new.category.clone().unwrap_or_else(|| "other".into());
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(OpError::Invalid(format!(
            "Validation failed: Category `{category}` is not one of {}",
            CATEGORIES.join(", ")
        )));
    }
    // This server states no rules, so no rule id names one.
    if let Some(id) = new.rule_ids.first() {
        return Err(OpError::Invalid(format!(
            "Validation failed: rule {id} does not exist; this server has no rules"
        )));
    }
    let mut status_ids = new.status_ids.clone();
    status_ids.sort_unstable();
    status_ids.dedup();
    if status_ids.len() > MAX_STATUSES {
        return Err(OpError::Invalid(format!(
            "Validation failed: a report may point at {MAX_STATUSES} statuses at most"
        )));
    }
    let mut status_uris = Vec::with_capacity(status_ids.len());
    for id in &status_ids {
        // Only the reported account's own statuses, as Mastodon insists.
        match state.store.status(*id)? {
            Some(s) if s.account_id == target.id => status_uris.push(s.uri),
            _ => return Err(OpError::NotFound("Record not found".into())),
        }
    }
    let report = Report {
        id: state.store.next_id(),
        target_account_id: target.id,
        status_ids,
        comment: new.comment.clone(),
        category,
        rule_ids: Vec::new(),
        forwarded: new.forward && !target.is_local(),
        created_at_ms: now_ms(),
    };
    let jobs = if report.forwarded {
        let mut object = vec![target.uri.clone()];
        object.extend(status_uris);
        let flag = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": activity::activity_id(&owner, "flags", report.id),
            "type": "Flag",
            "actor": owner.uri,
            "content": report.comment,
            "object": object,
        });
        outbox::jobs(state, &flag, outbox::account_inboxes(state, &[target.id])?)
    } else {
        Vec::new()
    };
    commit(state, &jobs, |tx| tx.put_report(&report)).await?;
    Ok(report)
}
