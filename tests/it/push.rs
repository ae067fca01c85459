//! Web Push over real HTTP: the RFC 8291 example byte for byte, the
//! subscription API as apps use it, and a push service on loopback that
//! receives, and decrypts, the owner's notifications.

use crate::common;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use burrow::events::Event;
use burrow::ops::{follows, oauth};
use burrow::push::ece;
use burrow::store::accounts::Account;
use burrow::store::notifications::Notification;
use common::*;
use ring::agreement::{EphemeralPrivateKey, ECDH_P256};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

// RFC 8291 §5 and Appendix A.
const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
pub(crate) const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
pub(crate) const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
pub(crate) const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

pub(crate) fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// A ring ECDH key with a chosen scalar. ring only makes keys from its
/// random source; its (hidden, deprecated) fixed-output source lets a
/// test pin the scalar. Test code only: production keys are random.
pub(crate) fn fixed_key(scalar: &[u8]) -> EphemeralPrivateKey {
    #[allow(deprecated)]
    let rng = ring::test::rand::FixedSliceRandom { bytes: scalar };
    EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap()
}

#[test]
fn rfc_8291_example_encrypts_byte_for_byte_and_decrypts() {
    let salt: [u8; 16] = b64(SALT).try_into().unwrap();
    let body = ece::encrypt_with(
        fixed_key(&b64(AS_PRIVATE)),
        &salt,
        &b64(UA_PUBLIC),
        &b64(AUTH),
        PLAINTEXT.as_bytes(),
    )
    .unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
    let opened = ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &b64(BODY)).unwrap();
    assert_eq!(opened, PLAINTEXT.as_bytes());
    // Fresh keys and salt every time, and the subscriber still reads it.
    let a = ece::encrypt(&b64(UA_PUBLIC), &b64(AUTH), b"hi").unwrap();
    let b = ece::encrypt(&b64(UA_PUBLIC), &b64(AUTH), b"hi").unwrap();
    assert_ne!(a[..ece::HEADER_LEN], b[..ece::HEADER_LEN]);
    assert_eq!(
        ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &a).unwrap(),
        b"hi"
    );
}

/// What the push service received.
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// A push service on loopback that records every message and answers
/// with `status`.
pub(crate) struct Sink {
    pub(crate) endpoint: String,
    pub(crate) origin: String,
    rx: mpsc::UnboundedReceiver<Received>,
    status: Arc<AtomicU16>,
}

impl Sink {
    pub(crate) async fn start(status: u16) -> Sink {
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Arc::new(AtomicU16::new(status));
        let answer = status.clone();
        let app = axum::Router::new().route(
            "/wpush/{id}",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                let answer = answer.clone();
                async move {
                    let _ = tx.send(Received {
                        headers,
                        body: body.to_vec(),
                    });
                    StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Sink {
            endpoint: format!("{origin}/wpush/abc123"),
            origin,
            rx,
            status,
        }
    }

    /// The next message (bounded wait: delivery runs in the background).
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.rx.recv())
            .await
            .expect("the push service received a message in time")
            .expect("the sink is running")
    }
}

async fn subscribe(s: &TestServer, token: &str, endpoint: &str, extra: &[(&str, &str)]) -> Value {
    // These tests read RFC 8291; `push_legacy` covers the default coding.
    let mut form = vec![
        ("subscription[endpoint]", endpoint),
        ("subscription[keys][p256dh]", UA_PUBLIC),
        ("subscription[keys][auth]", AUTH),
        ("subscription[standard]", "true"),
    ];
    form.extend_from_slice(extra);
    let res = client()
        .post(s.url("/api/v1/push/subscription"))
        .bearer_auth(token)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub(crate) async fn vapid_key(s: &TestServer) -> String {
    let v: Value = client()
        .get(s.url("/api/v2/instance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["configuration"]["vapid"]["public_key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A stranger's account and a notification from them, announced as the
/// operations do.
pub(crate) fn notify_from_stranger(s: &TestServer, kind: &str) -> u64 {
    let store = &s.state.store;
    let carol = Account {
        id: store.next_id(),
        username: "carol".into(),
        domain: Some("remote.example".into()),
        uri: "https://remote.example/users/carol".into(),
        display_name: "Carol".into(),
        note: "<p>I write about moss.</p>".into(),
        ..Default::default()
    };
    store.put_account(&carol).unwrap();
    let n = Notification {
        id: store.next_id(),
        kind: kind.into(),
        account_id: carol.id,
        ..Default::default()
    };
    assert!(store.transact(|tx| tx.notify(&n)).unwrap());
    s.state.events.send(Event::Notification(n.id)).unwrap();
    n.id
}

#[tokio::test]
async fn a_new_follower_reaches_the_phone_encrypted_and_signed() {
    let (a, b) = pair().await;
    let mut sink = Sink::start(201).await;
    let tok = token(&a, "read write push").await;
    let sub = subscribe(
        &a,
        &tok,
        &sink.endpoint,
        &[
            ("data[alerts][follow]", "true"),
            ("data[alerts][favourite]", "true"),
            ("data[policy]", "all"),
        ],
    )
    .await;
    let server_key = vapid_key(&a).await;
    assert_eq!(sub["server_key"], server_key);

    // bob, on the other server, follows alice.
    let alice = burrow::federation::resolve_handle(&b.state, &format!("alice@{}", a.host))
        .await
        .expect("alice resolves");
    follows::follow(&b.state, alice.id, Default::default())
        .await
        .unwrap();

    let msg = sink.next().await;
    let h = |name: &str| {
        msg.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(h("content-encoding"), "aes128gcm");
    assert!(h("ttl").parse::<u64>().unwrap() > 0);
    assert_eq!(h("urgency"), "normal");

    // The VAPID token is signed by the key apps subscribed with, for
    // this push service, and not for long.
    let auth = h("authorization");
    let (jwt, k) = auth
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .expect("a vapid authorization");
    assert_eq!(k, server_key);
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, b64(k))
        .verify(input.as_bytes(), &b64(sig))
        .expect("the JWT verifies with the VAPID key");
    let (head, claims) = input.split_once('.').unwrap();
    let head: Value = serde_json::from_slice(&b64(head)).unwrap();
    assert_eq!(head, json!({"typ": "JWT", "alg": "ES256"}));
    let claims: Value = serde_json::from_slice(&b64(claims)).unwrap();
    assert_eq!(claims["aud"], sink.origin);
    let now = burrow::time_fmt::now_ms() / 1000;
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600);
    assert_eq!(claims["sub"], a.base);

    // Only the subscriber can read it: the payload names the notification.
    let plain = ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &msg.body).unwrap();
    let payload: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(payload["notification_type"], "follow");
    // Only the token's hash is stored, so the payload cannot carry it.
    assert_eq!(payload["access_token"], "");
    assert_ne!(payload["access_token"], tok);
    assert_eq!(payload["preferred_locale"], "en");
    let id = payload["notification_id"].as_u64().expect("a numeric id");
    let n = a.state.store.notification(id).unwrap().expect("it exists");
    assert_eq!(n.kind, "follow");
    let bob_on_a = a.state.store.account(n.account_id).unwrap().unwrap();
    assert_eq!(bob_on_a.username, "bob");
    assert!(payload["title"].as_str().unwrap().contains("bob"));
    assert!(payload["icon"].as_str().unwrap().starts_with("http"));
}

#[tokio::test]
async fn a_gone_subscription_is_removed() {
    let s = TestServer::start().await;
    let mut sink = Sink::start(410).await;
    let tok = token(&s, "push").await;
    subscribe(&s, &tok, &sink.endpoint, &[("data[alerts][mention]", "1")]).await;
    let hash = burrow::crypto::token_hash(&tok);
    assert!(s.state.store.push_subscription(&hash).unwrap().is_some());

    notify_from_stranger(&s, "mention");
    let msg = sink.next().await;
    let payload: Value = serde_json::from_slice(
        &ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &msg.body).unwrap(),
    )
    .unwrap();
    assert_eq!(payload["notification_type"], "mention");
    assert_eq!(payload["title"], "Carol mentioned you");
    assert_eq!(payload["body"], "I write about moss.");

    eventually("the subscription is removed", || {
        s.state.store.push_subscription(&hash).unwrap().is_none()
    })
    .await;
    let res = client()
        .get(s.url("/api/v1/push/subscription"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Nothing more is sent to it.
    sink.status.store(201, Ordering::SeqCst);
    assert_eq!(
        burrow::push::queue_notification(&s.state, notify_from_stranger(&s, "mention"))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn alerts_policies_and_revoked_tokens_decide_what_is_pushed() {
    let s = TestServer::start().await;
    let sink = Sink::start(201).await;
    let tok = token(&s, "push").await;
    subscribe(
        &s,
        &tok,
        &sink.endpoint,
        &[("data[alerts][favourite]", "true"), ("data[policy]", "all")],
    )
    .await;
    let queued = |kind: &'static str| {
        let s = &s;
        async move {
            burrow::push::queue_notification(&s.state, notify_from_stranger(s, kind))
                .await
                .unwrap()
        }
    };
    // favourites are on, follows off.
    assert_eq!(queued("follow").await, 0);
    assert_eq!(queued("favourite").await, 1);
    // Only people alice follows: carol is not one.
    let set_policy = |policy: &'static str| {
        let s = &s;
        let tok = tok.clone();
        async move {
            let res = client()
                .put(s.url("/api/v1/push/subscription"))
                .bearer_auth(&tok)
                .form(&[("data[policy]", policy)])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["policy"], policy);
            assert_eq!(v["alerts"]["favourite"], true, "alerts stay as they were");
        }
    };
    set_policy("followed").await;
    assert_eq!(queued("favourite").await, 0);
    set_policy("none").await;
    assert_eq!(queued("favourite").await, 0);
    set_policy("all").await;
    assert_eq!(queued("favourite").await, 1);
    // A revoked token takes its subscription with it.
    let hash = burrow::crypto::token_hash(&tok);
    let record = s.state.store.token(&hash).unwrap().unwrap();
    s.state.store.delete_token(&record).unwrap();
    assert_eq!(queued("favourite").await, 0);
    assert!(s.state.store.push_subscription(&hash).unwrap().is_none());
}

#[tokio::test]
async fn subscriptions_are_made_shown_changed_and_removed_per_token() {
    let s = TestServer::start().await;
    let tok = token(&s, "read push").await;
    let other = token(&s, "push").await;
    let api = s.url("/api/v1/push/subscription");
    let get = |t: String| {
        let api = api.clone();
        async move {
            let r = client().get(api).bearer_auth(t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };

    assert_eq!(
        get(tok.clone()).await,
        (404, json!({"error": "Record not found"}))
    );

    // JSON, with the admin alerts nested as some apps send them.
    let res = client()
        .post(&api)
        .bearer_auth(&tok)
        .json(&json!({
            "subscription": {
                "endpoint": "https://push.example/wpush/1",
                "keys": {"p256dh": UA_PUBLIC, "auth": AUTH}
            },
            "data": {
                "alerts": {"mention": true, "poll": "true", "admin": {"report": true}},
                "policy": "follower"
            }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let made: Value = res.json().await.unwrap();
    assert!(made["id"].is_u64(), "an integer, as Mastodon sends it");
    assert_eq!(made["standard"], false, "legacy unless asked");
    assert_eq!(made["endpoint"], "https://push.example/wpush/1");
    assert_eq!(made["server_key"], vapid_key(&s).await);
    assert_eq!(made["policy"], "follower");
    assert_eq!(
        made["alerts"],
        json!({
            "mention": true, "status": false, "reblog": false, "follow": false,
            "follow_request": false, "favourite": false, "poll": true, "update": false,
            "admin.sign_up": false, "admin.report": true
        })
    );
    assert_eq!(get(tok.clone()).await, (200, made.clone()));
    // Another token has its own (none yet).
    assert_eq!(get(other.clone()).await.0, 404);

    // PUT replaces the alerts given, keeps the policy when none is given.
    let res = client()
        .put(&api)
        .bearer_auth(&tok)
        .form(&[("data[alerts][follow]", "true")])
        .send()
        .await
        .unwrap();
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["alerts"]["follow"], true);
    assert_eq!(changed["alerts"]["mention"], false);
    assert_eq!(changed["policy"], "follower");
    assert_eq!(changed["id"], made["id"]);

    // A second POST replaces the first.
    let again = subscribe(&s, &tok, "https://push.example/wpush/2", &[]).await;
    assert_ne!(again["id"], made["id"]);
    assert_eq!(
        get(tok.clone()).await.1["endpoint"],
        "https://push.example/wpush/2"
    );
    assert_eq!(s.state.store.push_subscriptions().unwrap().len(), 1);

    // Bad input is refused with a reason.
    for (form, needle) in [
        (
            vec![
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
            ],
            "endpoint",
        ),
        (
            vec![
                ("subscription[endpoint]", "https://push.example/x"),
                ("subscription[keys][p256dh]", "AAAA"),
                ("subscription[keys][auth]", AUTH),
            ],
            "p256dh",
        ),
        (
            vec![
                ("subscription[endpoint]", "https://push.example/x"),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", "AAAA"),
            ],
            "auth",
        ),
        (
            vec![
                ("subscription[endpoint]", "ftp://push.example/x"),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
            ],
            "endpoint",
        ),
        (
            vec![
                ("subscription[endpoint]", "https://push.example/x"),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
                ("data[policy]", "friends"),
            ],
            "policy",
        ),
    ] {
        let res = client()
            .post(&api)
            .bearer_auth(&tok)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{form:?}");
        let v: Value = res.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(needle), "{v}");
    }
    let res = client()
        .put(&api)
        .bearer_auth(&tok)
        .form(&[("data[alerts][mention]", "perhaps")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // DELETE answers {} whether or not there was one.
    for _ in 0..2 {
        let res = client()
            .delete(&api)
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    }
    assert_eq!(get(tok.clone()).await.0, 404);
    let res = client().put(&api).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn push_needs_the_push_scope_and_a_user() {
    let s = TestServer::start().await;
    let tok = token(&s, "read write follow").await;
    let api = s.url("/api/v1/push/subscription");
    let c = client();
    for req in [
        c.get(&api),
        c.post(&api)
            .form(&[("subscription[endpoint]", "https://push.example/x")]),
        c.put(&api),
        c.delete(&api),
    ] {
        let res = req.bearer_auth(&tok).send().await.unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"error": "This action is outside the authorized scopes"})
        );
    }
    let res = c.get(&api).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // The key apps subscribe with is published the same everywhere.
    let key = vapid_key(&s).await;
    assert_eq!(b64(&key).len(), 65);
    let app: Value = c
        .post(s.url("/api/v1/apps"))
        .form(&[("client_name", "x"), ("redirect_uris", oauth::OOB)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["vapid_key"], key);
}

#[tokio::test]
async fn endpoints_must_be_public_https_urls() {
    let s = TestServer::start_with(TestOptions {
        allow_private_network: false,
        ..Default::default()
    })
    .await;
    let tok = token(&s, "push").await;
    for (endpoint, needle) in [
        ("http://push.example/wpush/1", "https"),
        ("https://127.0.0.1/wpush/1", "private"),
    ] {
        let res = client()
            .post(s.url("/api/v1/push/subscription"))
            .bearer_auth(&tok)
            .form(&[
                ("subscription[endpoint]", endpoint),
                ("subscription[keys][p256dh]", UA_PUBLIC),
                ("subscription[keys][auth]", AUTH),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{endpoint}");
        let v: Value = res.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(needle), "{v}");
    }
}
