//! Other people: search, an account's page with its known posts, the
//! follow/block/mute buttons, followers and following with follow
//! requests, and `/authorize_interaction` (where remote "follow" and
//! "reply" buttons send the owner).

use super::owner::{back_of, render};
use super::profile::PageQuery;
use super::session::{local_path, Post, Session};
use super::view::{AccountView, Viewer};
use crate::http::error::PageError;
use crate::ops::{follows, owner_account, OpError};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::relations::Rel;
use crate::store::statuses::Status;
use crate::store::timelines::{self, Page};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

/// Accounts on one page of followers, following, blocks or mutes.
pub const ACCOUNTS_PAGE: usize = 40;
/// Longest search query read; handles and URLs are shorter.
pub const MAX_QUERY_CHARS: usize = 500;

/// How the owner stands with an account, for its buttons.
#[derive(Serialize, Default)]
pub struct Relationship {
    following: bool,
    requested: bool,
    followed_by: bool,
    requested_by: bool,
    blocking: bool,
    muting: bool,
    is_me: bool,
}

pub fn relationship(state: &AppState, owner: &Account, id: u64) -> Relationship {
    let has = |r| matches!(state.store.has_relation(r, id), Ok(true));
    Relationship {
        following: has(Rel::Following),
        requested: has(Rel::Requested),
        followed_by: has(Rel::FollowedBy),
        requested_by: has(Rel::RequestedBy),
        blocking: has(Rel::Blocking),
        muting: has(Rel::Muting),
        is_me: id == owner.id,
    }
}

/// An account with how the owner stands with it.
#[derive(Serialize)]
pub struct AccountCard {
    a: AccountView,
    rel: Relationship,
}

fn card(state: &AppState, owner: &Account, viewer: &Viewer, a: &Account) -> AccountCard {
    AccountCard {
        a: viewer.account_view(a),
        rel: relationship(state, owner, a.id),
    }
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// What a query turned up.
enum Found {
    Account(Account),
    Status(Status),
    Nothing(String),
}

const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

/// Finds an account by handle or an account or post by URL, asking its
/// server when it is not known here.
async fn resolve(state: &AppState, q: &str) -> Result<Found, PageError> {
    let q = q.trim();
    if q.starts_with("https://") || q.starts_with("http://") {
        if let Some(s) = state.store.status_by_uri(q)? {
            return Ok(Found::Status(s));
        }
        if let Some(a) = state.store.account_by_uri(q)? {
            return Ok(Found::Account(a));
        }
        let Some(doc) = crate::federation::fetch_object(state, q).await else {
            return Ok(Found::Nothing(format!(
                "{q} could not be fetched as an ActivityPub object. Check the address, or try the author's @handle."
            )));
        };
        let kind = doc.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if ACTOR_TYPES.contains(&kind) {
            let id = crate::ops::inbound::id_of(&doc).unwrap_or(q).to_string();
            return Ok(match state.store.account_by_uri(&id)? {
                Some(a) => Found::Account(a),
                None => match crate::federation::fetch_actor(state, &id).await {
                    Some(a) => Found::Account(a),
                    None => Found::Nothing(format!("The account at {q} could not be read.")),
                },
            });
        }
        // Depth 1: store it even though nobody here follows its author.
        return Ok(
            match crate::ops::inbound::store_remote_status(state, &doc, 1).await {
                Ok(Some(s)) => Found::Status(s),
                Ok(None) => Found::Nothing("That post is not available.".into()),
                Err(e) => Found::Nothing(format!("That post could not be read: {e}")),
            },
        );
    }
    let handle = q.trim_start_matches('@');
    if let Some(a) = state.store.account_by_acct(handle)? {
        return Ok(Found::Account(a));
    }
    if handle.contains('@') {
        return Ok(
            match crate::federation::resolve_handle(state, handle).await {
                Some(a) => Found::Account(a),
                None => Found::Nothing(format!(
                    "@{handle} was not found. Check the spelling; its server may also be down."
                )),
            },
        );
    }
    Ok(Found::Nothing(format!(
        "Nothing found for “{q}”. Search for @user@server, a post's or profile's URL, or #hashtag."
    )))
}

pub async fn search(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let query: String = q.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    if let Some(tag) = query.strip_prefix('#') {
        let tag: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !tag.is_empty() {
            return Ok(Redirect::to(&format!("/tags/{}", tag.to_lowercase())).into_response());
        }
    }
    let owner = owner_account(&state)?;
    let mut viewer = Viewer::owner(&state, &owner);
    let (mut accounts, mut statuses, mut message) = (Vec::new(), Vec::new(), None);
    if !query.is_empty() {
        match resolve(&state, &query).await? {
            Found::Account(a) => accounts.push(card(&state, &owner, &viewer, &a)),
            Found::Status(s) => statuses.extend(viewer.status(&s)),
            Found::Nothing(m) => message = Some(m),
        }
    }
    render(
        &state,
        &session,
        "search.html",
        "search",
        &back_of(&uri),
        minijinja::context! { q => query, accounts => accounts, statuses => statuses, message => message },
    )
}

fn account_or_404(state: &AppState, id: &str) -> Result<Account, PageError> {
    crate::store::ids::parse_id(id)
        .and_then(|id| state.store.account(id).ok().flatten())
        .ok_or_else(|| PageError::not_found("No such account is known here. Search for it first."))
}

pub async fn account(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let owner = owner_account(&state)?;
    let a = account_or_404(&state, &id)?;
    let mut viewer = Viewer::owner(&state, &owner);
    viewer.filtered_by(crate::ops::filters::Context::Account)?;
    let c = card(&state, &owner, &viewer, &a);
    let (statuses, next) = viewer.timeline(&timelines::account(a.id), q.max_id(), |_| true)?;
    render(
        &state,
        &session,
        "account.html",
        if a.id == owner.id { "me" } else { "" },
        &back_of(&uri),
        minijinja::context! {
            card => c, statuses => statuses, next => next,
            next_base => format!("/web/accounts/{}", a.id),
        },
    )
}

#[derive(Deserialize)]
pub struct AccountAction {
    #[serde(default)]
    r#do: String,
    #[serde(default)]
    back: String,
}

/// Follow, unfollow, block, mute… and answers to follow requests.
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Post<AccountAction>,
) -> Result<Response, PageError> {
    let a = account_or_404(&state, &id)?;
    let id = a.id;
    let f = post.form;
    match f.r#do.as_str() {
        "follow" => follows::follow(&state, id, Default::default()).await,
        "unfollow" => follows::unfollow(&state, id).await,
        "block" => follows::block(&state, id).await,
        "unblock" => follows::unblock(&state, id).await,
        "mute" => follows::mute(&state, id, true, None).await,
        "unmute" => follows::unmute(&state, id).await,
        "authorize" => follows::authorize_request(&state, id).await,
        "reject" => follows::reject_request(&state, id).await,
        "remove_follower" => follows::remove_from_followers(&state, id).await,
        other => Err(OpError::Invalid(format!(
            "`{other}` is not something an account's buttons do"
        ))),
    }?;
    Ok(Redirect::to(&local_path(&f.back, &format!("/web/accounts/{id}"))).into_response())
}

/// Followers (with pending requests on top), following, blocks, mutes.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    uri: OriginalUri,
    Path(which): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (rels, title): (&[Rel], &str) = match which.as_str() {
        "followers" => (&[Rel::RequestedBy, Rel::FollowedBy], "Followers"),
        "following" => (&[Rel::Requested, Rel::Following], "Following"),
        "blocks" => (&[Rel::Blocking], "Blocked accounts"),
        "mutes" => (&[Rel::Muting], "Muted accounts"),
        _ => return Err(PageError::not_found("There is no such page.")),
    };
    let owner = owner_account(&state)?;
    let viewer = Viewer::owner(&state, &owner);
    let mut sections = Vec::new();
    let mut next = None;
    for (n, rel) in rels.iter().enumerate() {
        let last = n + 1 == rels.len();
        // Pending requests are few and come first, unpaged.
        let page = Page {
            max_id: if last { q.max_id() } else { None },
            limit: ACCOUNTS_PAGE,
            ..Default::default()
        };
        if !last && q.max_id().is_some() {
            continue;
        }
        let entries = state.store.relation_page(*rel, page)?;
        if last && entries.len() >= ACCOUNTS_PAGE {
            next = entries.last().map(|(rid, _)| rid.to_string());
        }
        let cards: Vec<AccountCard> = entries
            .iter()
            .filter_map(|(_, id)| state.store.account(*id).ok().flatten())
            .map(|a| card(&state, &owner, &viewer, &a))
            .collect();
        let heading = match rel {
            Rel::RequestedBy => "Asking to follow you",
            Rel::Requested => "Waiting for their answer",
            _ => "",
        };
        if !cards.is_empty() || last {
            sections.push(minijinja::context! { heading => heading, cards => cards });
        }
    }
    render(
        &state,
        &session,
        "accounts.html",
        &which,
        &back_of(&uri),
        minijinja::context! {
            title => title, sections => sections, next => next,
            next_base => format!("/web/{which}"),
        },
    )
}

#[derive(Deserialize, Default)]
pub struct InteractQuery {
    #[serde(default)]
    uri: String,
}

/// Where other servers' "follow" and "interact" buttons send the owner
/// (the WebFinger subscribe template). Shows the account or post with
/// the owner's buttons; asks visitors to log in first.
pub async fn authorize_interaction(
    State(state): State<AppState>,
    uri: OriginalUri,
    headers: HeaderMap,
    Query(q): Query<InteractQuery>,
) -> Result<Response, PageError> {
    let Some(session) = super::session::current(&state, &headers) else {
        let next = back_of(&uri);
        let owner = owner_account(&state)?;
        let html = state
            .templates
            .render(
                "message.html",
                minijinja::context! {
                    title => "Log in first",
                    message => format!("This server belongs to @{}@{}. If that is you, log in to go on; otherwise, open this link from your own server.", owner.username, state.urls.host),
                    link => minijinja::context! {
                        href => format!("/login?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)),
                        text => "Log in",
                    },
                },
            )
            .map_err(PageError::internal)?;
        return Ok(axum::response::Html(html).into_response());
    };
    let target = q.uri.trim().trim_start_matches("acct:").to_string();
    if target.is_empty() {
        return Err(PageError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Nothing to show",
            "This link names no account or post (its `uri` is empty).",
        ));
    }
    let owner = owner_account(&state)?;
    let mut viewer = Viewer::owner(&state, &owner);
    let (mut accounts, mut statuses, mut message) = (Vec::new(), Vec::new(), None);
    match resolve(&state, &target).await? {
        Found::Account(a) => accounts.push(card(&state, &owner, &viewer, &a)),
        Found::Status(s) => statuses.extend(viewer.status(&s)),
        Found::Nothing(m) => message = Some(m),
    }
    render(
        &state,
        &session,
        "search.html",
        "search",
        &back_of(&uri),
        minijinja::context! { q => target, accounts => accounts, statuses => statuses, message => message, interact => true },
    )
}
