//! The owner's writing: compose, edit, delete, and the buttons under each
//! post. Each is a plain form that calls the same operation the Mastodon
//! API calls, then goes back to the page it came from.

use super::compose_form::ComposePost;
use super::owner::{back_of, render};
use super::session::{local_path, Post, Session};
use super::view::Viewer;
use crate::http::error::PageError;
use crate::ops::statuses::{self, EditStatus, NewPoll, NewStatus};
use crate::ops::{interactions, owner_account, OpError};
use crate::state::AppState;
use crate::store::relations::StatusRel;
use crate::store::statuses::Visibility;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

fn parse_status_id(id: &str) -> Result<u64, PageError> {
    crate::store::ids::parse_id(id).ok_or_else(|| PageError::not_found("There is no such post."))
}

/// Back to `back`, scrolled to the post acted on.
fn back_to(back: &str, anchor: Option<&str>) -> Response {
    let mut to = local_path(back, "/web/home");
    if let Some(a) = anchor {
        if !to.contains('#') {
            to.push_str(&format!("#s-{a}"));
        }
    }
    Redirect::to(&to).into_response()
}

#[derive(Deserialize, Default)]
pub struct ComposeQuery {
    #[serde(default)]
    in_reply_to: Option<String>,
}

pub async fn compose(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<ComposeQuery>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let mut viewer = Viewer::owner(&state, &owner);
    let reply =
        match q.in_reply_to.as_deref() {
            Some(id) => Some(viewer.status_by_id(parse_status_id(id)?).ok_or_else(|| {
                PageError::not_found("The post you reply to is not stored here.")
            })?),
            None => None,
        };
    let prefs = state.store.preferences()?;
    let (text, visibility) = match &reply {
        Some(r) => {
            let text = if r.mine {
                String::new()
            } else {
                format!("@{} ", r.account.handle)
            };
            // A reply is never more public than what it answers.
            let vis = match (r.visibility, prefs.privacy.as_str()) {
                ("direct", _) | (_, "direct") => "direct",
                ("private", _) | (_, "private") => "private",
                ("unlisted", _) | (_, "unlisted") => "unlisted",
                _ => "public",
            };
            (text, vis.to_string())
        }
        None => (String::new(), prefs.privacy.clone()),
    };
    render(
        &state,
        &session,
        "compose.html",
        "compose",
        &back_of(&uri),
        minijinja::context! {
            reply => reply, text => text, spoiler_text => "", visibility => visibility,
            action => "/web/statuses", max_chars => statuses::MAX_STATUS_CHARS,
            return_to => match &reply { Some(r) => format!("/web/statuses/{}", r.id), None => "/web/home".into() },
            title => if reply.is_some() { "Reply" } else { "New post" },
        },
    )
}

#[derive(Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    in_reply_to_id: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    poll_option_0: String,
    #[serde(default)]
    poll_option_1: String,
    #[serde(default)]
    poll_option_2: String,
    #[serde(default)]
    poll_option_3: String,
    /// Seconds, from the form's list of durations.
    #[serde(default)]
    poll_expires_in: String,
    #[serde(default)]
    poll_multiple: Option<String>,
    /// Alt text of the post's images, in order, when editing.
    #[serde(default)]
    description_0: Option<String>,
    #[serde(default)]
    description_1: Option<String>,
    #[serde(default)]
    description_2: Option<String>,
    #[serde(default)]
    description_3: Option<String>,
}

/// How long a poll may run, as the compose form offers it (Mastodon's
/// choices): seconds and label.
pub const POLL_DURATIONS: &[(i64, &str)] = &[
    (300, "5 minutes"),
    (1800, "30 minutes"),
    (3600, "1 hour"),
    (21600, "6 hours"),
    (86400, "1 day"),
    (259200, "3 days"),
    (604800, "7 days"),
];
/// The duration preselected in the form.
pub const DEFAULT_POLL_SECS: i64 = 86400;

/// The bounds the compose form shows and enforces in the browser (the
/// operations enforce them again).
pub fn compose_limits() -> minijinja::Value {
    minijinja::context! {
        media => (0..statuses::MAX_MEDIA_ATTACHMENTS).collect::<Vec<_>>(),
        poll_options => (0..statuses::MAX_POLL_OPTIONS).collect::<Vec<_>>(),
        poll_option_chars => statuses::MAX_POLL_OPTION_CHARS,
        poll_durations => POLL_DURATIONS,
        default_poll_secs => DEFAULT_POLL_SECS,
        description_chars => crate::ops::media::MAX_DESCRIPTION_CHARS,
        upload_mib => crate::media::MAX_UPLOAD_BYTES / (1024 * 1024),
    }
}

impl ComposeForm {
    /// The poll, when any option is filled in; the operation checks the
    /// rest (2 to 4 options, their length, the duration).
    fn poll(&self) -> Result<Option<NewPoll>, PageError> {
        let options: Vec<String> = [
            &self.poll_option_0,
            &self.poll_option_1,
            &self.poll_option_2,
            &self.poll_option_3,
        ]
        .into_iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
        if options.is_empty() {
            return Ok(None);
        }
        let expires_in_secs = match self.poll_expires_in.trim() {
            "" => DEFAULT_POLL_SECS,
            v => v.parse().map_err(|_| {
                PageError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Please check your input",
                    "Choose how long the poll runs from the list.",
                )
            })?,
        };
        Ok(Some(NewPoll {
            options,
            expires_in_secs,
            multiple: self.poll_multiple.is_some(),
        }))
    }
}

fn parse_visibility(v: &str) -> Result<Visibility, PageError> {
    if v.is_empty() {
        return Ok(Visibility::Public);
    }
    Visibility::parse(v).ok_or_else(|| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check your input",
            "Choose who can see the post: public, unlisted, followers only or mentioned people only.",
        )
    })
}

/// A new post from the compose form, with its images (uploaded while the
/// form was read) or its poll. When posting fails, the images go again.
pub async fn create(
    State(state): State<AppState>,
    post: ComposePost<ComposeForm>,
) -> Result<Response, PageError> {
    let result = post_status(&state, &post).await;
    if result.is_err() {
        post.discard_media(&state).await;
    }
    let (s, in_reply_to_id) = result?;
    let f = post.form;
    // From the compose page, a reply goes on to its thread, a post home.
    let to = if f.back.starts_with("/web/compose") || f.back.is_empty() {
        match in_reply_to_id {
            Some(p) => format!("/web/statuses/{p}"),
            None => "/web/home".to_string(),
        }
    } else {
        f.back
    };
    Ok(back_to(&to, Some(&s.id.to_string())))
}

async fn post_status(
    state: &AppState,
    post: &ComposePost<ComposeForm>,
) -> Result<(crate::store::statuses::Status, Option<u64>), PageError> {
    let f = &post.form;
    let in_reply_to_id = match f.in_reply_to_id.trim() {
        "" => None,
        id => Some(parse_status_id(id)?),
    };
    let new = NewStatus {
        text: f.text.replace("\r\n", "\n"),
        spoiler_text: f.spoiler_text.clone(),
        visibility: parse_visibility(&f.visibility)?,
        in_reply_to_id,
        media_ids: post.media_ids.clone(),
        poll: f.poll()?,
        application: Some("Web".into()),
        ..Default::default()
    };
    Ok((statuses::post(state, new).await?, in_reply_to_id))
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    r#do: String,
    #[serde(default)]
    back: String,
}

/// The buttons under a post; `do` says which was pressed.
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Post<ActionForm>,
) -> Result<Response, PageError> {
    let id = parse_status_id(&id)?;
    let f = post.form;
    match f.r#do.as_str() {
        "favourite" => interactions::favourite(&state, id).await.map(drop),
        "unfavourite" => interactions::unfavourite(&state, id).await.map(drop),
        "reblog" => interactions::reblog(&state, id, None).await.map(drop),
        "unreblog" => interactions::unreblog(&state, id).await.map(drop),
        "bookmark" => interactions::set_flag(&state, id, StatusRel::Bookmark, true)
            .await
            .map(drop),
        "unbookmark" => interactions::set_flag(&state, id, StatusRel::Bookmark, false)
            .await
            .map(drop),
        "pin" => interactions::set_flag(&state, id, StatusRel::Pin, true)
            .await
            .map(drop),
        "unpin" => interactions::set_flag(&state, id, StatusRel::Pin, false)
            .await
            .map(drop),
        other => Err(OpError::Invalid(format!(
            "`{other}` is not something a post's buttons do"
        ))),
    }?;
    Ok(back_to(&f.back, Some(&id.to_string())))
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let s = statuses::own_status(&state, parse_status_id(&id)?, &owner)?;
    if s.reblog_of_id.is_some() {
        return Err(OpError::Invalid("a boost cannot be edited".into()).into());
    }
    render(
        &state,
        &session,
        "compose.html",
        "",
        &back_of(&uri),
        minijinja::context! {
            reply => (), text => s.source_text, spoiler_text => s.spoiler_text,
            visibility => s.visibility.as_str(), editing => true,
            media => s.media_ids.iter().filter_map(|id| crate::ops::media_attachment(&state, *id))
                .map(|a| minijinja::context! { preview_url => a.url, description => a.name.unwrap_or_default() })
                .collect::<Vec<_>>(),
            action => format!("/web/statuses/{}/edit", s.id),
            max_chars => statuses::MAX_STATUS_CHARS, title => "Edit post",
            return_to => format!("/web/statuses/{}", s.id),
        },
    )
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Post<ComposeForm>,
) -> Result<Response, PageError> {
    let id = parse_status_id(&id)?;
    let owner = owner_account(&state)?;
    let old = statuses::own_status(&state, id, &owner)?;
    let now = crate::time_fmt::now_ms();
    // The form edits text and alt text: media and poll stay as they are.
    let poll = old.poll.as_ref().map(|p| NewPoll {
        options: p.options.iter().map(|o| o.title.clone()).collect(),
        multiple: p.multiple,
        expires_in_secs: p
            .expires_at_ms
            .map(|e| (e - now) / 1000)
            .unwrap_or(statuses::MIN_POLL_EXPIRY_SECS)
            .clamp(
                statuses::MIN_POLL_EXPIRY_SECS,
                statuses::MAX_POLL_EXPIRY_SECS,
            ),
    });
    let e = EditStatus {
        text: post.form.text.replace("\r\n", "\n"),
        spoiler_text: post.form.spoiler_text,
        sensitive: old.sensitive,
        language: None,
        media_ids: old.media_ids.clone(),
        poll,
        media_attributes: old
            .media_ids
            .iter()
            .zip([
                post.form.description_0,
                post.form.description_1,
                post.form.description_2,
                post.form.description_3,
            ])
            .filter_map(|(id, d)| {
                d.map(|d| statuses::MediaChange {
                    id: *id,
                    description: Some(d),
                    focus: None,
                })
            })
            .collect(),
    };
    statuses::edit(&state, id, e).await?;
    Ok(Redirect::to(&format!("/web/statuses/{id}")).into_response())
}

/// Deleting asks first: without scripts, a second page is the confirm box.
pub async fn delete_form(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let s = statuses::own_status(&state, parse_status_id(&id)?, &owner)?;
    let view = Viewer::owner(&state, &owner)
        .status(&s)
        .ok_or_else(|| PageError::not_found("There is no such post."))?;
    render(
        &state,
        &session,
        "delete.html",
        "",
        &back_of(&uri),
        minijinja::context! { s => view },
    )
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Post<ActionForm>,
) -> Result<Response, PageError> {
    let id = parse_status_id(&id)?;
    statuses::delete(&state, id).await?;
    let back = local_path(&post.form.back, "/web/home");
    let to = if back.starts_with(&format!("/web/statuses/{id}")) {
        "/web/home".to_string()
    } else {
        back
    };
    Ok(Redirect::to(&to).into_response())
}
