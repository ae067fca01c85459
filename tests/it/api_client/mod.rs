//! A Mastodon app's view of a test server: log in through the real OAuth
//! flow (register, authorize page, password, code, token) and call the
//! API with the token.
#![allow(dead_code)]

use crate::common::{client, TestServer};
use serde_json::Value;

/// Logs in as the owner with `scope` (an app registered for exactly
/// those scopes) and returns the access token.
pub async fn login(s: &TestServer, scope: &str) -> String {
    crate::common::token(s, scope).await
}

/// What an API call answered.
pub struct Answer {
    pub status: u16,
    pub link: Option<String>,
    pub json: Value,
}

impl Answer {
    /// The URL of a `Link` relation (`next`, `prev`).
    pub fn link_to(&self, rel: &str) -> Option<String> {
        let link = self.link.as_deref()?;
        link.split(", ").find_map(|part| {
            let (url, r) = part.split_once(">; rel=\"")?;
            (r.trim_end_matches('"') == rel).then(|| url.trim_start_matches('<').to_string())
        })
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let link = res
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string());
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, link, json }
}

/// The API as one logged-in app sees it.
pub struct Api<'a> {
    pub server: &'a TestServer,
    pub token: Option<String>,
}

impl<'a> Api<'a> {
    pub async fn login(server: &'a TestServer, scope: &str) -> Api<'a> {
        let token = login(server, scope).await;
        Api {
            server,
            token: Some(token),
        }
    }

    pub fn anonymous(server: &'a TestServer) -> Api<'a> {
        Api {
            server,
            token: None,
        }
    }

    pub fn with_token(server: &'a TestServer, token: &str) -> Api<'a> {
        Api {
            server,
            token: Some(token.to_string()),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            self.server.url(path)
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.auth(client().get(self.url(path)))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        answer(
            self.auth(client().post(self.url(path)))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.auth(client().post(self.url(path)))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn patch_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.auth(client().patch(self.url(path)))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        answer(
            self.auth(client().put(self.url(path)))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn delete(&self, path: &str, body: Value) -> Answer {
        answer(
            self.auth(client().delete(self.url(path)))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// `2026-01-02T03:04:05.000Z`.
pub fn is_ms_date(s: &str) -> bool {
    s.len() == 24 && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.' && s.ends_with('Z')
}

pub fn assert_keys(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(*k).is_some(), "`{k}` is missing from {v}");
    }
}

pub const RELATIONSHIP_KEYS: &[&str] = &[
    "id",
    "following",
    "showing_reblogs",
    "notifying",
    "languages",
    "followed_by",
    "blocking",
    "blocked_by",
    "muting",
    "muting_notifications",
    "requested",
    "requested_by",
    "domain_blocking",
    "endorsed",
    "note",
];
