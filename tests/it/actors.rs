//! Remote actors as real servers publish them (fixtures from Mastodon,
//! GoToSocial, Pleroma, Akkoma, Misskey), and fetching one over HTTP.

use crate::common;
use burrow::federation::actors::{self, parse_actor, upsert_actor, ActorError};
use burrow::store::Store;
use common::*;
use serde_json::{json, Value};

const NOW: i64 = 1_767_323_045_000;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/actors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn mastodon_actor() {
    let a = parse_actor(&fixture("mastodon.json"), NOW).unwrap();
    assert_eq!(a.username, "Gargron");
    assert_eq!(a.domain.as_deref(), Some("mastodon.social"));
    assert_eq!(a.acct(), "Gargron@mastodon.social");
    assert_eq!(a.uri, "https://mastodon.social/users/Gargron");
    assert_eq!(a.url, "https://mastodon.social/@Gargron");
    assert_eq!(a.display_name, "Eugen Rochko");
    assert!(a.note.starts_with("<p>Founder"));
    assert_eq!(a.inbox, "https://mastodon.social/users/Gargron/inbox");
    assert_eq!(a.shared_inbox, "https://mastodon.social/inbox");
    assert_eq!(
        a.featured_url,
        "https://mastodon.social/users/Gargron/collections/featured"
    );
    assert_eq!(
        a.public_key_id,
        "https://mastodon.social/users/Gargron#main-key"
    );
    assert!(a.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(a.fields.len(), 2);
    assert_eq!(a.fields[0].name, "Patreon");
    assert!(a.fields[1].value.contains("github.com/Gargron"));
    assert!(a.avatar.ends_with("35bbc8bd5d97cff9.png"));
    assert!(a.header.ends_with("e6b0f3cf210ad2a9.png"));
    assert!(!a.locked && !a.bot && a.discoverable);
    assert_eq!(a.also_known_as, ["https://tooting.ai/users/Gargron"]);
    assert_eq!(
        burrow::time_fmt::iso8601_ms(a.created_at_ms),
        "2016-03-16T00:00:00.000Z"
    );
    assert_eq!(a.fetched_at_ms, NOW);
}

#[test]
fn gotosocial_actor() {
    let a = parse_actor(&fixture("gotosocial.json"), NOW).unwrap();
    assert_eq!(a.acct(), "1happyturtle@example.org");
    assert!(a.locked);
    assert!(!a.discoverable);
    assert_eq!(a.shared_inbox, "", "GoToSocial has no shared inbox");
    assert_eq!(a.fields.len(), 2);
    assert_eq!(a.fields[0].value, "maybe!");
    assert_eq!(a.note, "<p>i post about things that concern me</p>");
    assert_eq!(a.avatar, "");
    // No `published`: the time we first saw it.
    assert_eq!(a.created_at_ms, NOW);
    assert!(!a.public_key_pem.is_empty());
}

#[test]
fn pleroma_and_akkoma_actors() {
    let p = parse_actor(&fixture("pleroma.json"), NOW).unwrap();
    assert_eq!(p.acct(), "karolat@stereophonic.space");
    assert_eq!(p.shared_inbox, "https://stereophonic.space/inbox");
    assert!(p.locked);
    assert!(p.avatar.ends_with(".jpg"));
    assert!(p.also_known_as.is_empty());
    assert!(p.public_key_pem.ends_with("-----\n\n"), "kept as sent");

    let a = parse_actor(&fixture("akkoma.json"), NOW).unwrap();
    assert_eq!(a.acct(), "helene@p.helene.moe");
    assert_eq!(a.display_name, "Hélène");
    assert_eq!(a.fields[0].name, "Timezone");
    assert!(a.discoverable);
    assert_eq!(a.url, "https://p.helene.moe/users/helene");
}

#[test]
fn misskey_actor() {
    let a = parse_actor(&fixture("misskey.json"), NOW).unwrap();
    assert_eq!(a.acct(), "aimu@misskey.io");
    assert_eq!(a.url, "https://misskey.io/@aimu");
    assert_eq!(a.shared_inbox, "https://misskey.io/inbox");
    assert_eq!(
        a.public_key_id,
        "https://misskey.io/users/83ssedkv53#main-key"
    );
    assert!(a.avatar.ends_with(".jpg"));
    // A 4096-bit key reads like any other.
    assert!(burrow::crypto::keys::PublicKey::from_pem(&a.public_key_pem).is_some());
}

#[test]
fn odd_but_valid_shapes_are_read() {
    let mut doc = fixture("mastodon.json");
    doc["type"] = json!("Service");
    doc["icon"] = json!([
        { "type": "Image", "url": { "type": "Link", "href": "https://cdn.example/a.png" } },
        { "type": "Image", "url": "https://cdn.example/b.png" }
    ]);
    doc["image"] = json!("https://cdn.example/header.png");
    doc["alsoKnownAs"] = json!("https://old.example/users/me");
    doc["endpoints"] = json!({});
    let key = doc["publicKey"].clone();
    let mut foreign = key.clone();
    foreign["id"] = json!("https://evil.example/k");
    foreign["owner"] = json!("https://evil.example/users/x");
    doc["publicKey"] = json!([foreign, key]);
    let a = parse_actor(&doc, NOW).unwrap();
    assert!(a.bot);
    assert_eq!(a.avatar, "https://cdn.example/a.png");
    assert_eq!(a.header, "https://cdn.example/header.png");
    assert_eq!(a.also_known_as, ["https://old.example/users/me"]);
    assert_eq!(a.shared_inbox, "");
    assert_eq!(
        a.public_key_id, "https://mastodon.social/users/Gargron#main-key",
        "the key owned by the actor, not the first one"
    );

    for kind in ["Group", "Organization", "Application", "Person"] {
        doc["type"] = json!(kind);
        assert!(parse_actor(&doc, NOW).is_ok(), "{kind}");
    }
    let mut port = fixture("gotosocial.json");
    port["id"] = json!("http://127.0.0.1:8080/users/x");
    assert_eq!(
        parse_actor(&port, NOW).unwrap().domain.as_deref(),
        Some("127.0.0.1:8080")
    );
}

#[test]
fn unusable_documents_are_refused_with_a_reason() {
    let base = fixture("gotosocial.json");
    let cases: [(&str, Value, &str); 4] = [
        ("type", json!("Note"), "actor type"),
        ("inbox", Value::Null, "inbox"),
        ("preferredUsername", json!("a b"), "preferredUsername"),
        ("id", json!("not a url"), "not a URL"),
    ];
    for (key, value, needle) in cases {
        let mut doc = base.clone();
        doc[key] = value;
        let err = parse_actor(&doc, NOW).unwrap_err();
        assert!(
            matches!(err, ActorError::Invalid(_)) && err.to_string().contains(needle),
            "{key}: {err}"
        );
    }
}

#[test]
fn upserting_keeps_the_id_of_a_known_actor() {
    let store = Store::temporary().unwrap();
    let first = upsert_actor(&store, parse_actor(&fixture("misskey.json"), NOW).unwrap()).unwrap();
    assert_ne!(first.id, 0);
    let mut doc = fixture("misskey.json");
    doc["name"] = json!("renamed");
    let second = upsert_actor(&store, parse_actor(&doc, NOW + 1).unwrap()).unwrap();
    assert_eq!(second.id, first.id);
    let stored = store.account_by_acct("aimu@misskey.io").unwrap().unwrap();
    assert_eq!(stored.display_name, "renamed");
    assert_eq!(stored.id, first.id);
}

#[tokio::test]
async fn one_server_fetches_and_stores_the_others_actor() {
    let alice = TestServer::start().await;
    let bob = TestServer::start_with(TestOptions {
        username: Some("bob"),
        key_seed: 2,
        ..Default::default()
    })
    .await;
    let url = alice.url("/users/alice");
    let a = actors::fetch_actor(&bob.state, &url).await.unwrap();
    assert_eq!(a.uri, url);
    assert_eq!(a.acct(), format!("alice@{}", alice.host));
    assert_eq!(a.public_key_id, format!("{url}#main-key"));
    assert_eq!(
        bob.state.store.account_by_uri(&url).unwrap().unwrap().id,
        a.id
    );

    // Found again through WebFinger: same account, same id.
    let again = actors::resolve_acct(&bob.state, &format!("alice@{}", alice.host))
        .await
        .unwrap();
    assert_eq!(again.id, a.id);

    // The owner is never replaced from outside.
    let err = actors::fetch_actor(&bob.state, &bob.url("/users/bob"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("local account"), "{err}");
}

/// GoToSocial's key stub looks like an actor but is not one: it must only
/// lead to the owner, never be stored in its place.
#[test]
fn a_gotosocial_key_stub_is_not_an_actor() {
    let err = parse_actor(&fixture("gotosocial-key-stub.json"), NOW).unwrap_err();
    assert!(err.to_string().contains("inbox"), "{err}");
}
