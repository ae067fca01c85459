//! `Account` and `CredentialAccount`, for the owner and remote people
//! alike (the `acct` is `user@host` for remote accounts).

use crate::content::links::{account_link, safe_url};
use crate::store::accounts::Account;
use crate::store::preferences::Preferences;
use crate::time_fmt::{date_only, iso8601_ms};
use crate::urls::Urls;
use serde::Serialize;
use serde_json::Value;

const DAY_MS: i64 = 86_400_000;

#[derive(Serialize, Debug, Clone)]
pub struct AccountField {
    pub name: String,
    /// HTML.
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct AccountEntity {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub noindex: bool,
    /// The day the account was made, at midnight UTC, as Mastodon shows it.
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: u64,
    pub following_count: u64,
    pub statuses_count: u64,
    /// `YYYY-MM-DD`, or null before the first post.
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub emojis: Vec<Value>,
    pub fields: Vec<AccountField>,
    pub roles: Vec<Value>,
    /// The account this one moved to; present only when it moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<AccountEntity>>,
}

/// Builds the entity. `moved` is left out: the caller looks the target up
/// and sets it when `account.moved_to` names one.
///
/// Every address a peer chose (`url`, `avatar`, `header`) passes the link
/// gate again here, so records stored before it existed are safe too.
pub fn account(a: &Account, urls: &Urls) -> AccountEntity {
    let avatar = safe_url(&a.avatar).unwrap_or_else(|| urls.default_avatar());
    let header = safe_url(&a.header).unwrap_or_else(|| urls.default_header());
    AccountEntity {
        id: a.id.to_string(),
        username: a.username.clone(),
        acct: a.acct(),
        display_name: a.display_name.clone(),
        locked: a.locked,
        bot: a.bot,
        discoverable: a.discoverable,
        indexable: a.indexable,
        group: false,
        noindex: false,
        created_at: iso8601_ms(a.created_at_ms.div_euclid(DAY_MS) * DAY_MS),
        note: a.note.clone(),
        url: account_link(a).unwrap_or_default(),
        uri: a.uri.clone(),
        avatar_static: avatar.clone(),
        avatar,
        header_static: header.clone(),
        header,
        followers_count: a.followers_count,
        following_count: a.following_count,
        statuses_count: a.statuses_count,
        last_status_at: a.last_status_at_ms.map(date_only),
        hide_collections: a.hide_collections,
        emojis: super::custom_emoji::emojis(&a.emojis),
        fields: a
            .fields
            .iter()
            .map(|f| AccountField {
                name: f.name.clone(),
                value: f.value.clone(),
                verified_at: f.verified_at_ms.map(iso8601_ms),
            })
            .collect(),
        roles: Vec::new(),
        moved: None,
    }
}

#[derive(Serialize, Debug)]
pub struct SourceField {
    pub name: String,
    /// As typed (plain text).
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Serialize, Debug)]
pub struct Source {
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<SourceField>,
    pub follow_requests_count: u64,
    pub hide_collections: bool,
    pub discoverable: bool,
    pub indexable: bool,
}

/// The owner's role. Burrow has no admin API, so the role grants no
/// permissions and apps show no moderation screens that would fail.
#[derive(Serialize, Debug)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: String,
    pub color: String,
    pub highlighted: bool,
}

#[derive(Serialize, Debug)]
pub struct CredentialAccount {
    #[serde(flatten)]
    pub account: AccountEntity,
    pub source: Source,
    pub role: Role,
}

/// The owner as `verify_credentials` and `update_credentials` show them.
pub fn credential_account(
    a: &Account,
    prefs: &Preferences,
    follow_requests_count: u64,
    urls: &Urls,
) -> CredentialAccount {
    let account = account(a, urls);
    let fields = prefs
        .fields_source
        .iter()
        .zip(account.fields.iter())
        .map(|(src, shown)| SourceField {
            name: src.name.clone(),
            value: src.value.clone(),
            verified_at: shown.verified_at.clone(),
        })
        .collect();
    CredentialAccount {
        source: Source {
            privacy: prefs.privacy.clone(),
            sensitive: prefs.sensitive,
            language: Some(prefs.language.clone()).filter(|l| !l.is_empty()),
            note: a.note_source.clone(),
            fields,
            follow_requests_count,
            hide_collections: account.hide_collections,
            discoverable: account.discoverable,
            indexable: account.indexable,
        },
        role: Role {
            id: "-99".into(),
            name: String::new(),
            permissions: "0".into(),
            color: String::new(),
            highlighted: false,
        },
        account,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_accounts_use_user_at_host_and_defaults() {
        let urls = Urls::new("https://me.example");
        let a = Account {
            id: 42,
            username: "bob".into(),
            domain: Some("remote.example".into()),
            uri: "https://remote.example/users/bob".into(),
            created_at_ms: 1_767_323_045_007,
            last_status_at_ms: Some(1_767_323_045_007),
            ..Default::default()
        };
        let e = account(&a, &urls);
        assert_eq!(e.id, "42");
        assert_eq!(e.acct, "bob@remote.example");
        assert_eq!(e.created_at, "2026-01-02T00:00:00.000Z");
        assert_eq!(e.last_status_at.as_deref(), Some("2026-01-02"));
        assert_eq!(e.avatar, urls.default_avatar());
        assert_eq!(e.url, a.uri);
        let v = serde_json::to_value(&e).unwrap();
        assert!(v.get("moved").is_none());
    }
}
