//! `Report`: what the owner reported, as Mastodon answers a new report.

use super::account::{account, AccountEntity};
use crate::state::AppState;
use crate::store::reports::Report;
use crate::store::Result;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;

#[derive(Serialize)]
pub struct ReportEntity {
    pub id: String,
    /// Nobody acts on a report here; the account's own server may.
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Option<Vec<String>>,
    pub rule_ids: Option<Vec<String>>,
    pub target_account: Option<AccountEntity>,
}

pub fn report(state: &AppState, r: &Report) -> Result<ReportEntity> {
    let ids = |v: &[u64]| (!v.is_empty()).then(|| v.iter().map(u64::to_string).collect());
    Ok(ReportEntity {
        id: r.id.to_string(),
        action_taken: false,
        action_taken_at: None,
        category: r.category.clone(),
        comment: r.comment.clone(),
        forwarded: r.forwarded,
        created_at: iso8601_ms(r.created_at_ms),
        status_ids: ids(&r.status_ids),
        rule_ids: ids(&r.rule_ids),
        target_account: state
            .store
            .account(r.target_account_id)?
            .map(|a| account(&a, &state.urls)),
    })
}
