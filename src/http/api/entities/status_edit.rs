//! `StatusEdit` (one version in a status's history) and `StatusSource`
//! (what the owner typed, for the edit form).

use super::account::{account, AccountEntity};
use super::status::MediaEntity;
use crate::state::AppState;
use crate::store::statuses::Status;
use crate::store::{Result, StoreError};
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone)]
pub struct EditPollOption {
    pub title: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct EditPoll {
    pub options: Vec<EditPollOption>,
}

#[derive(Serialize, Debug, Clone)]
pub struct StatusEditEntity {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: AccountEntity,
    pub poll: Option<EditPoll>,
    pub media_attachments: Vec<MediaEntity>,
    pub emojis: Vec<Value>,
}

#[derive(Serialize, Debug, Clone)]
pub struct StatusSourceEntity {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}

fn edit_poll(titles: Vec<String>) -> Option<EditPoll> {
    (!titles.is_empty()).then(|| EditPoll {
        options: titles
            .into_iter()
            .map(|title| EditPollOption { title })
            .collect(),
    })
}

fn media(state: &AppState, ids: &[u64]) -> Vec<MediaEntity> {
    ids.iter()
        .filter_map(|id| super::media_entity(state, *id))
        .collect()
}

/// Every version, oldest first, the current one last (a status never
/// edited has a history of one, as Mastodon shows it).
pub fn history(state: &AppState, s: &Status) -> Result<Vec<StatusEditEntity>> {
    let author = state
        .store
        .account(s.account_id)?
        .ok_or_else(|| StoreError::Decode(format!("status {} has no author", s.id)))?;
    let author = account(&author, &state.urls);
    let mut out: Vec<StatusEditEntity> = s
        .revisions
        .iter()
        .map(|r| StatusEditEntity {
            content: r.content.clone(),
            spoiler_text: r.spoiler_text.clone(),
            sensitive: r.sensitive,
            created_at: iso8601_ms(r.created_at_ms),
            account: author.clone(),
            poll: edit_poll(r.poll_options.clone()),
            media_attachments: media(state, &r.media_ids),
            emojis: vec![],
        })
        .collect();
    let mut current_media = media(state, &s.media_ids);
    current_media.extend(
        s.remote_media
            .iter()
            .enumerate()
            .filter_map(|(i, m)| super::status::remote_media(s.id, i, m)),
    );
    out.push(StatusEditEntity {
        content: s.content.clone(),
        spoiler_text: s.spoiler_text.clone(),
        sensitive: s.sensitive,
        created_at: iso8601_ms(s.edited_at_ms.unwrap_or(s.created_at_ms)),
        account: author,
        poll: edit_poll(
            s.poll
                .iter()
                .flat_map(|p| p.options.iter().map(|o| o.title.clone()))
                .collect(),
        ),
        media_attachments: current_media,
        emojis: vec![],
    });
    Ok(out)
}

pub fn source(s: &Status) -> StatusSourceEntity {
    StatusSourceEntity {
        id: s.id.to_string(),
        text: s.source_text.clone(),
        spoiler_text: s.spoiler_text.clone(),
    }
}
