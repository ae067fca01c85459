//! Mentions resolved from what the store already knows: the owner by
//! name, remote accounts by `user@host`. Unknown remote accounts are left
//! to the caller, which can look them up (WebFinger) before rendering.

use super::render::{MentionRef, MentionResolver};
use crate::store::accounts::Account;
use crate::store::Store;
use crate::urls::Urls;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

pub struct StoreResolver<'a> {
    pub store: &'a Store,
    pub urls: &'a Urls,
}

impl StoreResolver<'_> {
    fn lookup(&self, acct: &str) -> Option<Account> {
        let (user, host) = match acct.split_once('@') {
            Some((u, h)) => (u, Some(h)),
            None => (acct, None),
        };
        let local = host.map_or(true, |h| h.eq_ignore_ascii_case(&self.urls.host));
        let key = if local { user } else { acct };
        match self.store.account_by_acct(key) {
            Ok(Some(a)) if a.is_local() == local => Some(a),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("mention lookup of {acct} failed: {e}");
                None
            }
        }
    }
}

impl MentionResolver for StoreResolver<'_> {
    fn resolve(&self, acct: &str) -> Option<MentionRef> {
        let a = self.lookup(acct)?;
        Some(MentionRef {
            acct: a.acct(),
            url: if a.url.is_empty() {
                a.uri.clone()
            } else {
                a.url.clone()
            },
            uri: a.uri,
        })
    }

    fn tag_url(&self, tag: &str) -> String {
        self.urls
            .tag(&utf8_percent_encode(tag, NON_ALPHANUMERIC).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::render;

    #[test]
    fn resolves_owner_and_known_remote_accounts_only() {
        let store = Store::temporary().unwrap();
        let urls = Urls::new("https://me.example");
        for (name, domain) in [("me", None), ("bob", Some("remote.example"))] {
            store
                .put_account(&Account {
                    id: store.next_id(),
                    username: name.into(),
                    domain: domain.map(String::from),
                    uri: format!("https://{}/users/{name}", domain.unwrap_or("me.example")),
                    url: format!("https://{}/@{name}", domain.unwrap_or("me.example")),
                    ..Default::default()
                })
                .unwrap();
        }
        let r = StoreResolver {
            store: &store,
            urls: &urls,
        };
        let out = render(
            "@me @me@me.example @Bob@remote.example @bob @carol@else.example #Café",
            &r,
        );
        assert_eq!(out.mentions.len(), 2, "{:?}", out.mentions);
        assert_eq!(out.mentions[0].acct, "me");
        assert_eq!(out.mentions[1].uri, "https://remote.example/users/bob");
        // `@bob` alone means a local bob, and there is none.
        assert!(
            out.html.contains(" @bob @carol@else.example "),
            "{}",
            out.html
        );
        assert!(
            out.html
                .contains(r#"<a href="https://me.example/tags/caf%C3%A9" class="mention hashtag""#),
            "{}",
            out.html
        );
    }
}
