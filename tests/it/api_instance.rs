//! What apps read about the server before anyone logs in.

use crate::common;
use common::*;
use serde_json::Value;

async fn get_json(s: &TestServer, path: &str) -> Value {
    let res = client().get(s.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["access-control-allow-origin"], "*", "{path}");
    res.json().await.unwrap()
}

/// Asserts that every dotted path exists (null allowed).
fn has_keys(v: &Value, paths: &[&str]) {
    for path in paths {
        let mut cur = v;
        for part in path.split('.') {
            cur = cur
                .get(part)
                .unwrap_or_else(|| panic!("missing `{path}` in {v}"));
        }
    }
}

#[tokio::test]
async fn v2_instance_has_every_documented_key() {
    let s = TestServer::start().await;
    let v = get_json(&s, "/api/v2/instance").await;
    has_keys(
        &v,
        &[
            "domain",
            "title",
            "version",
            "source_url",
            "description",
            "usage.users.active_month",
            "thumbnail.url",
            "thumbnail.blurhash",
            "thumbnail.versions",
            "icon",
            "languages",
            "configuration.urls.streaming",
            "configuration.vapid.public_key",
            "configuration.accounts.max_featured_tags",
            "configuration.accounts.max_pinned_statuses",
            "configuration.statuses.max_characters",
            "configuration.statuses.max_media_attachments",
            "configuration.statuses.characters_reserved_per_url",
            "configuration.media_attachments.supported_mime_types",
            "configuration.media_attachments.image_size_limit",
            "configuration.media_attachments.image_matrix_limit",
            "configuration.media_attachments.video_size_limit",
            "configuration.media_attachments.video_frame_rate_limit",
            "configuration.media_attachments.video_matrix_limit",
            "configuration.media_attachments.description_limit",
            "configuration.polls.max_options",
            "configuration.polls.max_characters_per_option",
            "configuration.polls.min_expiration",
            "configuration.polls.max_expiration",
            "configuration.translation.enabled",
            "registrations.enabled",
            "registrations.approval_required",
            "registrations.message",
            "registrations.url",
            "api_versions.mastodon",
            "contact.email",
            "contact.account",
            "rules",
        ],
    );
    assert_eq!(v["domain"], s.host);
    let version = v["version"].as_str().unwrap();
    assert!(
        version.starts_with("4.3.0 (compatible; Burrow "),
        "{version}"
    );
    assert_eq!(v["api_versions"]["mastodon"], 2);
    assert_eq!(
        v["configuration"]["urls"]["streaming"],
        format!("ws://{}", s.host)
    );
    assert_eq!(v["configuration"]["statuses"]["max_characters"], 500);
    assert_eq!(v["configuration"]["statuses"]["max_media_attachments"], 4);
    assert_eq!(
        v["configuration"]["statuses"]["characters_reserved_per_url"],
        23
    );
    assert_eq!(v["configuration"]["translation"]["enabled"], false);
    assert_eq!(v["registrations"]["enabled"], false);
    assert!(v["icon"][0]["src"].is_string() && v["icon"][0]["size"].is_string());
    assert_eq!(v["rules"], serde_json::json!([]));
    let owner = &v["contact"]["account"];
    assert_eq!(owner["username"], "alice");
    assert_eq!(owner["acct"], "alice");
    assert!(owner["id"].is_string());
}

#[tokio::test]
async fn v1_instance_has_every_documented_key() {
    let s = TestServer::start().await;
    let v = get_json(&s, "/api/v1/instance").await;
    has_keys(
        &v,
        &[
            "uri",
            "title",
            "short_description",
            "description",
            "email",
            "version",
            "urls.streaming_api",
            "stats.user_count",
            "stats.status_count",
            "stats.domain_count",
            "thumbnail",
            "languages",
            "registrations",
            "approval_required",
            "invites_enabled",
            "configuration.accounts.max_featured_tags",
            "configuration.statuses.max_characters",
            "configuration.statuses.max_media_attachments",
            "configuration.statuses.characters_reserved_per_url",
            "configuration.media_attachments.supported_mime_types",
            "configuration.media_attachments.image_size_limit",
            "configuration.media_attachments.image_matrix_limit",
            "configuration.media_attachments.video_size_limit",
            "configuration.media_attachments.video_frame_rate_limit",
            "configuration.media_attachments.video_matrix_limit",
            "configuration.polls.max_options",
            "configuration.polls.max_characters_per_option",
            "configuration.polls.min_expiration",
            "configuration.polls.max_expiration",
            "contact_account",
            "rules",
        ],
    );
    assert_eq!(v["uri"], s.host);
    // Apps offer a video picker when video is listed; uploads of video are
    // refused, so only images may be claimed.
    let types = v["configuration"]["media_attachments"]["supported_mime_types"]
        .as_array()
        .unwrap();
    assert!(types
        .iter()
        .all(|t| t.as_str().unwrap().starts_with("image/")));
    assert!(types.iter().any(|t| t == "image/webp"));
    assert_eq!(v["stats"]["user_count"], 1);
    assert_eq!(v["urls"]["streaming_api"], format!("ws://{}", s.host));
    assert!(v["thumbnail"].as_str().unwrap().starts_with("http"));
    assert_eq!(v["registrations"], false);
    assert_eq!(v["contact_account"]["username"], "alice");
    assert_eq!(
        v["version"],
        get_json(&s, "/api/v2/instance").await["version"]
    );
}

#[tokio::test]
async fn instance_companions() {
    let s = TestServer::start().await;
    assert_eq!(
        get_json(&s, "/api/v1/instance/peers").await,
        serde_json::json!([])
    );
    assert_eq!(
        get_json(&s, "/api/v1/instance/rules").await,
        serde_json::json!([])
    );
    assert_eq!(
        get_json(&s, "/api/v1/custom_emojis").await,
        serde_json::json!([])
    );
    let d = get_json(&s, "/api/v1/instance/extended_description").await;
    assert!(d["content"].is_string());
    let updated = d["updated_at"].as_str().unwrap();
    assert_eq!(updated.len(), 24, "{updated}");
    let weeks = get_json(&s, "/api/v1/instance/activity").await;
    let weeks = weeks.as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    let mut prev = i64::MAX;
    for w in weeks {
        for k in ["week", "statuses", "logins", "registrations"] {
            assert!(w[k].is_string(), "{k} in {w}");
        }
        let week: i64 = w["week"].as_str().unwrap().parse().unwrap();
        assert_eq!((week / 86_400 + 3) % 7, 0, "weeks start on Monday");
        assert_eq!(
            prev - week,
            if prev == i64::MAX {
                prev - week
            } else {
                7 * 86_400
            }
        );
        prev = week;
    }
    // The owner was created this week.
    assert_eq!(weeks[0]["registrations"], "1");
    // Unknown API paths: JSON 404.
    let res = client().get(s.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
}
