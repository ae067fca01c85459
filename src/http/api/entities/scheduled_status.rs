//! `ScheduledStatus`: a post waiting for its time, with the parameters it
//! will be posted with, shaped as Mastodon stores and answers them.

use super::status::MediaEntity;
use crate::state::AppState;
use crate::store::scheduled::ScheduledStatus;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;

#[derive(Serialize)]
pub struct ScheduledStatusEntity {
    pub id: String,
    pub scheduled_at: String,
    pub params: ParamsEntity,
    pub media_attachments: Vec<MediaEntity>,
}

#[derive(Serialize)]
pub struct ParamsEntity {
    pub text: String,
    pub poll: Option<PollParams>,
    pub media_ids: Option<Vec<String>>,
    pub sensitive: bool,
    pub spoiler_text: Option<String>,
    pub visibility: &'static str,
    pub in_reply_to_id: Option<String>,
    pub language: Option<String>,
    /// Always null: the status's own time is `scheduled_at` above.
    pub scheduled_at: Option<String>,
    pub idempotency: Option<String>,
    pub with_rate_limit: bool,
}

#[derive(Serialize)]
pub struct PollParams {
    pub options: Vec<String>,
    pub expires_in: i64,
    pub multiple: bool,
    pub hide_totals: bool,
}

pub fn scheduled_status(state: &AppState, s: &ScheduledStatus) -> ScheduledStatusEntity {
    ScheduledStatusEntity {
        id: s.id.to_string(),
        scheduled_at: iso8601_ms(s.scheduled_at_ms),
        params: ParamsEntity {
            text: s.text.clone(),
            poll: s.poll.as_ref().map(|p| PollParams {
                options: p.options.clone(),
                expires_in: p.expires_in_secs,
                multiple: p.multiple,
                hide_totals: false,
            }),
            media_ids: (!s.media_ids.is_empty())
                .then(|| s.media_ids.iter().map(u64::to_string).collect()),
            sensitive: s.sensitive,
            spoiler_text: Some(s.spoiler_text.clone()).filter(|t| !t.is_empty()),
            visibility: s.visibility.as_str(),
            in_reply_to_id: s.in_reply_to_id.map(|id| id.to_string()),
            language: s.language.clone(),
            scheduled_at: None,
            idempotency: s.idempotency.clone(),
            with_rate_limit: false,
        },
        media_attachments: s
            .media_ids
            .iter()
            .filter_map(|id| super::media_entity(state, *id))
            .collect(),
    }
}
