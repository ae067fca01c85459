//! Every entity apps decode, checked key by key for the JSON type the
//! apps require: Mastodon 4.3's serializers, Mastodon for Android's
//! `@RequiredField`s, Ice Cubes' non-optional Swift properties and Tusky's
//! non-null Kotlin fields. A string where an app decodes an integer (or
//! `null` where it decodes a value) fails the whole response in the app,
//! so each key's type is checked, not only its presence.

use crate::common::*;
use crate::push::{AUTH, UA_PUBLIC};
use serde_json::{json, Value};

/// A 1x1 GIF, as small as the format allows.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// The JSON type a key must have: `s` string, `i` integer, `b` boolean,
/// `a` array, `o` object, `n` number; a trailing `?` also allows null.
fn type_ok(v: Option<&Value>, ty: &str) -> bool {
    let (base, nullable) = match ty.strip_suffix('?') {
        Some(b) => (b, true),
        None => (ty, false),
    };
    match v {
        None => false,
        Some(Value::Null) => nullable,
        Some(v) => match base {
            "s" => v.is_string(),
            "i" => v.is_u64() || v.is_i64(),
            "b" => v.is_boolean(),
            "a" => v.is_array(),
            "o" => v.is_object(),
            "n" => v.is_number(),
            other => panic!("unknown type {other}"),
        },
    }
}

/// Checks `keys` (dotted paths) of `entity`, collecting what is wrong.
fn check(problems: &mut Vec<String>, name: &str, entity: &Value, keys: &[(&str, &str)]) {
    assert!(entity.is_object(), "{name} is not an object: {entity}");
    for (path, ty) in keys {
        let v = path.split('.').try_fold(entity, |v, k| v.get(k));
        if !type_ok(v, ty) {
            problems.push(format!("{name}.{path}: want {ty}, got {v:?}"));
        }
    }
}

const ACCOUNT: &[(&str, &str)] = &[
    ("id", "s"),
    ("username", "s"),
    ("acct", "s"),
    ("display_name", "s"),
    ("locked", "b"),
    ("bot", "b"),
    ("discoverable", "b?"),
    ("group", "b"),
    ("created_at", "s"),
    ("note", "s"),
    ("url", "s"),
    ("uri", "s"),
    ("avatar", "s"),
    ("avatar_static", "s"),
    ("header", "s"),
    ("header_static", "s"),
    ("followers_count", "i"),
    ("following_count", "i"),
    ("statuses_count", "i"),
    ("last_status_at", "s?"),
    ("emojis", "a"),
    ("fields", "a"),
];

const CREDENTIAL: &[(&str, &str)] = &[
    ("source", "o"),
    ("source.privacy", "s"),
    ("source.sensitive", "b"),
    ("source.language", "s?"),
    ("source.note", "s"),
    ("source.fields", "a"),
    ("source.follow_requests_count", "i"),
];

const STATUS: &[(&str, &str)] = &[
    ("id", "s"),
    ("uri", "s"),
    ("url", "s?"),
    ("created_at", "s"),
    ("account", "o"),
    ("content", "s"),
    ("visibility", "s"),
    ("sensitive", "b"),
    ("spoiler_text", "s"),
    ("media_attachments", "a"),
    ("application", "o?"),
    ("mentions", "a"),
    ("tags", "a"),
    ("emojis", "a"),
    ("reblogs_count", "i"),
    ("favourites_count", "i"),
    ("replies_count", "i"),
    ("in_reply_to_id", "s?"),
    ("in_reply_to_account_id", "s?"),
    ("reblog", "o?"),
    ("poll", "o?"),
    ("card", "o?"),
    ("language", "s?"),
    ("edited_at", "s?"),
    ("favourited", "b"),
    ("reblogged", "b"),
    ("muted", "b"),
    ("bookmarked", "b"),
    ("pinned", "b"),
    ("filtered", "a"),
];

const MEDIA: &[(&str, &str)] = &[
    ("id", "s"),
    ("type", "s"),
    ("url", "s"),
    ("preview_url", "s?"),
    ("remote_url", "s?"),
    ("meta", "o"),
    ("description", "s?"),
    ("blurhash", "s?"),
];

const POLL: &[(&str, &str)] = &[
    ("id", "s"),
    ("expires_at", "s?"),
    ("expired", "b"),
    ("multiple", "b"),
    ("votes_count", "i"),
    ("voters_count", "i?"),
    ("options", "a"),
    ("emojis", "a"),
    ("voted", "b"),
    ("own_votes", "a"),
];

const RELATIONSHIP: &[(&str, &str)] = &[
    ("id", "s"),
    ("following", "b"),
    ("showing_reblogs", "b"),
    ("notifying", "b"),
    ("languages", "a?"),
    ("followed_by", "b"),
    ("blocking", "b"),
    ("blocked_by", "b"),
    ("muting", "b"),
    ("muting_notifications", "b"),
    ("requested", "b"),
    ("requested_by", "b"),
    ("domain_blocking", "b"),
    ("endorsed", "b"),
    ("note", "s"),
];

const NOTIFICATION: &[(&str, &str)] = &[
    ("id", "s"),
    ("type", "s"),
    ("group_key", "s"),
    ("created_at", "s"),
    ("account", "o"),
    ("status", "o"),
];

const GROUPED: &[(&str, &str)] = &[
    ("accounts", "a"),
    ("statuses", "a"),
    ("notification_groups", "a"),
];

const GROUP: &[(&str, &str)] = &[
    ("group_key", "s"),
    ("notifications_count", "i"),
    ("type", "s"),
    ("most_recent_notification_id", "i"),
    ("page_min_id", "s"),
    ("page_max_id", "s"),
    ("latest_page_notification_at", "s"),
    ("sample_account_ids", "a"),
    ("status_id", "s"),
];

const INSTANCE_V1: &[(&str, &str)] = &[
    ("uri", "s"),
    ("title", "s"),
    ("short_description", "s"),
    ("description", "s"),
    ("email", "s"),
    ("version", "s"),
    ("urls.streaming_api", "s"),
    ("stats.user_count", "i"),
    ("stats.status_count", "i"),
    ("stats.domain_count", "i"),
    ("thumbnail", "s?"),
    ("languages", "a"),
    ("registrations", "b"),
    ("approval_required", "b"),
    ("invites_enabled", "b"),
    ("configuration.statuses.max_characters", "i"),
    ("configuration.statuses.max_media_attachments", "i"),
    ("configuration.statuses.characters_reserved_per_url", "i"),
    ("configuration.media_attachments.supported_mime_types", "a"),
    ("configuration.media_attachments.image_size_limit", "i"),
    ("configuration.polls.max_options", "i"),
    ("configuration.polls.max_characters_per_option", "i"),
    ("configuration.polls.min_expiration", "i"),
    ("configuration.polls.max_expiration", "i"),
    ("contact_account", "o?"),
    ("rules", "a"),
];

const INSTANCE_V2: &[(&str, &str)] = &[
    ("domain", "s"),
    ("title", "s"),
    ("version", "s"),
    ("source_url", "s"),
    ("description", "s"),
    ("usage.users.active_month", "i"),
    ("thumbnail.url", "s"),
    ("icon", "a"),
    ("languages", "a"),
    ("configuration.urls.streaming", "s"),
    ("configuration.vapid.public_key", "s"),
    ("configuration.accounts.max_featured_tags", "i"),
    ("configuration.statuses.max_characters", "i"),
    ("configuration.statuses.max_media_attachments", "i"),
    ("configuration.statuses.characters_reserved_per_url", "i"),
    ("configuration.media_attachments.supported_mime_types", "a"),
    ("configuration.media_attachments.image_size_limit", "i"),
    ("configuration.media_attachments.video_size_limit", "i"),
    ("configuration.polls.max_options", "i"),
    ("configuration.polls.max_expiration", "i"),
    ("configuration.translation.enabled", "b"),
    ("registrations.enabled", "b"),
    ("registrations.approval_required", "b"),
    ("registrations.message", "s?"),
    ("api_versions.mastodon", "i"),
    ("contact.email", "s"),
    ("contact.account", "o?"),
    ("rules", "a"),
];

/// A remote account mentions the owner in an unlisted post with a GIF;
/// returns its account id.
async fn mentioned_by_stranger(s: &TestServer) -> u64 {
    let them = burrow::store::accounts::Account {
        id: s.state.store.next_id(),
        username: "erin".into(),
        domain: Some("far.example".into()),
        uri: "https://far.example/users/erin".into(),
        inbox: "http://127.0.0.1:9/inbox".into(),
        created_at_ms: 1_600_000_000_000,
        ..Default::default()
    };
    s.state.store.put_account(&them).unwrap();
    let owner = s.state.store.owner_account().unwrap().unwrap();
    let note = format!("{}/statuses/1", them.uri);
    let create = json!({"id": format!("{note}/activity"), "type": "Create", "actor": them.uri,
        "object": {"id": note, "type": "Note", "attributedTo": them.uri,
                   "content": "<p>hello @alice</p>", "to": [owner.uri],
                   "cc": ["https://www.w3.org/ns/activitystreams#Public"],
                   "published": "2026-01-02T03:04:05Z",
                   "attachment": [{"type": "Document", "mediaType": "image/gif",
                                   "url": "https://far.example/media/dance.gif",
                                   "width": 10, "height": 10}],
                   "tag": [{"type": "Mention", "href": owner.uri, "name": "@alice"}]}});
    burrow::ops::inbound::process(&s.state, &them, &create)
        .await
        .unwrap();
    them.id
}

/// A GIF is labelled `image`: `gifv` tells apps to play looping video.
fn label(problems: &mut Vec<String>, name: &str, media: &Value) {
    if media["type"] != "image" {
        problems.push(format!("{name}.type: want image, got {}", media["type"]));
    }
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test]
async fn every_entity_has_the_types_apps_decode() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write follow push").await,
    };
    let mut problems = Vec::new();
    let erin = mentioned_by_stranger(&s).await;

    let me = api.json("/api/v1/accounts/verify_credentials").await;
    check(&mut problems, "CredentialAccount", &me, ACCOUNT);
    check(&mut problems, "CredentialAccount", &me, CREDENTIAL);
    let them = api.json(&format!("/api/v1/accounts/{erin}")).await;
    check(&mut problems, "Account", &them, ACCOUNT);

    // A GIF is served as a GIF, so it is an image, not a gifv (which
    // apps play as looping video).
    let part = reqwest::multipart::Part::bytes(GIF.to_vec())
        .file_name("dance.gif")
        .mime_str("image/gif")
        .unwrap();
    let media = ok_json(
        client()
            .post(s.url("/api/v2/media"))
            .bearer_auth(&api.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap(),
    )
    .await;
    check(&mut problems, "MediaAttachment", &media, MEDIA);
    label(&mut problems, "MediaAttachment (GIF)", &media);
    let media_id = media["id"].as_str().unwrap().to_string();

    let with_media = ok_json(
        api.post_json(
            "/api/v1/statuses",
            json!({"status": "a dance #shapes", "media_ids": [media_id]}),
        )
        .await,
    )
    .await;
    check(&mut problems, "Status", &with_media, STATUS);
    label(
        &mut problems,
        "Status.media_attachments[0]",
        &with_media["media_attachments"][0],
    );
    let id = with_media["id"].as_str().unwrap().to_string();
    let reply = ok_json(
        api.post_json(
            "/api/v1/statuses",
            json!({"status": "a reply", "in_reply_to_id": id}),
        )
        .await,
    )
    .await;
    check(&mut problems, "Status (reply)", &reply, STATUS);
    let with_poll = ok_json(
        api.post_json(
            "/api/v1/statuses",
            json!({"status": "which?", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
        )
        .await,
    )
    .await;
    check(&mut problems, "Poll", &with_poll["poll"], POLL);
    for o in with_poll["poll"]["options"].as_array().unwrap() {
        check(
            &mut problems,
            "Poll.option",
            o,
            &[("title", "s"), ("votes_count", "i?")],
        );
    }

    let context = api
        .json(&format!(
            "/api/v1/statuses/{}/context",
            reply["id"].as_str().unwrap()
        ))
        .await;
    check(
        &mut problems,
        "Context",
        &context,
        &[("ancestors", "a"), ("descendants", "a")],
    );
    check(
        &mut problems,
        "Context.ancestors[0]",
        &context["ancestors"][0],
        STATUS,
    );

    let tag = api.json("/api/v1/tags/shapes").await;
    check(
        &mut problems,
        "Tag",
        &tag,
        &[
            ("id", "s"),
            ("name", "s"),
            ("url", "s"),
            ("history", "a"),
            ("following", "b"),
        ],
    );
    let list = ok_json(api.post("/api/v1/lists", &[("title", "friends")]).await).await;
    check(
        &mut problems,
        "List",
        &list,
        &[
            ("id", "s"),
            ("title", "s"),
            ("replies_policy", "s"),
            ("exclusive", "b"),
        ],
    );
    let filter = ok_json(
        api.post_json(
            "/api/v2/filters",
            json!({"title": "no spoilers", "context": ["home"],
                   "keywords_attributes": [{"keyword": "spoiler"}]}),
        )
        .await,
    )
    .await;
    check(
        &mut problems,
        "Filter",
        &filter,
        &[
            ("id", "s"),
            ("title", "s"),
            ("context", "a"),
            ("expires_at", "s?"),
            ("filter_action", "s"),
            ("keywords", "a"),
            ("statuses", "a"),
        ],
    );
    check(
        &mut problems,
        "FilterKeyword",
        &filter["keywords"][0],
        &[("id", "s"), ("keyword", "s"), ("whole_word", "b")],
    );

    let push = ok_json(
        api.post(
            "/api/v1/push/subscription",
            &[
                ("subscription[endpoint]", "https://push.example/wpush/1"),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
            ],
        )
        .await,
    )
    .await;
    check(
        &mut problems,
        "WebPushSubscription",
        &push,
        &[
            ("id", "i"),
            ("endpoint", "s"),
            ("standard", "b"),
            ("alerts", "o"),
            ("alerts.mention", "b"),
            ("server_key", "s"),
            ("policy", "s"),
        ],
    );

    ok_json(
        api.post("/api/v1/markers", &[("home[last_read_id]", id.as_str())])
            .await,
    )
    .await;
    let markers = api.json("/api/v1/markers?timeline[]=home").await;
    check(
        &mut problems,
        "Marker",
        &markers["home"],
        &[("last_read_id", "s"), ("version", "i"), ("updated_at", "s")],
    );

    ok_json(
        api.post_json(
            "/api/v1/statuses",
            json!({"status": "a note to myself", "visibility": "direct"}),
        )
        .await,
    )
    .await;
    let conversations = api.json("/api/v1/conversations").await;
    check(
        &mut problems,
        "Conversation",
        &conversations[0],
        &[
            ("id", "s"),
            ("unread", "b"),
            ("accounts", "a"),
            ("last_status", "o?"),
        ],
    );

    let notifications = api.json("/api/v1/notifications").await;
    // A remote GIF is served from its server as a GIF: an image too.
    let remote_media = &notifications[0]["status"]["media_attachments"][0];
    check(
        &mut problems,
        "MediaAttachment (remote)",
        remote_media,
        MEDIA,
    );
    label(&mut problems, "MediaAttachment (remote GIF)", remote_media);
    check(
        &mut problems,
        "Notification",
        &notifications[0],
        NOTIFICATION,
    );
    let grouped = api.json("/api/v2/notifications").await;
    check(
        &mut problems,
        "GroupedNotificationsResults",
        &grouped,
        GROUPED,
    );
    check(
        &mut problems,
        "NotificationGroup",
        &grouped["notification_groups"][0],
        GROUP,
    );

    let rel = api
        .json(&format!("/api/v1/accounts/relationships?id[]={erin}"))
        .await;
    check(&mut problems, "Relationship", &rel[0], RELATIONSHIP);

    let v1 = api.json("/api/v1/instance").await;
    check(&mut problems, "Instance (v1)", &v1, INSTANCE_V1);
    let v2 = api.json("/api/v2/instance").await;
    check(&mut problems, "Instance (v2)", &v2, INSTANCE_V2);

    let policy = api.json("/api/v2/notifications/policy").await;
    check(
        &mut problems,
        "NotificationPolicy",
        &policy,
        &[
            ("for_not_following", "s"),
            ("for_private_mentions", "s"),
            ("summary.pending_requests_count", "i"),
            ("summary.pending_notifications_count", "i"),
        ],
    );

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
