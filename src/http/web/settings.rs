//! Settings: the profile (name, bio, fields, locked, discoverable, default
//! visibility), the password, links to blocked and muted accounts, and
//! (from `access`) authorized apps and blocked servers.

use super::multipart_form::FilesPost;
use super::owner::{back_of, render};
use super::session::{Post, Session};
use crate::http::error::PageError;
use crate::ops::profile::{ProfileUpdate, MAX_FIELDS};
use crate::ops::profile_images::{Picture, PictureChange, PictureUpdate};
use crate::ops::{owner_account, OpError};
use crate::state::AppState;
use crate::store::preferences::FieldSource;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    /// A note to show after a change (`saved`, `password`).
    #[serde(default)]
    done: String,
}

fn page(
    state: &AppState,
    session: &Session,
    back: &str,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let owner = owner_account(state)?;
    let prefs = state.store.preferences()?;
    let mut fields = prefs.fields_source.clone();
    fields.resize(MAX_FIELDS.max(fields.len()), FieldSource::default());
    let mut res = render(
        state,
        session,
        "settings.html",
        "settings",
        back,
        minijinja::context! {
            account => owner, prefs => prefs, fields => fields, notice => notice, error => error,
            max_note => crate::ops::profile::MAX_NOTE_CHARS,
            max_name => crate::ops::profile::MAX_DISPLAY_NAME_CHARS,
            apps => super::access::apps(state)?,
            blocked_domains => super::access::blocked_domains(state)?,
            reports => super::reports::shown(state)?,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "profile" => Some("Your profile is saved."),
        "avatar" => Some("Your avatar is removed; the default picture shows instead."),
        "header" => Some("Your header is removed."),
        "password" => Some(
            "Your password is changed. All apps and other sessions were signed out: log in to them again with the new password.",
        ),
        "revoked" => Some("The app’s access is revoked: it is logged out everywhere."),
        "blocked" => Some("The server is blocked."),
        "unblocked" => Some("The server is unblocked."),
        _ => None,
    };
    page(
        &state,
        &session,
        &back_of(&uri),
        notice,
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    locked: Option<String>,
    #[serde(default)]
    discoverable: Option<String>,
    #[serde(default)]
    privacy: String,
    #[serde(default)]
    field_name_0: String,
    #[serde(default)]
    field_value_0: String,
    #[serde(default)]
    field_name_1: String,
    #[serde(default)]
    field_value_1: String,
    #[serde(default)]
    field_name_2: String,
    #[serde(default)]
    field_value_2: String,
    #[serde(default)]
    field_name_3: String,
    #[serde(default)]
    field_value_3: String,
}

pub async fn save_profile(
    State(state): State<AppState>,
    mut post: FilesPost<ProfileForm>,
) -> Result<Response, PageError> {
    let mut picture = |field: &str| {
        post.take_file(field)
            .map(|f| PictureChange::Replace(f.bytes))
    };
    let pictures = PictureUpdate {
        avatar: picture("avatar"),
        header: picture("header"),
    };
    let f = post.form;
    let fields = [
        (f.field_name_0, f.field_value_0),
        (f.field_name_1, f.field_value_1),
        (f.field_name_2, f.field_value_2),
        (f.field_name_3, f.field_value_3),
    ]
    .into_iter()
    .map(|(name, value)| FieldSource { name, value })
    .collect();
    let update = ProfileUpdate {
        display_name: Some(f.display_name),
        note: Some(f.note.replace("\r\n", "\n")),
        // An unticked checkbox sends nothing.
        locked: Some(f.locked.is_some()),
        discoverable: Some(f.discoverable.is_some()),
        fields: Some(fields),
        privacy: (!f.privacy.is_empty()).then_some(f.privacy),
        ..Default::default()
    };
    match crate::ops::profile_images::update(&state, update, pictures).await {
        Ok(_) => Ok(Redirect::to("/web/settings?done=profile").into_response()),
        Err(OpError::Invalid(m)) => page(
            &state,
            &post.session,
            "/web/settings",
            None,
            Some(&m),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemovePictureForm {
    /// `avatar` or `header`.
    picture: String,
}

/// The "Remove" buttons under the current pictures.
pub async fn remove_picture(
    State(state): State<AppState>,
    post: Post<RemovePictureForm>,
) -> Result<Response, PageError> {
    let picture = match post.form.picture.as_str() {
        "avatar" => Picture::Avatar,
        "header" => Picture::Header,
        other => {
            return Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown picture",
                format!("There is no picture called `{other}`; only the avatar and header can be removed. Go back and try again."),
            ))
        }
    };
    crate::ops::profile_images::remove(&state, picture).await?;
    Ok(Redirect::to(&format!("/web/settings?done={}", picture.name())).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    post: Post<PasswordForm>,
) -> Result<Response, PageError> {
    let f = post.form;
    let refuse = |m: &str| {
        page(
            &state,
            &post.session,
            "/web/settings",
            None,
            Some(m),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if f.new != f.confirm {
        return refuse("The new password and its confirmation differ. Type them again.");
    }
    let attempt = match state.password_limiter.reserve(std::time::Instant::now()) {
        Ok(a) => a,
        Err(wait) => return refuse(&crate::ops::password_limit::wait_message(wait)),
    };
    let st = state.clone();
    let keep = post.session.token_hash.clone();
    let result = tokio::task::spawn_blocking(move || {
        if !crate::ops::setup::check_password(&st.store, &f.current)? {
            return Ok(None);
        }
        crate::ops::setup::change_password(&st.store, &f.new, Some(&keep)).map(Some)
    })
    .await
    .map_err(PageError::internal)?;
    match result {
        Ok(Some(revoked)) => {
            attempt.succeeded();
            crate::ops::oauth::announce_revoked(&state, &revoked);
            Ok(Redirect::to("/web/settings?done=password").into_response())
        }
        Ok(None) => {
            attempt.failed(std::time::Instant::now());
            refuse("Your current password is not right.")
        }
        Err(OpError::Invalid(m)) => refuse(&m),
        Err(e) => Err(e.into()),
    }
}
