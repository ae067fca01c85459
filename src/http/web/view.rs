//! What templates see: accounts and statuses flattened into plain values,
//! with the links right for who is looking. A visitor is sent to public
//! permalinks, the owner to the owner pages; which statuses each may see
//! is the visibility gate's decision (`ops::visibility`), asked for every
//! status a page shows.

use crate::content::emoji::{emojify, emojify_text};
use crate::content::links::{account_link, link_to, safe_url};
use crate::ops::filters::{Context, Filters, Verdict};
use crate::ops::visibility;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::StatusRel;
use crate::store::statuses::{Status, Visibility};
use crate::store::timelines::Page;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use std::collections::HashMap;

/// Posts on one page of any timeline: enough to read on a phone, little
/// enough to keep a page small on a slow link.
pub const PAGE_SIZE: usize = 20;
/// Replies above a status shown at most, so a hostile chain can't make a
/// page unbounded.
pub const MAX_ANCESTORS: usize = 40;
/// Replies below a status shown at most.
pub const MAX_DESCENDANTS: usize = 100;
/// Length of the plain-text summaries in titles and link previews.
pub const SUMMARY_CHARS: usize = 200;

#[derive(Clone, Debug, Serialize)]
pub struct AccountView {
    pub id: String,
    pub username: String,
    /// `user@host`, also for the owner.
    pub handle: String,
    pub display_name: String,
    /// The display name as HTML, escaped, with its custom emoji.
    pub display_name_html: String,
    pub avatar: String,
    pub header: String,
    /// Where a click on the account leads in this context; empty when
    /// nowhere (a remote account without a safe address, for a visitor).
    pub href: String,
    /// Its page on its own server, through the link gate; empty when it
    /// has no safe address.
    pub url: String,
    pub note: String,
    /// The bio as plain text, shortened: for `<meta>` descriptions.
    pub note_text: String,
    pub fields: Vec<FieldView>,
    pub locked: bool,
    pub bot: bool,
    pub local: bool,
    pub statuses_count: u64,
    pub following_count: u64,
    pub followers_count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldView {
    pub name: String,
    /// Sanitised HTML.
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MediaView {
    pub url: String,
    /// `image`, `video`, `audio` or `other`.
    pub kind: &'static str,
    pub alt: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PollOptionView {
    pub title: String,
    pub votes: u64,
    pub percent: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PollView {
    pub options: Vec<PollOptionView>,
    pub voters: u64,
    pub expired: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusView {
    /// The id actions act on (the original for a boost).
    pub id: String,
    /// The id of the entry itself (the boost for a boost), for anchors and
    /// paging.
    pub entry_id: String,
    /// Where the timestamp leads in this context; empty when nowhere.
    pub href: String,
    /// The original on its own server, through the link gate; empty when
    /// it has no safe address.
    pub url: String,
    pub content: String,
    /// The content warning, or else the text, plain and shortened: for
    /// titles and `<meta>` descriptions.
    pub summary: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: &'static str,
    pub created_at: String,
    /// `2026-01-02 03:04` UTC: pages carry no script to localise dates.
    pub created: String,
    pub edited: bool,
    pub account: AccountView,
    pub boosted_by: Option<AccountView>,
    pub reply_to: Option<String>,
    pub replies_count: u64,
    pub reblogs_count: u64,
    pub favourites_count: u64,
    pub media: Vec<MediaView>,
    pub poll: Option<PollView>,
    /// The preview card of its link, once one arrived.
    pub card: Option<CardView>,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub mine: bool,
    pub can_boost: bool,
    /// Titles of the owner's `warn` filters that matched: the page folds
    /// the post away under them.
    pub filtered: Option<String>,
    /// The post this one quotes, when the quote is accepted and the
    /// viewer may see it; shown in a box.
    pub quote: Option<QuotedView>,
    /// Otherwise the quote's state (pending, rejected, revoked, deleted,
    /// unauthorized), shown in its place.
    pub quote_state: Option<&'static str>,
}

/// A quoted post inside another.
#[derive(Clone, Debug, Serialize)]
pub struct QuotedView {
    pub account: AccountView,
    pub href: String,
    pub content: String,
    pub spoiler_text: String,
    pub created_at: String,
    pub created: String,
}

/// A link's preview card under a post: addresses through the link gate.
#[derive(Clone, Debug, Serialize)]
pub struct CardView {
    pub url: String,
    pub title: String,
    pub description: String,
    pub image: Option<String>,
    pub image_description: String,
    /// The site's name, else its host.
    pub provider: String,
}

fn card_view(state: &AppState, s: &Status) -> Option<CardView> {
    let c = state.store.card(s.card_url.as_deref()?).ok()??;
    let url = safe_url(&c.url)?;
    Some(CardView {
        provider: if c.provider_name.is_empty() {
            crate::host::of_url(&url).unwrap_or_default()
        } else {
            c.provider_name
        },
        url,
        title: c.title,
        description: c.description,
        image: c.image.as_deref().and_then(safe_url),
        image_description: c.image_description,
    })
}

/// Builds views for one page, remembering accounts it has looked up.
pub struct Viewer<'a> {
    state: &'a AppState,
    /// The owner's account when the owner is looking; `None` for visitors.
    owner: Option<&'a Account>,
    accounts: HashMap<u64, Option<AccountView>>,
    /// The owner's keyword filters for the page's context (none unless
    /// set with `filtered_by`).
    words: Filters,
}

fn short_date(ms: i64) -> String {
    let iso = iso8601_ms(ms);
    format!("{} {}", &iso[..10], &iso[11..16])
}

impl<'a> Viewer<'a> {
    pub fn visitor(state: &'a AppState) -> Viewer<'a> {
        Viewer {
            state,
            owner: None,
            accounts: HashMap::new(),
            words: Filters::none(),
        }
    }

    pub fn owner(state: &'a AppState, owner: &'a Account) -> Viewer<'a> {
        Viewer {
            state,
            owner: Some(owner),
            accounts: HashMap::new(),
            words: Filters::none(),
        }
    }

    /// Applies the owner's filters of `context` to the statuses shown
    /// from now on: `hide` ones leave them out, `warn` ones fold them.
    pub fn filtered_by(&mut self, context: Context) -> crate::store::Result<()> {
        self.words = Filters::for_viewer(self.state, self.owner.is_some(), context)?;
        Ok(())
    }

    pub fn is_owner(&self) -> bool {
        self.owner.is_some()
    }

    /// An account as shown here.
    pub fn account_view(&self, a: &Account) -> AccountView {
        let urls = &self.state.urls;
        let url = account_link(a).unwrap_or_default();
        let href = match (self.owner.is_some(), a.is_local()) {
            (true, _) => format!("/web/accounts/{}", a.id),
            (false, true) => format!("/@{}", a.username),
            (false, false) => url.clone(),
        };
        AccountView {
            id: a.id.to_string(),
            username: a.username.clone(),
            handle: match &a.domain {
                Some(d) => format!("{}@{}", a.username, d),
                None => format!("{}@{}", a.username, urls.host),
            },
            display_name: if a.display_name.trim().is_empty() {
                a.username.clone()
            } else {
                a.display_name.clone()
            },
            display_name_html: if a.display_name.trim().is_empty() {
                crate::content::escape(&a.username)
            } else {
                emojify_text(&a.display_name, &a.emojis)
            },
            avatar: safe_url(&a.avatar).unwrap_or_else(|| "/static/avatar.png".into()),
            header: safe_url(&a.header).unwrap_or_else(|| "/static/header.png".into()),
            href,
            url,
            note: emojify(&a.note, &a.emojis),
            note_text: plain_text(&a.note, SUMMARY_CHARS),
            fields: a
                .fields
                .iter()
                .map(|f| FieldView {
                    name: f.name.clone(),
                    value: emojify(&f.value, &a.emojis),
                })
                .collect(),
            locked: a.locked,
            bot: a.bot,
            local: a.is_local(),
            statuses_count: a.statuses_count,
            following_count: a.following_count,
            followers_count: a.followers_count,
        }
    }

    pub fn account(&mut self, id: u64) -> Option<AccountView> {
        if let Some(v) = self.accounts.get(&id) {
            return v.clone();
        }
        let v = self
            .state
            .store
            .account(id)
            .ok()
            .flatten()
            .map(|a| self.account_view(&a));
        self.accounts.insert(id, v.clone());
        v
    }

    /// Who is looking, as the visibility gate knows them: a page has the
    /// owner behind a session, or a visitor.
    fn looking(&self) -> visibility::Viewer {
        match self.owner {
            Some(_) => visibility::Viewer::Owner,
            None => visibility::Viewer::Anonymous,
        }
    }

    /// Whether the one looking may see this status (for a boost, also
    /// what it boosts); an error hides it.
    fn may_see(&self, s: &Status) -> bool {
        visibility::may_see(self.state, &self.looking(), s).unwrap_or(false)
    }

    fn status_href(&self, s: &Status, author: &AccountView) -> String {
        if self.owner.is_some() {
            format!("/web/statuses/{}", s.id)
        } else if s.local {
            format!("/@{}/{}", author.username, s.id)
        } else {
            link_to(&s.url, &s.uri).unwrap_or_default()
        }
    }

    fn flag(&self, rel: StatusRel, id: u64) -> bool {
        match self.owner {
            Some(o) => matches!(self.state.store.status_rel(rel, id, o.id), Ok(Some(_))),
            None => false,
        }
    }

    /// A status (or boost) as shown here; `None` when the viewer may not
    /// see it or it refers to something gone.
    pub fn status(&mut self, entry: &Status) -> Option<StatusView> {
        let (s, boosted_by) = match entry.reblog_of_id {
            Some(inner) => {
                let original = self.state.store.status(inner).ok()??;
                let by = self.account(entry.account_id)?;
                (original, Some(by))
            }
            None => (entry.clone(), None),
        };
        if !self.may_see(entry) {
            return None;
        }
        let filtered = match self.words.verdict(self.state, entry).ok()? {
            Verdict::Hidden => return None,
            Verdict::Shown(r) if r.is_empty() => None,
            Verdict::Shown(r) => Some(
                r.iter()
                    .map(|x| x.filter.title.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        };
        let account = self.account(s.account_id)?;
        let reply_to = match s.in_reply_to_account_id {
            Some(id) => self.account(id).map(|a| a.handle),
            None => None,
        };
        let mut media: Vec<MediaView> = s
            .remote_media
            .iter()
            .filter_map(|m| {
                Some(MediaView {
                    url: safe_url(&m.url)?,
                    kind: media_kind(&m.media_type),
                    alt: m.description.clone().unwrap_or_default(),
                    width: m.width,
                    height: m.height,
                })
            })
            .collect();
        media.extend(s.media_ids.iter().filter_map(|id| {
            crate::ops::media_attachment(self.state, *id).map(|a| MediaView {
                url: a.url,
                kind: media_kind(&a.media_type),
                alt: a.name.unwrap_or_default(),
                width: a.width,
                height: a.height,
            })
        }));
        let now = crate::time_fmt::now_ms();
        let poll = s.poll.as_ref().map(|p| {
            let total: u64 = p.options.iter().map(|o| o.votes).sum();
            PollView {
                options: p
                    .options
                    .iter()
                    .map(|o| PollOptionView {
                        title: o.title.clone(),
                        votes: o.votes,
                        percent: (o.votes * 100).checked_div(total).unwrap_or(0),
                    })
                    .collect(),
                voters: p.voters_count,
                expired: p.expires_at_ms.is_some_and(|e| e <= now),
            }
        });
        let owner_id = self.owner.map(|o| o.id);
        let (quote, quote_state) = self.quoted(&s);
        Some(StatusView {
            id: s.id.to_string(),
            entry_id: entry.id.to_string(),
            href: self.status_href(&s, &account),
            url: link_to(&s.url, &s.uri).unwrap_or_default(),
            content: emojify(&s.content, &s.emojis),
            summary: if s.spoiler_text.is_empty() {
                plain_text(&s.content, SUMMARY_CHARS)
            } else {
                s.spoiler_text.clone()
            },
            spoiler_text: s.spoiler_text.clone(),
            sensitive: s.sensitive,
            visibility: s.visibility.as_str(),
            created_at: iso8601_ms(s.created_at_ms),
            created: short_date(s.created_at_ms),
            edited: s.edited_at_ms.is_some(),
            reply_to,
            replies_count: s.replies_count,
            reblogs_count: s.reblogs_count,
            favourites_count: s.favourites_count,
            media,
            poll,
            card: card_view(self.state, &s),
            favourited: self.flag(StatusRel::Favourite, s.id),
            reblogged: self.flag(StatusRel::Reblog, s.id),
            bookmarked: self.flag(StatusRel::Bookmark, s.id),
            pinned: self.flag(StatusRel::Pin, s.id),
            mine: owner_id == Some(s.account_id),
            can_boost: s.visibility.is_public(),
            account,
            boosted_by,
            filtered,
            quote,
            quote_state,
        })
    }

    /// The quoted post of `s` as this viewer may see it, or the state its
    /// quote shows instead (the API's rule: `entities::quote`).
    fn quoted(&mut self, s: &Status) -> (Option<QuotedView>, Option<&'static str>) {
        let Some(q) = &s.quote else {
            return (None, None);
        };
        let quoted = q
            .status_id
            .and_then(|id| self.state.store.status(id).ok().flatten());
        let gate = match self.owner {
            Some(_) => crate::ops::visibility::Viewer::Owner,
            None => crate::ops::visibility::Viewer::Anonymous,
        };
        let Ok((label, shown)) =
            crate::http::api::entities::quote::state_for(self.state, q, quoted.as_ref(), &gate)
        else {
            return (None, None);
        };
        let Some(inner) = shown else {
            return (None, Some(label));
        };
        let Some(account) = self.account(inner.account_id) else {
            return (None, Some("unauthorized"));
        };
        let view = QuotedView {
            href: self.status_href(&inner, &account),
            account,
            content: inner.content.clone(),
            spoiler_text: inner.spoiler_text.clone(),
            created_at: iso8601_ms(inner.created_at_ms),
            created: short_date(inner.created_at_ms),
        };
        (Some(view), None)
    }

    pub fn status_by_id(&mut self, id: u64) -> Option<StatusView> {
        let s = self.state.store.status(id).ok()??;
        self.status(&s)
    }

    /// One page of a timeline, newest first, keeping entries `keep`
    /// accepts. Returns the views and the `max_id` of the next page.
    pub fn timeline(
        &mut self,
        name: &str,
        max_id: Option<u64>,
        mut keep: impl FnMut(&Status) -> bool,
    ) -> crate::store::Result<(Vec<StatusView>, Option<String>)> {
        let (state, store, words) = (self.state, &self.state.store, &self.words);
        let looking = self.looking();
        let gate = |s: &Status| visibility::may_see(state, &looking, s).unwrap_or(false);
        let mut found = Vec::new();
        let ids = store.timeline_page(
            name,
            Page {
                max_id,
                limit: PAGE_SIZE,
                ..Default::default()
            },
            |id| match store.status(id) {
                Ok(Some(s)) if gate(&s) && keep(&s) && !words.hides(state, &s) => {
                    found.push(s);
                    true
                }
                _ => false,
            },
        )?;
        let next = (ids.len() >= PAGE_SIZE)
            .then(|| ids.last().map(u64::to_string))
            .flatten();
        let views = found.iter().filter_map(|s| self.status(s)).collect();
        Ok((views, next))
    }

    /// The thread around a status: ancestors oldest first, then replies
    /// depth first, each list bounded.
    pub fn thread(&mut self, s: &Status) -> (Vec<StatusView>, Vec<StatusView>) {
        let store = &self.state.store;
        let mut ancestors = Vec::new();
        let mut parent = s.in_reply_to_id;
        while let Some(pid) = parent {
            if ancestors.len() >= MAX_ANCESTORS {
                break;
            }
            match store.status(pid) {
                Ok(Some(p)) => {
                    parent = p.in_reply_to_id;
                    ancestors.push(p);
                }
                _ => break,
            }
        }
        ancestors.reverse();
        let mut descendants = Vec::new();
        let mut stack: Vec<u64> = store.replies(s.id).unwrap_or_default();
        stack.reverse();
        while let Some(id) = stack.pop() {
            if descendants.len() >= MAX_DESCENDANTS {
                break;
            }
            if let Ok(Some(r)) = store.status(id) {
                let mut kids = store.replies(r.id).unwrap_or_default();
                kids.reverse();
                stack.extend(kids);
                descendants.push(r);
            }
        }
        let a = ancestors.iter().filter_map(|x| self.status(x)).collect();
        let (owner_looks, state) = (self.owner.is_some(), self.state);
        let d = descendants
            .iter()
            .filter(|x| !(owner_looks && hidden_author(state, x.account_id)))
            .filter_map(|x| self.status(x))
            .collect();
        (a, d)
    }
}

/// Whether the owner hides this author (blocked, muted, or on a blocked
/// domain); an error hides, so nothing unwanted slips through.
pub fn hidden_author(state: &AppState, account_id: u64) -> bool {
    crate::ops::hiding::account_hidden(state, account_id).unwrap_or(true)
}

fn media_kind(media_type: &str) -> &'static str {
    match media_type.split('/').next() {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "other",
    }
}

/// Listed on the public profile, of what a visitor may see: posts and
/// boosts; replies to others stay on their threads, as on Mastodon.
pub fn on_public_profile(s: &Status) -> bool {
    s.reblog_of_id.is_some()
        || s.in_reply_to_account_id.is_none()
        || s.in_reply_to_account_id == Some(s.account_id)
}

/// Listed on a public tag page, of what a visitor may see: public posts
/// only (unlisted ones may be seen, but are not listed), as on Mastodon.
pub fn on_public_tag_page(s: &Status) -> bool {
    s.visibility == Visibility::Public && s.reblog_of_id.is_none()
}

/// Sanitised HTML to plain text, at most `max` characters: tags dropped,
/// the entities our own escaping makes decoded, whitespace collapsed.
pub fn plain_text(html: &str, max: usize) -> String {
    let mut text = String::with_capacity(html.len().min(max * 2));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_text_strips_tags_and_shortens() {
        assert_eq!(
            super::plain_text("<p>Hi &amp; <a href=\"x\">bye</a></p><p>next</p>", 100),
            "Hi & bye next"
        );
        assert_eq!(super::plain_text("<p>abcdef</p>", 4), "abc…");
    }
}
