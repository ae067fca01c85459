//! The owner's own account through the API: verify_credentials and
//! update_credentials, as apps send them (form, JSON, multipart).

use crate::common;
use common::*;
use serde_json::{json, Value};

const ACCOUNT_KEYS: &[&str] = &[
    "id",
    "username",
    "acct",
    "display_name",
    "locked",
    "bot",
    "discoverable",
    "indexable",
    "group",
    "noindex",
    "created_at",
    "note",
    "url",
    "uri",
    "avatar",
    "avatar_static",
    "header",
    "header_static",
    "followers_count",
    "following_count",
    "statuses_count",
    "last_status_at",
    "hide_collections",
    "emojis",
    "fields",
    "roles",
];

fn is_ms_date(s: &str) -> bool {
    // 2026-01-02T00:00:00.000Z
    s.len() == 24 && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.' && s.ends_with('Z')
}

async fn me(s: &TestServer, token: &str) -> Value {
    let res = client()
        .get(s.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn verify_credentials_has_every_account_key() {
    let s = TestServer::start().await;
    let me = me(&s, &token(&s, "read").await).await;
    for k in ACCOUNT_KEYS {
        assert!(me.get(*k).is_some(), "missing {k} in {me}");
    }
    assert!(me.get("moved").is_none());
    assert!(me["id"].is_string());
    assert_eq!(me["acct"], "alice");
    assert_eq!(me["url"], s.url("/@alice"));
    assert_eq!(me["uri"], s.url("/users/alice"));
    assert_eq!(me["avatar"], s.url("/static/avatar.png"));
    assert_eq!(me["header_static"], s.url("/static/header.png"));
    let created = me["created_at"].as_str().unwrap();
    assert!(is_ms_date(created), "{created}");
    assert!(created.ends_with("T00:00:00.000Z"), "{created}");
    assert_eq!(me["last_status_at"], Value::Null);
    assert_eq!(me["group"], false);
    for k in [
        "privacy",
        "sensitive",
        "language",
        "note",
        "fields",
        "follow_requests_count",
    ] {
        assert!(me["source"].get(k).is_some(), "missing source.{k}");
    }
    assert_eq!(me["source"]["privacy"], "public");
    for k in ["id", "name", "permissions", "color", "highlighted"] {
        assert!(me["role"].get(k).is_some(), "missing role.{k}");
    }
    // The `profile` scope is enough to ask who one is.
    assert_eq!(
        client()
            .get(s.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(token(&s, "profile").await)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(s.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(token(&s, "write").await)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn update_credentials_from_a_form() {
    let s = TestServer::start().await;
    let t = token(&s, "read write").await;
    let res = client()
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&t)
        .form(&[
            ("display_name", "Alice A."),
            (
                "note",
                "Hello <you>\nsecond line\n\nSee https://alice.example/blog.",
            ),
            ("locked", "true"),
            ("bot", "0"),
            ("discoverable", "false"),
            ("fields_attributes[0][name]", "Site"),
            ("fields_attributes[0][value]", "https://alice.example"),
            ("fields_attributes[1][name]", "Pronouns"),
            ("fields_attributes[1][value]", "she/her"),
            ("fields_attributes[2][name]", ""),
            ("fields_attributes[2][value]", ""),
            ("source[privacy]", "unlisted"),
            ("source[sensitive]", "true"),
            ("source[language]", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["display_name"], "Alice A.");
    assert_eq!(
        a["note"],
        "<p>Hello &lt;you&gt;<br>second line</p><p>See <a href=\"https://alice.example/blog\" rel=\"nofollow noopener noreferrer me\" target=\"_blank\">alice.example/blog</a>.</p>"
    );
    assert_eq!(a["locked"], true);
    assert_eq!(a["discoverable"], false);
    assert_eq!(a["fields"].as_array().unwrap().len(), 2);
    assert!(a["fields"][0]["value"]
        .as_str()
        .unwrap()
        .contains("<a href=\"https://alice.example\""));
    assert_eq!(a["fields"][0]["verified_at"], Value::Null);
    assert_eq!(
        a["source"]["fields"],
        json!([{"name": "Site", "value": "https://alice.example", "verified_at": null},
               {"name": "Pronouns", "value": "she/her", "verified_at": null}])
    );
    assert_eq!(
        a["source"]["note"],
        "Hello <you>\nsecond line\n\nSee https://alice.example/blog."
    );
    assert_eq!(a["source"]["privacy"], "unlisted");
    assert_eq!(a["source"]["sensitive"], true);
    assert_eq!(a["source"]["language"], "de");
    // Stored, and survives a restart.
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, TestOptions::default()).await;
    let again = me(&s, &t).await;
    assert_eq!(again["display_name"], "Alice A.");
    assert_eq!(again["source"]["privacy"], "unlisted");
    // The public actor shows the new profile too.
    let actor: Value = get_ap(&s.url("/users/alice")).await;
    assert_eq!(actor["name"], "Alice A.");
}

#[tokio::test]
async fn update_credentials_from_json_and_multipart() {
    let s = TestServer::start().await;
    let t = token(&s, "write:accounts read:accounts").await;
    let c = client();
    let res = c
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&t)
        .json(&json!({
            "display_name": "JSON Alice",
            "bot": true,
            "fields_attributes": [{"name": "a", "value": "b"}],
            "source": {"privacy": "private", "sensitive": false}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["display_name"], "JSON Alice");
    assert_eq!(a["bot"], true);
    assert_eq!(a["fields"][0]["name"], "a");
    assert_eq!(a["source"]["privacy"], "private");

    let form = reqwest::multipart::Form::new()
        .text("note", "multi part")
        .text("fields_attributes[][name]", "x")
        .text("fields_attributes[][value]", "y")
        .text("fields_attributes[][name]", "z")
        .text("fields_attributes[][value]", "w");
    let res = c
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["note"], "<p>multi part</p>");
    assert_eq!(a["display_name"], "JSON Alice", "untouched fields stay");
    assert_eq!(
        a["source"]["fields"],
        json!([{"name": "x", "value": "y", "verified_at": null},
               {"name": "z", "value": "w", "verified_at": null}])
    );
}

#[tokio::test]
async fn bad_updates_change_nothing() {
    let s = TestServer::start().await;
    let t = token(&s, "read write").await;
    let c = client();
    let before = me(&s, &t).await;
    let send = |body: reqwest::RequestBuilder| async move { body.send().await.unwrap() };
    let url = s.url("/api/v1/accounts/update_credentials");

    let res = send(
        c.patch(&url)
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body("{\"display_name\": \"Broken\""),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());

    for bad in [
        json!({"display_name": "Changed", "source": {"privacy": "secret"}}),
        json!({"display_name": "x".repeat(31)}),
        json!({"note": "x".repeat(501)}),
        json!({"display_name": "Changed", "locked": "perhaps"}),
        json!({"display_name": "Changed", "fields_attributes": [
            {"name": "1", "value": "1"}, {"name": "2", "value": "2"}, {"name": "3", "value": "3"},
            {"name": "4", "value": "4"}, {"name": "5", "value": "5"}]}),
        json!({"display_name": "Changed", "source": {"language": "not a language"}}),
    ] {
        let res = send(c.patch(&url).bearer_auth(&t).json(&bad)).await;
        assert_eq!(res.status(), 422, "{bad}");
        assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    }
    assert_eq!(me(&s, &t).await, before);
}

#[tokio::test]
async fn follow_requests_count_counts_pending_requests() {
    use burrow::store::accounts::Account;
    use burrow::store::relations::{Rel, Relation};
    let s = TestServer::start().await;
    let tok = token(&s, "read write follow").await;
    assert_eq!(me(&s, &tok).await["source"]["follow_requests_count"], 0);
    let owner = s.state.store.owner().unwrap().unwrap().account_id;
    let mut askers = Vec::new();
    for name in ["carol", "dave"] {
        let a = Account {
            id: s.state.store.next_id(),
            username: name.into(),
            domain: Some("far.example".into()),
            uri: format!("https://far.example/users/{name}"),
            ..Default::default()
        };
        s.state.store.put_account(&a).unwrap();
        let r = Relation {
            id: s.state.store.next_id(),
            activity_uri: format!("https://far.example/follows/{name}"),
            ..Default::default()
        };
        s.state
            .store
            .transact(|tx| {
                tx.set_relation(owner, Rel::RequestedBy, a.id, &r)
                    .map(|_| ())
            })
            .unwrap();
        askers.push(a.id);
    }
    assert_eq!(me(&s, &tok).await["source"]["follow_requests_count"], 2);
    let res = client()
        .post(s.url(&format!("/api/v1/follow_requests/{}/authorize", askers[0])))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(me(&s, &tok).await["source"]["follow_requests_count"], 1);
}

async fn update_with(s: &TestServer, t: &str, form: reqwest::multipart::Form) -> reqwest::Response {
    client()
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Fetches a stored picture: its content type and pixel size.
async fn fetch_picture(url: &str) -> (String, (u32, u32)) {
    let res = client().get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let ctype = res.headers()["content-type"].to_str().unwrap().to_string();
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    (ctype, (img.width(), img.height()))
}

fn media_files(s: &TestServer) -> Vec<String> {
    match std::fs::read_dir(s.state.data_dir.join("media")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn new_pictures_are_cut_to_size_and_reach_followers() {
    let (a, b) = pair().await;
    // bob follows alice, so her profile changes are delivered to him.
    let alice_on_b = follow_accepted(&b, &format!("alice@{}", a.host)).await;

    let t = token(&a, "read write").await;
    let before = me(&a, &t).await;
    let form = reqwest::multipart::Form::new()
        .text("display_name", "Alice Pictured")
        .part("avatar", png_part(png(800, 600), "me.png"))
        .part("header", png_part(png(800, 600), "banner.png"));
    let res = update_with(&a, &t, form).await;
    assert_eq!(res.status(), 200);
    let acct: Value = res.json().await.unwrap();
    assert_eq!(acct["display_name"], "Alice Pictured");
    let avatar = acct["avatar"].as_str().unwrap().to_string();
    let header = acct["header"].as_str().unwrap().to_string();
    assert_ne!(avatar, before["avatar"].as_str().unwrap());
    assert_ne!(header, before["header"].as_str().unwrap());
    assert!(avatar.starts_with(&a.url("/media/")), "{avatar}");
    assert_eq!(acct["avatar_static"], avatar.as_str());
    assert_eq!(me(&a, &t).await["avatar"], avatar.as_str());

    let (ctype, size) = fetch_picture(&avatar).await;
    assert!(ctype.starts_with("image/"), "{ctype}");
    assert_eq!(size, (400, 400));
    let (ctype, (w, h)) = fetch_picture(&header).await;
    assert!(ctype.starts_with("image/"), "{ctype}");
    assert!(w <= 1500 && h <= 500, "{w}x{h}");
    assert!((f64::from(w) / f64::from(h) - 3.0).abs() < 0.02, "{w}x{h}");

    let actor: Value = get_ap(&a.url("/users/alice")).await;
    assert_eq!(actor["icon"]["url"], avatar.as_str());
    assert_eq!(actor["image"]["url"], header.as_str());

    eventually("bob sees alice's new avatar", || {
        b.state
            .store
            .account(alice_on_b.id)
            .unwrap()
            .unwrap()
            .avatar
            == avatar
    })
    .await;
    assert_eq!(
        b.state
            .store
            .account(alice_on_b.id)
            .unwrap()
            .unwrap()
            .header,
        header
    );
}

#[tokio::test]
async fn a_damaged_picture_changes_nothing() {
    let s = TestServer::start().await;
    let t = token(&s, "read write").await;
    let before = me(&s, &t).await;
    let good = png(100, 100);
    let form = reqwest::multipart::Form::new()
        .text("display_name", "Should Not Stick")
        .part("header", png_part(good.clone(), "fine.png"))
        .part(
            "avatar",
            png_part(good[..good.len() / 2].to_vec(), "broken.png"),
        );
    let res = update_with(&s, &t, form).await;
    assert_eq!(res.status(), 422);
    let err = res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("avatar") && err.contains("PNG"), "{err}");
    assert_eq!(me(&s, &t).await, before);
    assert_eq!(
        media_files(&s),
        Vec::<String>::new(),
        "no file is left behind"
    );

    let form = reqwest::multipart::Form::new()
        .text("display_name", "Should Not Stick")
        .part(
            "avatar",
            png_part(b"%PDF-1.7 not a picture".to_vec(), "cv.pdf"),
        );
    let res = update_with(&s, &t, form).await;
    assert_eq!(res.status(), 422);
    let err = res.json::<Value>().await.unwrap()["error"].to_string();
    assert!(err.contains("PDF"), "{err}");
    // A bad text field with a good picture: no picture is kept either.
    let form = reqwest::multipart::Form::new()
        .text("display_name", "x".repeat(31))
        .part("avatar", png_part(good, "fine.png"));
    assert_eq!(update_with(&s, &t, form).await.status(), 422);
    assert_eq!(me(&s, &t).await, before);
    assert_eq!(media_files(&s), Vec::<String>::new());
}

#[tokio::test]
async fn replaced_and_removed_pictures_are_deleted() {
    let s = TestServer::start().await;
    let t = token(&s, "read write").await;
    let default_avatar = me(&s, &t).await["avatar"].as_str().unwrap().to_string();
    assert!(default_avatar.ends_with("/static/avatar.png"));
    let upload = |w| {
        let form = reqwest::multipart::Form::new().part("avatar", png_part(png(w, w), "a.png"));
        update_with(&s, &t, form)
    };
    let first: Value = upload(300).await.json().await.unwrap();
    let first = first["avatar"].as_str().unwrap().to_string();
    assert_eq!(
        fetch_picture(&first).await.1,
        (300, 300),
        "small ones are not enlarged"
    );
    let second: Value = upload(500).await.json().await.unwrap();
    let second = second["avatar"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(client().get(&first).send().await.unwrap().status(), 404);
    assert_eq!(media_files(&s).len(), 1);

    // Needs write:accounts.
    let reader = token(&s, "read").await;
    let res = client()
        .delete(s.url("/api/v1/profile/avatar"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = client()
        .delete(s.url("/api/v1/profile/avatar"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let acct: Value = res.json().await.unwrap();
    assert_eq!(acct["avatar"], default_avatar.as_str());
    assert!(acct["source"].is_object(), "a CredentialAccount");
    assert_eq!(client().get(&second).send().await.unwrap().status(), 404);
    assert!(media_files(&s).is_empty());
    // The header was never set: removing it is harmless.
    let res = client()
        .delete(s.url("/api/v1/profile/header"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()["header"]
        .as_str()
        .unwrap()
        .ends_with("/static/header.png"));
}

#[tokio::test]
async fn oversized_and_unauthorized_updates_change_nothing() {
    let s = TestServer::start().await;
    let t = token(&s, "read write").await;
    let before = me(&s, &t).await;
    let url = s.url("/api/v1/accounts/update_credentials");
    let form = reqwest::multipart::Form::new()
        .text("display_name", "Changed")
        .part(
            "avatar",
            reqwest::multipart::Part::bytes(vec![0u8; 33 * 1024 * 1024])
                .file_name("big.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let res = client()
        .patch(&url)
        .bearer_auth(&t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());

    let reader = token(&s, "read").await;
    let res = client()
        .patch(&url)
        .bearer_auth(&reader)
        .form(&[("display_name", "Changed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = client()
        .patch(&url)
        .bearer_auth("not-a-token")
        .form(&[("display_name", "Changed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(me(&s, &t).await, before);
}
