//! Updating the owner's profile (API `update_credentials`, settings page).
//!
//! Limits are Mastodon's, so what an app lets the owner type is accepted.
//! The bio and field values are rendered to HTML here: escaped text,
//! paragraphs, line breaks and links. Followers' servers are sent an
//! `Update` of the actor. Avatar and header files are in `profile_images`.

use super::{OpError, OpResult};
use crate::content::escape;
use crate::store::accounts::{Account, Field};
use crate::store::preferences::{FieldSource, Preferences};
use crate::store::Store;

pub const MAX_DISPLAY_NAME_CHARS: usize = 30;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_FIELDS: usize = 4;
pub const MAX_FIELD_NAME_CHARS: usize = 255;
pub const MAX_FIELD_VALUE_CHARS: usize = 255;
pub const VISIBILITIES: &[&str] = &["public", "unlisted", "private", "direct"];

/// What to change; `None` leaves a setting as it is.
#[derive(Default, Debug, Clone)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    /// Public posts may be found by full-text search elsewhere.
    pub indexable: Option<bool>,
    /// Hide followers and following from others.
    pub hide_collections: Option<bool>,
    /// Replaces all fields; pairs with empty name and value are dropped.
    pub fields: Option<Vec<FieldSource>>,
    pub privacy: Option<String>,
    pub sensitive: Option<bool>,
    /// ISO 639-1 code; an empty string clears it.
    pub language: Option<String>,
}

/// Validates everything first, then saves account and preferences in one
/// transaction. The caller flushes before answering.
pub fn update_profile(store: &Store, update: ProfileUpdate) -> OpResult<(Account, Preferences)> {
    let (mut account, mut prefs) = load(store)?;
    apply(&mut account, &mut prefs, update)?;
    store.save_profile(&account, &prefs)?;
    Ok((account, prefs))
}

/// The owner's account and preferences, as an update starts from.
pub(super) fn load(store: &Store) -> OpResult<(Account, Preferences)> {
    let account = store
        .owner_account()?
        .ok_or_else(|| OpError::NotFound("this server is not set up yet".into()))?;
    Ok((account, store.preferences()?))
}

/// Validates `update` and applies it to the records in memory; on an
/// error nothing is stored, so the caller may drop both.
pub(super) fn apply(
    account: &mut Account,
    prefs: &mut Preferences,
    update: ProfileUpdate,
) -> OpResult<()> {
    if let Some(name) = update.display_name {
        let name = name.trim();
        if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(OpError::Invalid(format!(
                "Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME_CHARS} characters)"
            )));
        }
        account.display_name = name.to_string();
    }
    if let Some(note) = update.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(OpError::Invalid(format!(
                "Validation failed: Note is too long (maximum is {MAX_NOTE_CHARS} characters)"
            )));
        }
        account.note = render_text(&note);
        account.note_source = note;
    }
    if let Some(v) = update.locked {
        account.locked = v;
    }
    if let Some(v) = update.bot {
        account.bot = v;
    }
    if let Some(v) = update.discoverable {
        account.discoverable = v;
    }
    if let Some(v) = update.indexable {
        account.indexable = v;
    }
    if let Some(v) = update.hide_collections {
        account.hide_collections = v;
    }
    if let Some(fields) = update.fields {
        let fields: Vec<FieldSource> = fields
            .into_iter()
            .map(|f| FieldSource {
                name: f.name.trim().to_string(),
                value: f.value.trim().to_string(),
            })
            .filter(|f| !(f.name.is_empty() && f.value.is_empty()))
            .collect();
        if fields.len() > MAX_FIELDS {
            return Err(OpError::Invalid(format!(
                "Validation failed: Fields: at most {MAX_FIELDS} profile fields"
            )));
        }
        for f in &fields {
            if f.name.chars().count() > MAX_FIELD_NAME_CHARS
                || f.value.chars().count() > MAX_FIELD_VALUE_CHARS
            {
                return Err(OpError::Invalid(format!(
                    "Validation failed: a profile field's name and value may be at most {MAX_FIELD_VALUE_CHARS} characters each"
                )));
            }
        }
        account.fields = fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                value: render_inline(&f.value),
                verified_at_ms: None,
            })
            .collect();
        prefs.fields_source = fields;
    }
    if let Some(p) = update.privacy {
        if !VISIBILITIES.contains(&p.as_str()) {
            return Err(OpError::Invalid(format!(
                "Validation failed: source[privacy] must be one of {}",
                VISIBILITIES.join(", ")
            )));
        }
        prefs.privacy = p;
    }
    if let Some(v) = update.sensitive {
        prefs.sensitive = v;
    }
    if let Some(lang) = update.language {
        let lang = lang.trim().to_ascii_lowercase();
        let ok = lang.is_empty()
            || ((2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()));
        if !ok {
            return Err(OpError::Invalid(format!(
                "Validation failed: source[language] `{lang}` is not an ISO 639 language code such as en"
            )));
        }
        prefs.language = lang;
    }
    Ok(())
}

/// Plain text to HTML: blank lines separate paragraphs, single newlines
/// become `<br>`, http(s) URLs become links. Everything else is escaped.
pub fn render_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(render_inline).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}

/// One line of text to HTML, with links.
pub fn render_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url(rest) {
        out.push_str(&escape(&rest[..start]));
        let tail = &rest[start..];
        let mut end = tail
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(tail.len());
        // Trailing punctuation usually ends the sentence, not the URL.
        while end > 0 && tail[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', '\'']) {
            end -= 1;
        }
        let url = &tail[..end];
        let shown = url
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        if shown.is_empty() {
            out.push_str(&escape(url));
        } else {
            out.push_str(&format!(
                "<a href=\"{u}\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">{s}</a>",
                u = escape(url),
                s = escape(shown)
            ));
        }
        rest = &tail[end..];
        if end == 0 {
            // Never loop on an empty match.
            out.push_str(&escape(&rest[..1]));
            rest = &rest[1..];
        }
    }
    out.push_str(&escape(rest));
    out
}

fn find_url(s: &str) -> Option<usize> {
    let a = s.find("https://");
    let b = s.find("http://");
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Updates the profile's text and tells followers' servers (Update of the
/// actor), so they show the new name and bio without refetching.
pub async fn update(
    state: &crate::state::AppState,
    update: ProfileUpdate,
) -> OpResult<(Account, Preferences)> {
    super::profile_images::update(state, update, Default::default()).await
}

/// Queues an `Update` of the owner's actor to every follower.
pub async fn announce(state: &crate::state::AppState, account: &Account) -> OpResult<()> {
    use crate::activitypub::{activity, actor};
    let person = actor::person(account, &state.urls);
    let id = activity::activity_id(account, "updates", state.store.next_id());
    let doc = activity::update_person(id, account, person);
    let jobs = crate::federation::outbox::jobs(
        state,
        &doc,
        crate::federation::outbox::follower_inboxes(state)?,
    );
    super::commit(state, &jobs, |_| Ok(())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_paragraphs_breaks_and_links() {
        assert_eq!(render_text(""), "");
        assert_eq!(
            render_text("Hi <b>\nthere\n\nSee https://x.example/a."),
            "<p>Hi &lt;b&gt;<br>there</p><p>See <a href=\"https://x.example/a\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">x.example/a</a>.</p>"
        );
        assert_eq!(render_inline("https://"), "https://");
        assert_eq!(
            render_inline("\"https://a.example/?q=<x>\""),
            "&quot;<a href=\"https://a.example/?q=\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">a.example/?q=</a>&lt;x&gt;&quot;"
        );
    }
}
