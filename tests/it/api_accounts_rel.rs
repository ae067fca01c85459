//! Accounts and relationships through the Mastodon API, as an app logged
//! in through OAuth uses them: looking people up, following across two
//! instances, follower lists with `Link` paging, follow requests, blocks,
//! mutes, notes and domain blocks.

use crate::api_client;
use crate::common;
use api_client::Api;
use api_client::*;
use burrow::store::accounts::Account;
use burrow::store::relations::Rel;
use common::*;
use serde_json::{json, Value};

const SCOPES: &str = "read write follow";

/// A remote account the server knows but that does not answer (its inbox
/// is a closed port), for relations that need no federation.
fn stranger(s: &TestServer, name: &str, domain: &str) -> u64 {
    let a = Account {
        id: s.state.store.next_id(),
        username: name.into(),
        domain: Some(domain.into()),
        uri: format!("https://{domain}/users/{name}"),
        display_name: format!("{name} from afar"),
        inbox: "http://127.0.0.1:9/inbox".into(),
        created_at_ms: 1_767_323_045_007,
        ..Default::default()
    };
    s.state.store.put_account(&a).unwrap();
    a.id
}

/// `stranger` follows the owner: their Follow goes through the same
/// operation the inbox worker runs.
async fn follows_owner(s: &TestServer, id: u64) {
    let them = s.state.store.account(id).unwrap().unwrap();
    let owner = s.state.store.owner_account().unwrap().unwrap();
    let follow = json!({
        "id": format!("{}#follows/{}", them.uri, id),
        "type": "Follow",
        "actor": them.uri,
        "object": owner.uri,
    });
    burrow::ops::inbound::process(&s.state, &them, &follow)
        .await
        .unwrap();
}

fn owner_id(s: &TestServer) -> u64 {
    s.state.store.owner().unwrap().unwrap().account_id
}

async fn relationship(api: &Api<'_>, id: &str) -> Value {
    let r = api
        .get(&format!("/api/v1/accounts/relationships?id[]={id}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json[0].clone()
}

#[tokio::test]
async fn owner_looks_up_and_follows_someone_on_another_server() {
    let (a, b) = pair().await;
    let api = Api::login(&a, SCOPES).await;
    let handle = format!("bob@{}", b.host);

    // Not known yet: lookup asks bob's server.
    let r = api
        .get(&format!("/api/v1/accounts/lookup?acct=@{handle}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["acct"], handle.as_str());
    let bob_id = r.json["id"].as_str().unwrap().to_string();
    assert!(bob_id.parse::<u64>().is_ok(), "ids are decimal strings");
    assert!(is_ms_date(r.json["created_at"].as_str().unwrap()));

    let r = api.get(&format!("/api/v1/accounts/{bob_id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["username"], "bob");
    // Anyone may read an account.
    let r = Api::anonymous(&a)
        .get(&format!("/api/v1/accounts/{bob_id}"))
        .await;
    assert_eq!(r.status, 200);

    let r = api
        .post_form(
            &format!("/api/v1/accounts/{bob_id}/follow"),
            &[("reblogs", "false"), ("notify", "true")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_keys(&r.json, RELATIONSHIP_KEYS);
    assert_eq!(r.json["id"], bob_id.as_str());
    assert_eq!(r.json["requested"], true);
    assert_eq!(r.json["following"], false);
    assert_eq!(r.json["showing_reblogs"], false);
    assert_eq!(r.json["notifying"], true);

    let id: u64 = bob_id.parse().unwrap();
    eventually("bob's server accepts the follow", || {
        a.state.store.has_relation(Rel::Following, id).unwrap()
    })
    .await;
    let rel = relationship(&api, &bob_id).await;
    assert_eq!(rel["following"], true);
    assert_eq!(rel["requested"], false);
    assert_eq!(rel["notifying"], true);
    assert_eq!(rel["note"], "");

    let me = owner_id(&a);
    let r = api.get(&format!("/api/v1/accounts/{me}/following")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["acct"], handle.as_str());
    // Bob's own lists are not known here: an empty list, not an error.
    let r = api
        .get(&format!("/api/v1/accounts/{bob_id}/followers"))
        .await;
    assert_eq!((r.status, r.json.clone()), (200, json!([])));

    // Changing options on an existing follow keeps it.
    let r = api
        .post(
            &format!("/api/v1/accounts/{bob_id}/follow"),
            json!({"reblogs": true}),
        )
        .await;
    assert_eq!(r.json["following"], true);
    assert_eq!(r.json["showing_reblogs"], true);
    assert_eq!(r.json["notifying"], true);

    let r = api
        .post(&format!("/api/v1/accounts/{bob_id}/unfollow"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["following"], false);
    eventually("bob's server hears of the unfollow", || {
        let alice = b
            .state
            .store
            .account_by_acct(&format!("alice@{}", a.host))
            .unwrap();
        alice.is_some_and(|al| !b.state.store.has_relation(Rel::FollowedBy, al.id).unwrap())
    })
    .await;
}

#[tokio::test]
async fn relationships_for_several_accounts() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let x = stranger(&s, "xavier", "far.example");
    let y = stranger(&s, "yolanda", "far.example");
    follows_owner(&s, y).await;
    let r = api
        .get(&format!(
            "/api/v1/accounts/relationships?id[]={x}&id[]={y}&id[]=999999"
        ))
        .await;
    assert_eq!(r.status, 200);
    let list = r.json.as_array().unwrap();
    assert_eq!(list.len(), 2, "unknown ids are left out: {list:?}");
    assert_eq!(list[0]["id"], x.to_string());
    assert_eq!(list[0]["followed_by"], false);
    assert_eq!(list[1]["id"], y.to_string());
    assert_eq!(list[1]["followed_by"], true);
    for rel in list {
        assert_keys(rel, RELATIONSHIP_KEYS);
    }
    // A single `id` works too.
    let r = api
        .get(&format!("/api/v1/accounts/relationships?id={y}"))
        .await;
    assert_eq!(r.json[0]["followed_by"], true);

    // A private note.
    let r = api
        .post_form(
            &format!("/api/v1/accounts/{x}/note"),
            &[("comment", "met at the conference")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["note"], "met at the conference");
    assert_eq!(
        relationship(&api, &x.to_string()).await["note"],
        "met at the conference"
    );

    let r = api
        .get(&format!("/api/v1/accounts/familiar_followers?id[]={x}"))
        .await;
    assert_eq!(r.json, json!([{"id": x.to_string(), "accounts": []}]));
}

#[tokio::test]
async fn followers_are_paged_with_link_headers() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let mut fans = Vec::new();
    for i in 0..45 {
        let id = stranger(&s, &format!("fan{i}"), "fans.example");
        follows_owner(&s, id).await;
        fans.push(id);
    }
    let me = owner_id(&s);
    let path = format!("/api/v1/accounts/{me}/followers");
    let first = Api::anonymous(&s).get(&path).await;
    assert_eq!(first.status, 200);
    let page = first.json.as_array().unwrap();
    assert_eq!(page.len(), 40, "Mastodon's default page");
    assert_eq!(page[0]["id"], fans[44].to_string(), "newest first");
    let next = first.link_to("next").expect("a next link");
    let prev = first.link_to("prev").expect("a prev link");
    assert!(next.starts_with(&s.base), "absolute: {next}");
    assert!(next.contains("max_id="), "{next}");
    assert!(prev.contains("min_id="), "{prev}");

    let second = api.get(&next).await;
    let rest = second.json.as_array().unwrap();
    assert_eq!(rest.len(), 5);
    assert_eq!(rest[4]["id"], fans[0].to_string());
    assert!(second.link_to("next").is_none(), "{:?}", second.link);
    assert!(second.link_to("prev").is_some());

    // Going back from the second page gives the newest of the first.
    let back = api.get(&second.link_to("prev").unwrap()).await;
    let back = back.json.as_array().unwrap();
    assert_eq!(back.len(), 40);
    assert_eq!(back[39]["id"], fans[5].to_string());

    // The limit is clamped to 80; an empty page has no Link at all.
    let all = api.get(&format!("{path}?limit=500")).await;
    assert_eq!(all.json.as_array().unwrap().len(), 45);
    assert!(all.link_to("next").is_none());
    let past = api.get(&format!("{path}?max_id=1")).await;
    assert_eq!(past.json, json!([]));
    assert!(past.link.is_none());
    let small = api.get(&format!("{path}?limit=2")).await;
    assert!(small.link_to("next").unwrap().contains("limit=2"));

    let owner = api.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(owner.json["followers_count"], 45);
}

#[tokio::test]
async fn follow_requests_are_authorized_and_rejected() {
    let (a, b) = pair().await;
    let api = Api::login(&a, SCOPES).await;
    let r = api
        .patch_form("/api/v1/accounts/update_credentials", &[("locked", "true")])
        .await;
    assert_eq!(r.json["locked"], true, "{}", r.json);

    // bob, on the other server, asks to follow.
    let alice_on_b = burrow::federation::resolve_handle(&b.state, &format!("alice@{}", a.host))
        .await
        .unwrap();
    burrow::ops::follows::follow(&b.state, alice_on_b.id, Default::default())
        .await
        .unwrap();
    let bob_uri = format!("{}/users/bob", b.base);
    let bob_here = || a.state.store.account_by_uri(&bob_uri).unwrap();
    eventually("the request arrives", || {
        bob_here().is_some_and(|bob| {
            a.state
                .store
                .has_relation(Rel::RequestedBy, bob.id)
                .unwrap()
        })
    })
    .await;
    let bob_id = bob_here().unwrap().id.to_string();

    let r = api.get("/api/v1/follow_requests").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["id"], bob_id.as_str());
    assert!(r.link_to("prev").is_some());
    assert_eq!(relationship(&api, &bob_id).await["requested_by"], true);

    let r = api
        .post(
            &format!("/api/v1/follow_requests/{bob_id}/authorize"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["followed_by"], true);
    assert_eq!(r.json["requested_by"], false);
    eventually("bob learns he was accepted", || {
        b.state
            .store
            .has_relation(Rel::Following, alice_on_b.id)
            .unwrap()
    })
    .await;
    let r = api.get("/api/v1/follow_requests").await;
    assert_eq!(r.json, json!([]));
    // Nothing left to answer.
    let r = api
        .post(
            &format!("/api/v1/follow_requests/{bob_id}/reject"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);

    // bob leaves, asks again, and is turned down.
    burrow::ops::follows::unfollow(&b.state, alice_on_b.id)
        .await
        .unwrap();
    let bob_num: u64 = bob_id.parse().unwrap();
    eventually("the unfollow arrives", || {
        !a.state
            .store
            .has_relation(Rel::FollowedBy, bob_num)
            .unwrap()
    })
    .await;
    burrow::ops::follows::follow(&b.state, alice_on_b.id, Default::default())
        .await
        .unwrap();
    eventually("the second request arrives", || {
        a.state
            .store
            .has_relation(Rel::RequestedBy, bob_num)
            .unwrap()
    })
    .await;
    let r = api
        .post(
            &format!("/api/v1/follow_requests/{bob_id}/reject"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["requested_by"], false);
    assert_eq!(r.json["followed_by"], false);
    eventually("bob learns he was rejected", || {
        !b.state
            .store
            .has_relation(Rel::Requested, alice_on_b.id)
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn blocks_and_mutes_with_their_lists() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let x = stranger(&s, "xavier", "far.example");
    let y = stranger(&s, "yolanda", "far.example");
    follows_owner(&s, x).await;

    let r = api
        .post(&format!("/api/v1/accounts/{x}/block"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["blocking"], true);
    assert_eq!(r.json["followed_by"], false, "a block ends their follow");
    let r = api.get("/api/v1/blocks").await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["id"], x.to_string());
    let r = api
        .post(&format!("/api/v1/accounts/{x}/unblock"), json!({}))
        .await;
    assert_eq!(r.json["blocking"], false);
    assert_eq!(api.get("/api/v1/blocks").await.json, json!([]));

    let r = api
        .post_form(
            &format!("/api/v1/accounts/{y}/mute"),
            &[("notifications", "false"), ("duration", "3600")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["muting"], true);
    assert_eq!(r.json["muting_notifications"], false);
    let r = api
        .post(&format!("/api/v1/accounts/{x}/mute"), json!({}))
        .await;
    assert_eq!(r.json["muting_notifications"], true);
    let r = api.get("/api/v1/mutes").await;
    let list = r.json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], x.to_string());
    assert!(list[0]["mute_expires_at"].is_null());
    assert!(is_ms_date(list[1]["mute_expires_at"].as_str().unwrap()));
    let r = api
        .post(&format!("/api/v1/accounts/{y}/unmute"), json!({}))
        .await;
    assert_eq!(r.json["muting"], false);
    assert_eq!(
        api.get("/api/v1/mutes")
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Removing a follower.
    follows_owner(&s, y).await;
    let r = api
        .post(
            &format!("/api/v1/accounts/{y}/remove_from_followers"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["followed_by"], false);
}

#[tokio::test]
async fn blocked_domains_are_listed_and_their_activities_dropped() {
    let (a, b) = pair().await;
    let api = Api::login(&a, SCOPES).await;
    let far = stranger(&a, "xavier", "far.example");
    let r = api
        .post_form("/api/v1/domain_blocks", &[("domain", "far.example")])
        .await;
    assert_eq!((r.status, r.json.clone()), (200, json!({})));
    let r = api
        .post_form("/api/v1/domain_blocks", &[("domain", &b.host)])
        .await;
    assert_eq!(r.status, 200);
    let r = api.get("/api/v1/domain_blocks").await;
    assert_eq!(r.json, json!([b.host, "far.example"]));
    assert_eq!(
        relationship(&api, &far.to_string()).await["domain_blocking"],
        true
    );
    let r = api
        .post_form("/api/v1/domain_blocks", &[("domain", "not a domain")])
        .await;
    assert_eq!(r.status, 422);

    // Unsigned, from a blocked server: accepted and dropped. From
    // anywhere else it would be refused for want of a signature.
    let post = |actor: String| {
        client()
            .post(a.url("/inbox"))
            .header("content-type", "application/activity+json")
            .body(
                json!({"id": format!("{actor}#x"), "type": "Follow", "actor": actor,
                          "object": format!("{}/users/alice", a.base)})
                .to_string(),
            )
            .send()
    };
    let r = post("https://far.example/users/xavier".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = post("https://elsewhere.example/users/x".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // bob's real, signed follow is dropped too: his server is done with
    // it, and alice knows nothing of him.
    let alice_on_b = burrow::federation::resolve_handle(&b.state, &format!("alice@{}", a.host))
        .await
        .unwrap();
    burrow::ops::follows::follow(&b.state, alice_on_b.id, Default::default())
        .await
        .unwrap();
    eventually("bob's server has delivered", || {
        b.state.store.delivery_queue_len() == 0
    })
    .await;
    assert_eq!(a.state.store.inbox_queue_len(), 0);
    assert!(a
        .state
        .store
        .account_by_uri(&format!("{}/users/bob", b.base))
        .unwrap()
        .is_none());

    let r = api
        .delete("/api/v1/domain_blocks", json!({"domain": "far.example"}))
        .await;
    assert_eq!(r.status, 200);
    let r = api.get("/api/v1/domain_blocks").await;
    assert_eq!(r.json, json!([b.host]));
}

#[tokio::test]
async fn errors_are_mastodons() {
    let s = TestServer::start().await;
    let x = stranger(&s, "xavier", "far.example");
    let reader = Api::login(&s, "read").await;
    // A read-only token can't follow.
    let r = reader
        .post(&format!("/api/v1/accounts/{x}/follow"), json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.json);
    assert!(r.json["error"].is_string());
    // …but can read relationships (read covers read:follows).
    let r = reader
        .get(&format!("/api/v1/accounts/relationships?id[]={x}"))
        .await;
    assert_eq!(r.status, 200);

    let bad = Api::with_token(&s, "not-a-token");
    let r = bad.get(&format!("/api/v1/accounts/{x}")).await;
    assert_eq!(r.status, 401);
    let r = Api::anonymous(&s).get("/api/v1/blocks").await;
    assert_eq!(r.status, 401);

    let api = Api::login(&s, SCOPES).await;
    for path in [
        "/api/v1/accounts/123456789",
        "/api/v1/accounts/nonsense",
        "/api/v1/accounts/123456789/followers",
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json["error"], "Record not found");
    }
    let r = api
        .post("/api/v1/accounts/123456789/block", json!({}))
        .await;
    assert_eq!(r.status, 404);
    let r = api
        .post_form(
            &format!("/api/v1/accounts/{x}/mute"),
            &[("duration", "soon")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.json);
    let r = api
        .post_form(
            &format!("/api/v1/accounts/{x}/follow"),
            &[("reblogs", "perhaps")],
        )
        .await;
    assert_eq!(r.status, 422);
    let me = owner_id(&s);
    let r = api
        .post(&format!("/api/v1/accounts/{me}/follow"), json!({}))
        .await;
    assert_eq!(r.status, 422, "no following oneself: {}", r.json);
    let r = api.get("/api/v1/accounts/lookup").await;
    assert_eq!(r.status, 422);
    let r = api.get("/api/v1/accounts/lookup?acct=nobody").await;
    assert_eq!(r.status, 404);
    let r = api.get("/api/v1/accounts/lookup?acct=alice").await;
    assert_eq!(r.json["id"], me.to_string());
}

#[tokio::test]
async fn unknown_accounts_requests_and_endpoints_are_refused() {
    let s = TestServer::start().await;
    let api = Api::login(&s, SCOPES).await;
    let reader = Api::login(&s, "read").await;
    let x = stranger(&s, "xavier", "far.example");
    follows_owner(&s, x).await;

    // Every action on an account that does not exist.
    for action in [
        "follow",
        "unfollow",
        "block",
        "unblock",
        "mute",
        "unmute",
        "remove_from_followers",
        "note",
    ] {
        let r = api
            .post(&format!("/api/v1/accounts/123456789/{action}"), json!({}))
            .await;
        assert_eq!(r.status, 404, "{action}: {}", r.json);
        assert_eq!(r.json["error"], "Record not found");
        let r = reader
            .post(&format!("/api/v1/accounts/{x}/{action}"), json!({}))
            .await;
        assert_eq!(r.status, 403, "{action} with a read-only token");
    }
    for sub in ["following", "statuses", "featured_tags", "lists"] {
        let p = format!("/api/v1/accounts/123456789/{sub}");
        assert_eq!(api.get(&p).await.status, 404, "{p}");
    }
    // Relationships with unknown ids skip them, as Mastodon does.
    let r = api
        .get(&format!(
            "/api/v1/accounts/relationships?id[]={x}&id[]=123456789"
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["id"], x.to_string());
    let rel = &r.json[0];
    assert_eq!(
        (
            rel["following"].as_bool(),
            rel["blocking"].as_bool(),
            rel["muting"].as_bool()
        ),
        (Some(false), Some(false), Some(false)),
        "refused actions changed nothing"
    );

    // Follow requests: unknown ids, read-only tokens.
    for verb in ["authorize", "reject"] {
        let r = api
            .post(
                &format!("/api/v1/follow_requests/123456789/{verb}"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 404, "{verb}");
        let r = reader
            .post(&format!("/api/v1/follow_requests/{x}/{verb}"), json!({}))
            .await;
        assert_eq!(r.status, 403, "{verb}");
    }
    assert_eq!(
        Api::anonymous(&s)
            .get("/api/v1/follow_requests")
            .await
            .status,
        401
    );

    // Domain blocks need a domain and a write token.
    let r = api.post("/api/v1/domain_blocks", json!({})).await;
    assert_eq!(r.status, 422);
    let r = api.delete("/api/v1/domain_blocks", json!({})).await;
    assert_eq!(r.status, 422);
    let r = reader
        .post("/api/v1/domain_blocks", json!({"domain": "far.example"}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(api.get("/api/v1/domain_blocks").await.json, json!([]));

    // Endpoints Burrow does not have answer 404 in JSON, not HTML.
    for path in ["/api/v1/nothing_here", "/api/v2/admin/accounts"] {
        let r = api.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json["error"].is_string(), "{path}: {}", r.json);
    }
    let r = api.get("/api/v1/suggestions").await;
    assert_eq!((r.status, r.json.clone()), (200, json!([])));
}
