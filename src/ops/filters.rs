//! Content filters (Mastodon's v2 filters): titled groups of keywords
//! that warn about or hide matching statuses in chosen places. Every
//! change emits `FiltersChanged` so streaming apps refetch them.
//!
//! `Filters` is how timelines, notifications, streaming and the web UI
//! apply them: loaded once per request, asked once per status.

use super::{durable, emit, OpError, OpResult};
use crate::events::Event;
use crate::state::AppState;
use crate::store::filters::{Filter, Keyword};
use crate::store::notifications::Notification;
use crate::store::statuses::Status;
use crate::time_fmt::now_ms;

/// Where a filter may apply, in Mastodon's words.
pub const CONTEXTS: &[&str] = &["home", "notifications", "public", "thread", "account"];
pub const ACTIONS: &[&str] = &["warn", "hide", "blur"];
/// Longest title and keyword accepted: labels and words, not essays.
pub const MAX_TITLE_CHARS: usize = 256;
pub const MAX_KEYWORD_CHARS: usize = 256;
/// Keywords per filter; each is checked against every status shown.
pub const MAX_KEYWORDS_PER_FILTER: usize = 200;

/// A keyword change in a create or update (`keywords_attributes`).
#[derive(Debug, Default, Clone)]
pub struct KeywordChange {
    /// Set to change or remove an existing keyword.
    pub id: Option<u64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What a create or update sets; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<String>,
    /// `Some(None)` removes the expiry; seconds from now otherwise.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordChange>,
}

fn not_found() -> OpError {
    OpError::NotFound("Record not found".into())
}

fn invalid(m: impl Into<String>) -> OpError {
    OpError::Invalid(format!("Validation failed: {}", m.into()))
}

fn check_keyword(k: &str) -> OpResult<String> {
    let k = k.trim().to_string();
    if k.is_empty() {
        return Err(invalid("Keyword can't be blank"));
    }
    if k.chars().count() > MAX_KEYWORD_CHARS {
        return Err(invalid(format!(
            "Keyword is too long (maximum is {MAX_KEYWORD_CHARS} characters)"
        )));
    }
    Ok(k)
}

fn apply(state: &AppState, f: &mut Filter, input: FilterInput) -> OpResult<()> {
    if let Some(t) = input.title {
        f.title = t.trim().to_string();
    }
    if f.title.is_empty() {
        return Err(invalid("Title can't be blank"));
    }
    if f.title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid(format!(
            "Title is too long (maximum is {MAX_TITLE_CHARS} characters)"
        )));
    }
    if let Some(c) = input.context {
        if let Some(bad) = c.iter().find(|c| !CONTEXTS.contains(&c.as_str())) {
            return Err(invalid(format!(
                "Context `{bad}` is not one of home, notifications, public, thread, account"
            )));
        }
        f.context = c;
        f.context.dedup();
    }
    if f.context.is_empty() {
        return Err(invalid("Context can't be blank"));
    }
    if let Some(a) = input.action {
        if !ACTIONS.contains(&a.as_str()) {
            return Err(invalid(format!(
                "Filter action `{a}` is not one of warn, hide, blur"
            )));
        }
        f.action = a;
    }
    if let Some(e) = input.expires_in {
        f.expires_at_ms = match e {
            Some(secs) if secs > 0 => Some(now_ms().saturating_add(secs.saturating_mul(1000))),
            Some(_) => return Err(invalid("Expires in must be a positive number of seconds")),
            None => None,
        };
    }
    for change in input.keywords {
        match change.id {
            Some(id) => {
                let pos = f
                    .keywords
                    .iter()
                    .position(|k| k.id == id)
                    .ok_or_else(not_found)?;
                if change.destroy {
                    f.keywords.remove(pos);
                    continue;
                }
                let k = &mut f.keywords[pos];
                if let Some(word) = change.keyword {
                    k.keyword = check_keyword(&word)?;
                }
                if let Some(w) = change.whole_word {
                    k.whole_word = w;
                }
            }
            None if change.destroy => {}
            None => f.keywords.push(Keyword {
                id: state.store.next_id(),
                keyword: check_keyword(change.keyword.as_deref().unwrap_or(""))?,
                whole_word: change.whole_word.unwrap_or(true),
            }),
        }
    }
    if f.keywords.len() > MAX_KEYWORDS_PER_FILTER {
        return Err(invalid(format!(
            "a filter holds at most {MAX_KEYWORDS_PER_FILTER} keywords"
        )));
    }
    Ok(())
}

async fn save(state: &AppState, f: &Filter, old: Option<&Filter>) -> OpResult<()> {
    state.store.transact(|tx| tx.put_filter(f, old))?;
    durable(state).await?;
    emit(state, Event::FiltersChanged);
    Ok(())
}

pub async fn create(state: &AppState, input: FilterInput) -> OpResult<Filter> {
    let mut f = Filter {
        id: state.store.next_id(),
        action: "warn".into(),
        ..Default::default()
    };
    apply(state, &mut f, input)?;
    save(state, &f, None).await?;
    Ok(f)
}

pub async fn update(state: &AppState, id: u64, input: FilterInput) -> OpResult<Filter> {
    let old = state.store.filter(id)?.ok_or_else(not_found)?;
    let mut f = old.clone();
    apply(state, &mut f, input)?;
    save(state, &f, Some(&old)).await?;
    Ok(f)
}

pub async fn delete(state: &AppState, id: u64) -> OpResult<()> {
    let f = state.store.filter(id)?.ok_or_else(not_found)?;
    state.store.transact(|tx| tx.delete_filter(&f))?;
    durable(state).await?;
    emit(state, Event::FiltersChanged);
    Ok(())
}

pub async fn add_keyword(
    state: &AppState,
    filter: u64,
    keyword: &str,
    whole_word: bool,
) -> OpResult<Keyword> {
    let change = KeywordChange {
        keyword: Some(keyword.to_string()),
        whole_word: Some(whole_word),
        ..Default::default()
    };
    let f = update(
        state,
        filter,
        FilterInput {
            keywords: vec![change],
            ..Default::default()
        },
    )
    .await?;
    f.keywords.last().cloned().ok_or_else(not_found)
}

pub async fn update_keyword(
    state: &AppState,
    id: u64,
    keyword: Option<String>,
    whole_word: Option<bool>,
) -> OpResult<Keyword> {
    let f = state.store.filter_of_keyword(id)?.ok_or_else(not_found)?;
    let change = KeywordChange {
        id: Some(id),
        keyword,
        whole_word,
        destroy: false,
    };
    let f = update(
        state,
        f.id,
        FilterInput {
            keywords: vec![change],
            ..Default::default()
        },
    )
    .await?;
    f.keywords
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(not_found)
}

pub async fn delete_keyword(state: &AppState, id: u64) -> OpResult<()> {
    let f = state.store.filter_of_keyword(id)?.ok_or_else(not_found)?;
    let change = KeywordChange {
        id: Some(id),
        destroy: true,
        ..Default::default()
    };
    update(
        state,
        f.id,
        FilterInput {
            keywords: vec![change],
            ..Default::default()
        },
    )
    .await
    .map(|_| ())
}

/// Most statuses one filter names (a bound on the record's size).
pub const MAX_STATUSES_PER_FILTER: usize = 1_000;

/// The filter holding the filter status `id`, if any.
pub fn filter_of_status(state: &AppState, id: u64) -> OpResult<Option<Filter>> {
    Ok(state
        .store
        .filters()?
        .into_iter()
        .find(|f| f.statuses.iter().any(|s| s.id == id)))
}

/// Names a status in a filter (`POST /api/v2/filters/:id/statuses`).
pub async fn add_status(
    state: &AppState,
    filter_id: u64,
    status_id: u64,
) -> OpResult<crate::store::filters::FilterStatus> {
    let old = state.store.filter(filter_id)?.ok_or_else(not_found)?;
    if state.store.status(status_id)?.is_none() {
        return Err(not_found());
    }
    if old.statuses.iter().any(|s| s.status_id == status_id) {
        return Err(invalid("Status has already been taken"));
    }
    if old.statuses.len() >= MAX_STATUSES_PER_FILTER {
        return Err(invalid(format!(
            "a filter names at most {MAX_STATUSES_PER_FILTER} statuses"
        )));
    }
    let fs = crate::store::filters::FilterStatus {
        id: state.store.next_id(),
        status_id,
    };
    let mut f = old.clone();
    f.statuses.push(fs.clone());
    save(state, &f, Some(&old)).await?;
    Ok(fs)
}

/// Takes a status out of its filter.
pub async fn remove_status(state: &AppState, id: u64) -> OpResult<()> {
    let old = filter_of_status(state, id)?.ok_or_else(not_found)?;
    let mut f = old.clone();
    f.statuses.retain(|s| s.id != id);
    save(state, &f, Some(&old)).await
}

/// One filter that matched a status, and why.
#[derive(Clone, Debug)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Vec<String>,
    /// The status's id when the filter names it.
    pub status_matches: Vec<String>,
}

/// Where a list is shown, in Mastodon's filter contexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The home timeline and lists.
    Home,
    Notifications,
    /// The public, local, remote and hashtag timelines.
    Public,
    /// A status's ancestors and replies.
    Thread,
    /// One account's statuses.
    Account,
}

impl Context {
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Home => "home",
            Context::Notifications => "notifications",
            Context::Public => "public",
            Context::Thread => "thread",
            Context::Account => "account",
        }
    }
}

/// What the owner's filters make of one status.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Shown, with the `warn` (or `blur`) filters that matched, if any.
    Shown(Vec<FilterResult>),
    /// A `hide` filter matched: left out of the list altogether.
    Hidden,
}

/// A live filter with its keywords lower-cased once, not once per status.
#[derive(Debug)]
struct Live {
    filter: Filter,
    /// (lower-cased keyword, whole word, the keyword as written).
    keywords: Vec<(String, bool, String)>,
}

/// The owner's live filters for one context, read once per request (or
/// per streamed event) and then asked about each status: timelines,
/// notifications, streaming and the web UI all judge statuses here.
#[derive(Debug, Default)]
pub struct Filters {
    /// The owner's own statuses are never filtered, as on Mastodon.
    owner_id: u64,
    live: Vec<Live>,
}

impl Filters {
    /// No filters: what anyone but the owner gets (filters are the
    /// owner's preference, not a moderation of the public pages).
    pub fn none() -> Filters {
        Filters::default()
    }

    /// The filters that apply in `context` now; expired ones are left out.
    pub fn load(state: &AppState, context: Context) -> crate::store::Result<Filters> {
        let now = now_ms();
        let live: Vec<Live> = state
            .store
            .filters()?
            .into_iter()
            .filter(|f| !f.is_expired(now) && f.context.iter().any(|c| c == context.as_str()))
            .map(|f| Live {
                keywords: f
                    .keywords
                    .iter()
                    .map(|k| (k.keyword.to_lowercase(), k.whole_word, k.keyword.clone()))
                    .collect(),
                filter: f,
            })
            .collect();
        if live.is_empty() {
            return Ok(Filters::none());
        }
        let owner_id = state.store.owner_account_id()?.unwrap_or(0);
        Ok(Filters { owner_id, live })
    }

    /// The owner's `load` when the owner is looking, `none` otherwise.
    pub fn for_viewer(
        state: &AppState,
        owner: bool,
        context: Context,
    ) -> crate::store::Result<Filters> {
        if owner {
            Filters::load(state, context)
        } else {
            Ok(Filters::none())
        }
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The filters whose keywords occur in a status's own text (its
    /// content, content warning, poll options and media descriptions, as
    /// Mastodon checks them). A boost has no text: see `verdict`.
    pub fn matches(&self, s: &Status) -> Vec<FilterResult> {
        if self.live.is_empty() {
            return Vec::new();
        }
        let text = searchable_text(s).to_lowercase();
        self.live
            .iter()
            .filter_map(|l| {
                let hits: Vec<String> = l
                    .keywords
                    .iter()
                    .filter(|(k, whole, _)| keyword_matches(&text, k, *whole))
                    .map(|(_, _, written)| written.clone())
                    .collect();
                let named: Vec<String> = l
                    .filter
                    .statuses
                    .iter()
                    .filter(|f| f.status_id == s.id)
                    .map(|f| f.status_id.to_string())
                    .collect();
                (!hits.is_empty() || !named.is_empty()).then(|| FilterResult {
                    filter: l.filter.clone(),
                    keyword_matches: hits,
                    status_matches: named,
                })
            })
            .collect()
    }

    /// Whether to show `s` and with which warnings. A boost is judged by
    /// the boosted status; the owner's posts and boosts never match.
    pub fn verdict(&self, state: &AppState, s: &Status) -> crate::store::Result<Verdict> {
        if self.live.is_empty() || s.account_id == self.owner_id {
            return Ok(Verdict::Shown(Vec::new()));
        }
        let inner = match s.reblog_of_id {
            Some(id) => state.store.status(id)?,
            None => None,
        };
        let shown = inner.as_ref().unwrap_or(s);
        if shown.account_id == self.owner_id {
            return Ok(Verdict::Shown(Vec::new()));
        }
        let results = self.matches(shown);
        Ok(if results.iter().any(|r| r.filter.action == "hide") {
            Verdict::Hidden
        } else {
            Verdict::Shown(results)
        })
    }

    /// Whether a `hide` filter leaves `s` out; errors count as shown, so
    /// a store hiccup never makes posts silently vanish.
    pub fn hides(&self, state: &AppState, s: &Status) -> bool {
        matches!(self.verdict(state, s), Ok(Verdict::Hidden))
    }

    /// Whether a notification is dropped because its status is hidden.
    pub fn hides_notification(&self, state: &AppState, n: &Notification) -> bool {
        if self.live.is_empty() {
            return false;
        }
        match n.status_id.map(|id| state.store.status(id)) {
            Some(Ok(Some(s))) => self.hides(state, &s),
            _ => false,
        }
    }
}

/// Everything of a status a filter (or a search) reads, as plain text.
pub fn searchable_text(s: &Status) -> String {
    let mut out = String::new();
    out.push_str(&s.spoiler_text);
    out.push('\n');
    out.push_str(&plain_text(&s.content));
    if let Some(p) = &s.poll {
        for o in &p.options {
            out.push('\n');
            out.push_str(&o.title);
        }
    }
    for m in &s.remote_media {
        if let Some(d) = &m.description {
            out.push('\n');
            out.push_str(d);
        }
    }
    out
}

/// Sanitised status HTML as text: tags become spaces, the entities a
/// sanitiser leaves are decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `keyword` occurs in `text` (both lower case). A whole-word
/// keyword needs a boundary on each side that begins or ends with a word
/// character, as Mastodon's `\b` does: `#tag` matches inside `a #tag`.
fn keyword_matches(text: &str, keyword: &str, whole_word: bool) -> bool {
    if keyword.is_empty() {
        return false;
    }
    if !whole_word {
        return text.contains(keyword);
    }
    let starts_word = keyword.chars().next().is_some_and(is_word);
    let ends_word = keyword.chars().last().is_some_and(is_word);
    let mut from = 0;
    while let Some(pos) = text[from..].find(keyword) {
        let start = from + pos;
        let end = start + keyword.len();
        let before_ok = !starts_word || !text[..start].chars().last().is_some_and(is_word);
        let after_ok = !ends_word || !text[end..].chars().next().is_some_and(is_word);
        if before_ok && after_ok {
            return true;
        }
        from = start + keyword.chars().next().map(char::len_utf8).unwrap_or(1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_need_boundaries() {
        assert!(keyword_matches("the cat sat", "cat", true));
        assert!(!keyword_matches("concatenate", "cat", true));
        assert!(keyword_matches("concatenate", "cat", false));
        assert!(keyword_matches("cat, then dog", "cat", true));
        assert!(keyword_matches("a scat and a cat", "cat", true));
        assert!(keyword_matches("love #rust", "#rust", true));
        assert!(!keyword_matches("love #rustlang", "#rust", true));
        assert!(keyword_matches("über straße", "straße", true));
        assert!(!keyword_matches("", "cat", false));
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            plain_text("<p>Tom &amp; Jerry</p><p>&lt;3</p>").trim(),
            "Tom & Jerry  <3"
        );
    }
}
