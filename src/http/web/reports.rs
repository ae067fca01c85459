//! The owner's reports, listed on the settings page so they can look
//! back at what they reported and whether it was sent on.

use crate::http::error::PageError;
use crate::state::AppState;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;

/// Reports listed; older ones are kept but not shown.
pub const REPORTS_SHOWN: usize = 50;

#[derive(Serialize)]
pub struct ReportView {
    /// `user@host` of the account reported.
    pub acct: String,
    pub category: String,
    pub comment: String,
    pub statuses: usize,
    pub forwarded: bool,
    pub created_at: String,
    pub created: String,
}

pub fn shown(state: &AppState) -> Result<Vec<ReportView>, PageError> {
    let mut out = Vec::new();
    for r in state.store.reports(REPORTS_SHOWN)? {
        let acct = state
            .store
            .account(r.target_account_id)?
            .map(|a| a.acct())
            .unwrap_or_else(|| "an account no longer known".into());
        let at = iso8601_ms(r.created_at_ms);
        out.push(ReportView {
            acct,
            category: r.category,
            comment: r.comment,
            statuses: r.status_ids.len(),
            forwarded: r.forwarded,
            created: crate::time_fmt::date_only(r.created_at_ms),
            created_at: at,
        });
    }
    Ok(out)
}
