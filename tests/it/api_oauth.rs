//! Logging in as a Mastodon app does: register, open the authorize page
//! in a browser, approve with the password, follow the redirect, exchange
//! the code (with PKCE), use, refresh and revoke the token.

use crate::common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};

const IVORY: &str = "com.tapbots.Ivory.10217:/request_token";
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

fn query_of(location: &str) -> Vec<(String, String)> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn pkce() -> (String, String) {
    let verifier = "a-long-random-verifier-string-with-at-least-43-characters-0123".to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(burrow::crypto::sha256(verifier.as_bytes()));
    (verifier, challenge)
}

async fn register(s: &TestServer, form: &[(&str, &str)]) -> Value {
    let res = client()
        .post(s.url("/api/v1/apps"))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Opens the authorize page and returns its HTML.
async fn authorize_page(s: &TestServer, query: &[(&str, &str)]) -> (u16, String) {
    let res = client()
        .get(s.url("/oauth/authorize"))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Posts the page's form as a browser would, with `password` and `decision`.
async fn submit(
    s: &TestServer,
    fields: &[(String, String)],
    password: &str,
    decision: &str,
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = fields.to_vec();
    form.push(("password".into(), password.into()));
    form.push(("decision".into(), decision.into()));
    client()
        .post(s.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The whole browser part: page, approve, redirect. Returns the code.
async fn approve(s: &TestServer, app: &Value, scope: &str, challenge: &str) -> String {
    let client_id = app["client_id"].as_str().unwrap();
    let (status, html) = authorize_page(
        s,
        &[
            ("client_id", client_id),
            ("redirect_uri", IVORY),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "xyz 1"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let res = submit(s, &hidden_fields(&html), PASSWORD, "approve").await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{IVORY}?code=")),
        "{location}"
    );
    let q = query_of(&location);
    assert_eq!(get(&q, "state"), Some("xyz 1"));
    get(&q, "code").unwrap().to_string()
}

async fn post_token(s: &TestServer, body: Value) -> reqwest::Response {
    client()
        .post(s.url("/oauth/token"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn bearer_get(s: &TestServer, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn app_logs_in_with_pkce_refreshes_and_revokes() {
    let s = TestServer::start().await;
    let app = register(
        &s,
        &[
            ("client_name", "Ivory for iOS"),
            ("redirect_uris", IVORY),
            ("scopes", "read write follow push"),
            ("website", "https://tapbots.com/ivory/"),
        ],
    )
    .await;
    for key in [
        "id",
        "name",
        "website",
        "scopes",
        "redirect_uri",
        "redirect_uris",
        "client_id",
        "client_secret",
        "client_secret_expires_at",
        "vapid_key",
    ] {
        assert!(app.get(key).is_some(), "app lacks {key}: {app}");
    }
    assert!(app["id"].is_string());
    assert_eq!(app["redirect_uris"], json!([IVORY]));
    assert_eq!(app["redirect_uri"], IVORY);
    assert_eq!(app["scopes"], json!(["read", "write", "follow", "push"]));
    assert_eq!(app["client_secret_expires_at"], 0);

    // The page names the app and the scopes, and asks only a password.
    let (status, html) = authorize_page(
        &s,
        &[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("redirect_uri", IVORY),
            ("response_type", "code"),
            ("scope", "read write"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Ivory for iOS"));
    assert!(html.contains("write"));
    assert!(html.contains("type=\"password\""));
    assert!(html.contains("/static/style.css"));

    let (verifier, challenge) = pkce();
    let code = approve(&s, &app, "read write follow", &challenge).await;
    let res = post_token(
        &s,
        json!({
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": IVORY,
            "code_verifier": verifier,
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let tok: Value = res.json().await.unwrap();
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["scope"], "read write follow");
    assert!(tok["created_at"].is_u64());
    let access = tok["access_token"].as_str().unwrap().to_string();
    let refresh = tok["refresh_token"].as_str().unwrap().to_string();

    // The token works, and only hashes of it are stored.
    let res = bearer_get(&s, "/api/v1/accounts/verify_credentials", &access).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert!(s
        .state
        .store
        .token(&burrow::crypto::token_hash(&access))
        .unwrap()
        .is_some());
    assert!(s.state.store.token(&access).unwrap().is_none());
    let res = bearer_get(&s, "/api/v1/apps/verify_credentials", &access).await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["name"], "Ivory for iOS");
    assert!(a.get("client_secret").is_none());

    // Refresh with HTTP Basic and a form body: the old pair stops working.
    let res = client()
        .post(s.url("/oauth/token"))
        .basic_auth(
            app["client_id"].as_str().unwrap(),
            app["client_secret"].as_str(),
        )
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tok2: Value = res.json().await.unwrap();
    let access2 = tok2["access_token"].as_str().unwrap().to_string();
    assert_ne!(access2, access);
    assert_eq!(tok2["scope"], "read write follow");
    assert_eq!(
        bearer_get(&s, "/api/v1/accounts/verify_credentials", &access)
            .await
            .status(),
        401
    );
    let res = client()
        .post(s.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Revoke: 200 {}, and the token is dead.
    let res = client()
        .post(s.url("/oauth/revoke"))
        .form(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("token", &access2),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let res = bearer_get(&s, "/api/v1/accounts/verify_credentials", &access2).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "The access token is invalid"})
    );
    // Unknown tokens revoke fine too (RFC 7009).
    let res = client()
        .post(s.url("/oauth/revoke"))
        .json(&json!({
            "client_id": app["client_id"], "client_secret": app["client_secret"], "token": "nope"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn apps_register_from_json_query_and_lists() {
    let s = TestServer::start().await;
    let c = client();
    // JSON with an array of redirect URIs, as Elk and Phanpy send.
    let res = c
        .post(s.url("/api/v1/apps"))
        .json(&json!({
            "client_name": "Elk",
            "redirect_uris": ["https://elk.zone/api/x/oauth", "icecubesapp://"],
            "scopes": "read write"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let app: Value = res.json().await.unwrap();
    assert_eq!(
        app["redirect_uris"],
        json!(["https://elk.zone/api/x/oauth", "icecubesapp://"])
    );
    assert_eq!(
        app["redirect_uri"],
        "https://elk.zone/api/x/oauth\nicecubesapp://"
    );
    // Query string only, no scopes: read by default.
    let res = c
        .post(s.url("/api/v1/apps"))
        .query(&[("client_name", "toot"), ("redirect_uris", OOB)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let app: Value = res.json().await.unwrap();
    assert_eq!(app["scopes"], json!(["read"]));
    assert_eq!(app["website"], Value::Null);
    // Newline-separated list and redirect_uris[] in a form.
    let app = register(
        &s,
        &[
            ("client_name", "Lines"),
            ("redirect_uris", "icecubesapp://\nhttps://a.example/cb"),
        ],
    )
    .await;
    assert_eq!(
        app["redirect_uris"],
        json!(["icecubesapp://", "https://a.example/cb"])
    );
    let app = register(
        &s,
        &[
            ("client_name", "Brackets"),
            ("redirect_uris[]", "icecubesapp://"),
            ("redirect_uris[]", OOB),
        ],
    )
    .await;
    assert_eq!(app["redirect_uris"], json!(["icecubesapp://", OOB]));

    // Refusals: 422 with a reason.
    for bad in [
        json!({"redirect_uris": OOB}),
        json!({"client_name": "x", "redirect_uris": "not a uri"}),
        json!({"client_name": "x"}),
        json!({"client_name": "x", "redirect_uris": OOB, "scopes": "read sudo"}),
    ] {
        let res = c
            .post(s.url("/api/v1/apps"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{bad}");
        assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    }
    let res = c
        .post(s.url("/api/v1/apps"))
        .header("content-type", "application/json")
        .body("{\"client_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("JSON"));
}

#[tokio::test]
async fn authorize_page_refuses_bad_requests_without_redirecting() {
    let s = TestServer::start().await;
    let app = register(
        &s,
        &[
            ("client_name", "Tusky"),
            ("redirect_uris", "oauth2redirect://tusky/"),
        ],
    )
    .await;
    let id = app["client_id"].as_str().unwrap();
    // Unknown app, unregistered redirect: a page, never a redirect.
    for q in [
        vec![
            ("client_id", "nope"),
            ("redirect_uri", "oauth2redirect://tusky/"),
            ("response_type", "code"),
        ],
        vec![
            ("client_id", id),
            ("redirect_uri", "https://evil.example/"),
            ("response_type", "code"),
        ],
    ] {
        let res = client()
            .get(s.url("/oauth/authorize/"))
            .query(&q)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("<h1>"));
    }
    // Asking for more than registered: error sent back to the app.
    let (_, _) = ((), ());
    let res = client()
        .get(s.url("/oauth/authorize"))
        .query(&[
            ("client_id", id),
            ("redirect_uri", "oauth2redirect://tusky/"),
            ("response_type", "code"),
            ("scope", "write"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let q = query_of(res.headers()["location"].to_str().unwrap());
    assert_eq!(get(&q, "error"), Some("invalid_scope"));
    assert_eq!(get(&q, "state"), Some("s"));

    let page = |scope: &'static str| {
        let s = &s;
        async move {
            authorize_page(
                s,
                &[
                    ("client_id", id),
                    ("redirect_uri", "oauth2redirect://tusky/"),
                    ("response_type", "code"),
                    ("scope", scope),
                    ("state", "st"),
                ],
            )
            .await
            .1
        }
    };
    let fields = hidden_fields(&page("read").await);

    // Wrong password: the page again, with an error, and no code.
    let res = submit(&s, &fields, "wrong password", "approve").await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("location").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("not right"));
    // The re-rendered form works.
    let res = submit(&s, &hidden_fields(&html), PASSWORD, "approve").await;
    assert_eq!(res.status(), 302);

    // Tampered field: the signature no longer matches.
    let mut forged = fields.clone();
    for f in forged.iter_mut() {
        if f.0 == "redirect_uri" {
            f.1 = "https://evil.example/".into();
        }
    }
    let res = submit(&s, &forged, PASSWORD, "approve").await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
    let mut unsigned = fields.clone();
    unsigned.retain(|(k, _)| k != "signature");
    assert_eq!(
        submit(&s, &unsigned, PASSWORD, "approve").await.status(),
        403
    );

    // Expired: correctly signed, but long ago.
    let secret = s.state.store.oauth_form_secret().unwrap();
    let req = burrow::ops::oauth::AuthorizeRequest {
        client_id: id.into(),
        redirect_uri: "oauth2redirect://tusky/".into(),
        scope: "read".into(),
        state: "st".into(),
        ..Default::default()
    };
    let old = burrow::time_fmt::now_ms() / 1000 - burrow::ops::oauth::FORM_LIFETIME_SECS - 5;
    let sig = burrow::ops::oauth::sign_form(&secret, &req, old);
    let mut expired = fields.clone();
    for f in expired.iter_mut() {
        match f.0.as_str() {
            "issued_at" => f.1 = old.to_string(),
            "signature" => f.1 = sig.clone(),
            _ => {}
        }
    }
    let res = submit(&s, &expired, PASSWORD, "approve").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("expired"));

    // Deny: back to the app with access_denied, no password needed.
    let res = submit(&s, &fields, "", "deny").await;
    assert_eq!(res.status(), 302);
    let q = query_of(res.headers()["location"].to_str().unwrap());
    assert_eq!(get(&q, "error"), Some("access_denied"));
    assert_eq!(get(&q, "state"), Some("st"));
    assert!(get(&q, "code").is_none());
}

#[tokio::test]
async fn oob_shows_the_code_and_redirect_keeps_existing_query() {
    let s = TestServer::start().await;
    let app = register(
        &s,
        &[
            ("client_name", "Mastodon.py"),
            ("redirect_uris", &format!("{OOB}\nhttps://a.example/cb?x=1")),
        ],
    )
    .await;
    let id = app["client_id"].as_str().unwrap();
    let (_, html) = authorize_page(
        &s,
        &[
            ("client_id", id),
            ("redirect_uri", OOB),
            ("response_type", "code"),
        ],
    )
    .await;
    let res = submit(&s, &hidden_fields(&html), PASSWORD, "approve").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let start = html.find("readonly value=\"").unwrap() + 16;
    let code = &html[start..start + html[start..].find('"').unwrap()];
    // No PKCE here: the client secret is required.
    let res = post_token(
        &s,
        json!({"grant_type": "authorization_code", "code": code, "client_id": id,
               "redirect_uri": OOB}),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let (_, html) = authorize_page(
        &s,
        &[
            ("client_id", id),
            ("redirect_uri", "https://a.example/cb?x=1"),
            ("response_type", "code"),
        ],
    )
    .await;
    let res = submit(&s, &hidden_fields(&html), PASSWORD, "approve").await;
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://a.example/cb?x=1&code="),
        "{location}"
    );
    let code = get(&query_of(location), "code").unwrap().to_string();
    let res = post_token(
        &s,
        json!({"grant_type": "authorization_code", "code": code, "client_id": id,
               "client_secret": app["client_secret"], "redirect_uri": "https://a.example/cb?x=1"}),
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn token_endpoint_refuses_with_rfc_6749_errors() {
    let s = TestServer::start().await;
    let app = register(
        &s,
        &[
            ("client_name", "Ice Cubes"),
            ("redirect_uris", IVORY),
            ("scopes", "read write"),
        ],
    )
    .await;
    let (verifier, challenge) = pkce();
    let id = app["client_id"].clone();
    let secret = app["client_secret"].clone();

    let expect = |res: reqwest::Response, status: u16, error: &'static str| async move {
        assert_eq!(res.status(), status);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["error_description"].is_string());
        assert!(body.get("access_token").is_none());
    };

    // Wrong verifier burns the code: even the right verifier fails after.
    let code = approve(&s, &app, "read", &challenge).await;
    let exchange = |code: String, verifier: String, secret: Value| {
        let s = &s;
        let id = id.clone();
        async move {
            post_token(
                s,
                json!({"grant_type": "authorization_code", "code": code, "client_id": id,
                       "client_secret": secret, "redirect_uri": IVORY, "code_verifier": verifier}),
            )
            .await
        }
    };
    expect(
        exchange(code.clone(), "wrong".into(), secret.clone()).await,
        400,
        "invalid_grant",
    )
    .await;
    expect(
        exchange(code, verifier.clone(), secret.clone()).await,
        400,
        "invalid_grant",
    )
    .await;

    // Reused code.
    let code = approve(&s, &app, "read", &challenge).await;
    let ok = exchange(code.clone(), verifier.clone(), secret.clone()).await;
    assert_eq!(ok.status(), 200);
    expect(
        exchange(code, verifier.clone(), secret.clone()).await,
        400,
        "invalid_grant",
    )
    .await;

    // Wrong client secret: 401, and the code survives for the real app.
    let code = approve(&s, &app, "read", &challenge).await;
    expect(
        exchange(code.clone(), verifier.clone(), json!("not the secret")).await,
        401,
        "invalid_client",
    )
    .await;
    // PKCE alone (no secret) is enough for a PKCE-bound code.
    let res = exchange(code, verifier.clone(), Value::Null).await;
    assert_eq!(res.status(), 200);

    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let res = post_token(
            &s,
            json!({"grant_type": grant, "client_id": id, "client_secret": secret,
                   "username": "alice", "password": PASSWORD}),
        )
        .await;
        expect(res, 400, "unsupported_grant_type").await;
    }
    expect(
        post_token(&s, json!({"client_id": id, "client_secret": secret})).await,
        400,
        "invalid_request",
    )
    .await;
    expect(
        post_token(
            &s,
            json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": "follow"}),
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;
}

#[tokio::test]
async fn scopes_and_app_tokens_are_enforced() {
    let s = TestServer::start().await;
    let app = register(
        &s,
        &[
            ("client_name", "Phanpy"),
            ("redirect_uris", IVORY),
            ("scopes", "read write"),
        ],
    )
    .await;
    let (verifier, challenge) = pkce();
    let code = approve(&s, &app, "read", &challenge).await;
    let tok: Value = post_token(
        &s,
        json!({"grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
               "client_secret": app["client_secret"], "code_verifier": verifier,
               "redirect_uri": IVORY}),
    )
    .await
    .json()
    .await
    .unwrap();
    let read_only = tok["access_token"].as_str().unwrap();
    let c = client();

    let res = c
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(read_only)
        .form(&[("display_name", "Hacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "This action is outside the authorized scopes"})
    );
    let res = c
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .form(&[("display_name", "Hacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let me = s.state.store.owner_account().unwrap().unwrap();
    assert_eq!(me.display_name, "alice (test)");

    // `bearer` in any case, and the access_token query parameter.
    let res = c
        .get(s.url("/api/v1/accounts/verify_credentials"))
        .header("authorization", format!("bearer {read_only}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .get(s.url("/api/v1/accounts/verify_credentials"))
        .query(&[("access_token", read_only)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        bearer_get(&s, "/api/v1/accounts/verify_credentials", "garbage")
            .await
            .status(),
        401
    );

    // An app-only token knows its app but acts for nobody.
    let res = c
        .post(s.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tok: Value = res.json().await.unwrap();
    assert!(tok.get("refresh_token").is_none());
    let app_token = tok["access_token"].as_str().unwrap();
    assert_eq!(
        bearer_get(&s, "/api/v1/apps/verify_credentials", app_token)
            .await
            .status(),
        200
    );
    let res = bearer_get(&s, "/api/v1/accounts/verify_credentials", app_token).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        bearer_get(&s, "/api/v2/instance", app_token).await.status(),
        200
    );
}

#[tokio::test]
async fn authorization_server_metadata() {
    let s = TestServer::start().await;
    let res = client()
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["authorization_endpoint"], s.url("/oauth/authorize"));
    assert_eq!(m["token_endpoint"], s.url("/oauth/token"));
    assert_eq!(m["revocation_endpoint"], s.url("/oauth/revoke"));
    assert_eq!(m["app_registration_endpoint"], s.url("/api/v1/apps"));
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert!(m["code_challenge_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("S256")));
    assert!(m["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("read:accounts")));
    assert!(m["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("refresh_token")));
    assert!(m["issuer"].as_str().unwrap().starts_with(&s.base));
}
