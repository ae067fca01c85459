//! Media uploads through the Mastodon API: upload, describe, attach to a
//! post, federate as a Document; bad and oversized files refused.

use crate::common;
use common::*;
use serde_json::Value;

async fn upload(
    s: &TestServer,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("description", "a gradient")
        .text("focus", "0.5,-0.25");
    client()
        .post(s.url("/api/v2/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn upload_describe_attach_and_federate() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let res = upload(&s, &token, png(300, 200), "", "application/octet-stream").await;
    assert_eq!(res.status(), 200);
    let media: Value = res.json().await.unwrap();
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "a gradient");
    assert_eq!(media["meta"]["original"]["width"], 300);
    assert_eq!(media["meta"]["focus"]["x"], 0.5);
    assert!(media["blurhash"].as_str().unwrap().len() > 5);
    let url = media["url"].as_str().unwrap().to_string();
    let file = client().get(&url).send().await.unwrap();
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    let id = media["id"].as_str().unwrap().to_string();

    let api = Api {
        s: &s,
        token: token.clone(),
    };
    let updated = api
        .put_json(
            &format!("/api/v1/media/{id}"),
            serde_json::json!({ "description": "better alt" }),
        )
        .await;
    assert_eq!(updated.status(), 200);

    let res = api
        .post_json(
            "/api/v1/statuses",
            serde_json::json!({ "status": "with a picture", "media_ids": [id] }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let status: Value = res.json().await.unwrap();
    assert_eq!(status["media_attachments"][0]["id"], id);
    assert_eq!(status["media_attachments"][0]["description"], "better alt");
    // Once attached it can't be attached again.
    let again = api
        .post_json(
            "/api/v1/statuses",
            serde_json::json!({ "status": "again", "media_ids": [id] }),
        )
        .await;
    assert_eq!(again.status(), 422);
    // …nor deleted apart from its post.
    let res = api.delete(&format!("/api/v1/media/{id}")).await;
    assert_eq!(res.status(), 422);

    // Peers get it as a Document with its alt text and blurhash.
    let note: Value = get_ap(status["uri"].as_str().unwrap()).await;
    let doc = &note["attachment"][0];
    assert_eq!(doc["type"], "Document");
    assert_eq!(doc["mediaType"], "image/png");
    assert_eq!(doc["name"], "better alt");
    assert_eq!(doc["url"], url);
    assert_eq!(doc["width"], 300);

    // Posted media change alt text through an edit of the post, as on
    // Mastodon; changing it quietly through the media endpoint is refused.
    let quiet = api
        .put_json(
            &format!("/api/v1/media/{id}"),
            serde_json::json!({ "description": "quiet change" }),
        )
        .await;
    assert_eq!(quiet.status(), 404);
    let sid = status["id"].as_str().unwrap();
    let edited = api
        .put_json(
            &format!("/api/v1/statuses/{sid}"),
            serde_json::json!({
                "status": "with a picture",
                "media_ids": [id],
                "media_attributes": [{"id": id, "description": "best alt", "focus": "0.1,0.2"}],
            }),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["media_attributes"], Value::Null);
    assert_eq!(edited["media_attachments"][0]["description"], "best alt");
    assert_eq!(edited["media_attachments"][0]["meta"]["focus"]["x"], 0.1);
    let note: Value = get_ap(status["uri"].as_str().unwrap()).await;
    assert_eq!(note["attachment"][0]["name"], "best alt");
    // Naming media that is not in the post changes nothing.
    let stray = api
        .put_json(
            &format!("/api/v1/statuses/{sid}"),
            serde_json::json!({
                "status": "with a picture",
                "media_ids": [id],
                "media_attributes": [{"id": "4242", "description": "nope"}],
            }),
        )
        .await;
    assert_eq!(stray.status(), 422);
    let now: Value = api.json(&format!("/api/v1/statuses/{sid}")).await;
    assert_eq!(now["media_attachments"][0]["description"], "best alt");
}

#[tokio::test]
async fn bad_and_oversized_uploads_are_refused() {
    let s = TestServer::start().await;
    let token = token(&s, "read write").await;
    let res = upload(
        &s,
        &token,
        b"this is not an image at all".to_vec(),
        "x.png",
        "image/png",
    )
    .await;
    assert_eq!(res.status(), 422);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"].is_string());
    let res = upload(
        &s,
        &token,
        vec![0u8; 17 * 1024 * 1024],
        "big.jpg",
        "image/jpeg",
    )
    .await;
    assert_eq!(res.status(), 413);
    let read_only = common::token(&s, "read").await;
    assert_eq!(
        upload(&s, &read_only, png(10, 10), "a.png", "image/png")
            .await
            .status(),
        403
    );
    assert!(s
        .state
        .store
        .unattached_media_before(i64::MAX, 10)
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn v1_upload_read_change_delete_and_refusals() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let form = reqwest::multipart::Form::new().part("file", png_part(png(40, 30), "a.png"));
    let res = client()
        .post(s.url("/api/v1/media"))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let media: Value = res.json().await.unwrap();
    assert_eq!(media["type"], "image");
    assert_eq!(media["meta"]["original"]["width"], 40);
    let id = media["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/media/{id}");
    let got = api.json(&path).await;
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["url"], media["url"]);

    // Bad changes are refused and change nothing.
    for body in [
        serde_json::json!({"focus": "2,0"}),
        serde_json::json!({"focus": "left"}),
        serde_json::json!({"description": "x".repeat(5000)}),
    ] {
        let res = api.put_json(&path, body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].is_string());
    }
    let got = api.json(&path).await;
    assert_eq!(got["meta"]["focus"], media["meta"]["focus"]);
    assert_eq!(got["description"], Value::Null);

    // An upload without a file is refused; nothing is stored.
    let res = client()
        .post(s.url("/api/v1/media"))
        .bearer_auth(&api.token)
        .multipart(reqwest::multipart::Form::new().text("description", "no file"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        s.state
            .store
            .unattached_media_before(i64::MAX, 10)
            .unwrap()
            .len(),
        1
    );

    // Unknown ids; a read-only token; no token.
    for p in ["/api/v1/media/4242", "/api/v1/media/abc"] {
        assert_eq!(api.get(p).await.status(), 404, "{p}");
        let res = api
            .put_json(p, serde_json::json!({"description": "x"}))
            .await;
        assert_eq!(res.status(), 404, "{p}");
        assert_eq!(api.delete(p).await.status(), 404, "{p}");
    }
    let reader = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    assert_eq!(reader.get(&path).await.status(), 403);
    assert_eq!(reader.delete(&path).await.status(), 403);
    let res = client().get(s.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // Deleting an unattached upload answers `{}` like Mastodon; then it
    // is gone.
    let res = api.delete(&path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({}));
    assert_eq!(api.get(&path).await.status(), 404);
    assert!(s
        .state
        .store
        .unattached_media_before(i64::MAX, 10)
        .unwrap()
        .is_empty());
}
