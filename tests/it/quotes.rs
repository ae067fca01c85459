//! Quote posts: every shape peers send (Mastodon 4.5 with its stamp,
//! Misskey, Pleroma/Akkoma, GoToSocial) shown in the API and on the web
//! page; forged stamps not believed; the owner's quote of a post on
//! another Burrow asked for, approved with a stamp and revoked; quote
//! requests for posts that may not be quoted refused.
//!
//! A fake peer (`Peer`) serves the quoted posts and stamps the way each
//! server does, signs what its accounts send to Burrow's inbox, and
//! records what Burrow delivers to it.

use crate::common;
use burrow::store::quotes::QuoteState;
use burrow::store::relations::{Rel, Relation};
use common::peer::{Actor, Peer, PUBLIC};
use common::*;
use serde_json::{json, Value};

/// The owner of `s` follows `actor` (so its posts are kept).
async fn followed(s: &TestServer, actor: &Actor) {
    let a = burrow::federation::fetch_actor(&s.state, &actor.uri)
        .await
        .expect("the actor can be fetched");
    let store = &s.state.store;
    let owner = store.owner_account().unwrap().unwrap();
    let r = Relation {
        id: store.next_id(),
        ..Default::default()
    };
    store
        .transact(|tx| {
            tx.set_relation(owner.id, Rel::Following, a.id, &r)
                .map(|_| ())
        })
        .unwrap();
}

/// The API entity of the status `s` stored for `uri`.
async fn entity(s: &TestServer, api: &Api<'_>, uri: &str) -> Value {
    let st = s
        .state
        .store
        .status_by_uri(uri)
        .unwrap()
        .unwrap_or_else(|| panic!("{uri} is stored"));
    api.json(&format!("/api/v1/statuses/{}", st.id)).await
}

/// A browser without scripts, logged in as the owner.
async fn owner_page(s: &TestServer, path: &str) -> String {
    let mut cookies: Vec<String> = Vec::new();
    let keep = |cookies: &mut Vec<String>, res: &reqwest::Response| {
        for v in res.headers().get_all("set-cookie") {
            let kv = v.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = kv.split('=').next().unwrap().to_string();
            cookies.retain(|c| c.split('=').next() != Some(name.as_str()));
            cookies.push(kv);
        }
    };
    let res = client().get(s.url("/login")).send().await.unwrap();
    keep(&mut cookies, &res);
    let form = res.text().await.unwrap();
    let csrf = hidden_fields(&form)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .unwrap();
    let res = client()
        .post(s.url("/login"))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("next", "/web/home"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    keep(&mut cookies, &res);
    client()
        .get(s.url(path))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_quote_shape_in_use_is_shown_in_the_api_and_on_the_page() {
    let s = TestServer::start().await;
    let peer = Peer::start().await;
    let author = peer.actor("author", 11);

    // Mastodon 4.5: the quoted post declares who may quote it; the
    // quoting post names the stamp the author's server granted.
    let masto = peer.actor("masto", 12);
    let mut q1 = author.note(1, "<p>quoted by mastodon</p>");
    q1["interactionPolicy"] = json!({ "canQuote": { "automaticApproval": [PUBLIC] } });
    peer.serve(q1.clone());
    let stamp1 = peer.url("/users/author/quote_authorizations/1");
    let masto_note = {
        let mut n = masto.note(1, "<p>a mastodon quote</p>");
        n["quote"] = q1["id"].clone();
        n["_misskey_quote"] = q1["id"].clone();
        n["quoteUri"] = q1["id"].clone();
        n["quoteAuthorization"] = json!(stamp1);
        n
    };
    peer.serve(json!({
        "@context": ["https://www.w3.org/ns/activitystreams", { "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization" }],
        "id": stamp1,
        "type": "QuoteAuthorization",
        "attributedTo": author.uri,
        "interactingObject": masto_note["id"],
        "interactionTarget": q1["id"],
    }));

    // GoToSocial: its older policy words, a stamp under its own path.
    let gts = peer.actor("gts", 13);
    let mut q4 = author.note(4, "<p>quoted by gotosocial</p>");
    q4["interactionPolicy"] = json!({ "canQuote": { "always": [PUBLIC], "approvalRequired": [] } });
    peer.serve(q4.clone());
    let stamp4 = peer.url("/users/author/authorizations/01JQUOTE");
    let gts_note = {
        let mut n = gts.note(1, "<p>a gotosocial quote</p>");
        n["quote"] = q4["id"].clone();
        n["quoteAuthorization"] = json!(stamp4);
        n
    };
    peer.serve(json!({
        "id": stamp4,
        "type": "QuoteAuthorization",
        "attributedTo": author.uri,
        "interactingObject": gts_note["id"],
        "interactionTarget": q4["id"],
    }));

    // Misskey and Pleroma/Akkoma know no approval, and their posts
    // declare no policy.
    let misskey = peer.actor("misskey", 14);
    let q2 = author.note(2, "<p>quoted by misskey</p>");
    peer.serve(q2.clone());
    let misskey_note = {
        let mut n = misskey.note(1, "<p>a misskey quote</p>");
        n["_misskey_quote"] = q2["id"].clone();
        n["quoteUrl"] = q2["id"].clone();
        n
    };
    let akkoma = peer.actor("akkoma", 15);
    let q3 = author.note(3, "<p>quoted by akkoma</p>");
    peer.serve(q3.clone());
    let akkoma_note = {
        let mut n = akkoma.note(1, "<p>an akkoma quote</p>");
        n["quoteUrl"] = q3["id"].clone();
        n
    };

    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    for (who, note, quoted_text) in [
        (&masto, &masto_note, "quoted by mastodon"),
        (&gts, &gts_note, "quoted by gotosocial"),
        (&misskey, &misskey_note, "quoted by misskey"),
        (&akkoma, &akkoma_note, "quoted by akkoma"),
    ] {
        followed(&s, who).await;
        who.send(&s, who.create(note.clone())).await;
        let e = entity(&s, &api, note["id"].as_str().unwrap()).await;
        assert_eq!(e["quote"]["state"], "accepted", "{}: {e}", who.uri);
        let inner = &e["quote"]["quoted_status"];
        assert!(
            inner["content"].as_str().unwrap().contains(quoted_text),
            "{}: {inner}",
            who.uri
        );
        assert_eq!(inner["quotes_count"], 1);
        let page = owner_page(&s, &format!("/web/statuses/{}", e["id"].as_str().unwrap())).await;
        assert!(page.contains("<blockquote class=\"quote\">"), "{page}");
        assert!(page.contains(quoted_text), "{page}");
    }
}

#[tokio::test]
async fn a_forged_stamp_leaves_the_quote_unapproved() {
    let s = TestServer::start().await;
    let peer = Peer::start().await;
    let evil = Peer::start().await;
    let author = peer.actor("author", 21);
    let quoter = evil.actor("quoter", 22);
    let mut quoted = author.note(1, "<p>not yours to quote</p>");
    quoted["interactionPolicy"] = json!({ "canQuote": { "automaticApproval": [] } });
    peer.serve(quoted.clone());
    // The stamp is served by the quoter's own server, not the author's:
    // it says all the right things, but nobody there may grant it.
    let forged = evil.url("/users/author/quote_authorizations/1");
    let mut note = quoter.note(1, "<p>quoting anyway</p>");
    note["quote"] = quoted["id"].clone();
    note["quoteAuthorization"] = json!(forged);
    evil.serve(json!({
        "id": forged,
        "type": "QuoteAuthorization",
        "attributedTo": author.uri,
        "interactingObject": note["id"],
        "interactionTarget": quoted["id"],
    }));
    // A stamp on the right server naming another post is no better.
    let wrong = peer.url("/users/author/quote_authorizations/2");
    let mut note2 = quoter.note(2, "<p>quoting with a borrowed stamp</p>");
    note2["quote"] = quoted["id"].clone();
    note2["quoteAuthorization"] = json!(wrong);
    peer.serve(json!({
        "id": wrong,
        "type": "QuoteAuthorization",
        "attributedTo": author.uri,
        "interactingObject": "http://elsewhere.example/notes/9",
        "interactionTarget": quoted["id"],
    }));
    followed(&s, &quoter).await;
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    for n in [&note, &note2] {
        quoter.send(&s, quoter.create(n.clone())).await;
        let e = entity(&s, &api, n["id"].as_str().unwrap()).await;
        assert_eq!(e["quote"]["state"], "pending", "{e}");
        assert!(e["quote"]["quoted_status"].is_null(), "{e}");
    }
    let q = s
        .state
        .store
        .status_by_uri(quoted["id"].as_str().unwrap())
        .unwrap()
        .expect("the quoted post was fetched from its origin");
    assert_eq!(q.quotes_count, 0);
}

#[tokio::test]
async fn quote_requests_are_answered_by_the_owners_policy() {
    let s = TestServer::start().await;
    let peer = Peer::start().await;
    let asker = peer.actor("asker", 31);
    let post = |text: &str, vis, policy| {
        let s = &s;
        let text = text.to_string();
        async move {
            burrow::ops::statuses::post(
                &s.state,
                burrow::ops::statuses::NewStatus {
                    text,
                    visibility: vis,
                    quote_policy: policy,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    use burrow::store::quotes::QuotePolicy;
    use burrow::store::statuses::Visibility;
    let public = post("quote me", Visibility::Public, None).await;
    let private = post("followers only", Visibility::Private, None).await;
    let closed = post(
        "not this one",
        Visibility::Public,
        Some(QuotePolicy::Nobody),
    )
    .await;
    let mut n = 0;
    for target in [&public, &private, &closed] {
        n += 1;
        let mut note = asker.note(n, "<p>quoting alice</p>");
        note["quote"] = json!(target.uri);
        peer.serve(note.clone());
        let req = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": asker.id(),
            "type": "QuoteRequest",
            "actor": asker.uri,
            "object": target.uri,
            "instrument": note,
        });
        asker.send(&s, req.clone()).await;
        eventually("the answer is delivered", || {
            peer.received()
                .iter()
                .any(|a| a["object"]["id"] == req["id"])
        })
        .await;
        let answer = peer
            .received()
            .into_iter()
            .find(|a| a["object"]["id"] == req["id"])
            .unwrap();
        if target.id == public.id {
            assert_eq!(answer["type"], "Accept", "{answer}");
            let stamp_uri = answer["result"].as_str().unwrap();
            let stamp = get_ap(stamp_uri).await;
            assert_eq!(stamp["type"], "QuoteAuthorization");
            assert_eq!(stamp["attributedTo"], s.url("/users/alice"));
            assert_eq!(stamp["interactingObject"], note["id"]);
            assert_eq!(stamp["interactionTarget"], json!(public.uri));
            // The quoting post came embedded from its author, and shows
            // approved.
            let q = s
                .state
                .store
                .status_by_uri(note["id"].as_str().unwrap())
                .unwrap()
                .expect("the quoting post is kept");
            assert_eq!(q.quote.unwrap().state, QuoteState::Accepted);
            // The owner is told, as Mastodon 4.5 tells of a quote.
            let told = s
                .state
                .store
                .notification_page(
                    burrow::store::timelines::Page {
                        limit: 40,
                        ..Default::default()
                    },
                    |n| n.kind == "quote" && n.status_id == Some(q.id),
                )
                .unwrap();
            assert_eq!(told.len(), 1);
        } else {
            assert_eq!(answer["type"], "Reject", "{answer}");
        }
    }
}

#[tokio::test]
async fn the_owners_quote_of_another_burrows_post_is_approved_then_revoked() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let bob_api = Api {
        s: &b,
        token: token(&b, "read write").await,
    };
    let bob_post = bob_api
        .post(
            "/api/v1/statuses",
            &[("status", "bob says something quotable")],
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let bob_uri = bob_post["uri"].as_str().unwrap().to_string();
    assert_eq!(bob_post["quote_approval"]["automatic"], json!(["public"]));
    eventually("bob's post reaches alice", || {
        a.state.store.status_by_uri(&bob_uri).unwrap().is_some()
    })
    .await;
    let on_a = a.state.store.status_by_uri(&bob_uri).unwrap().unwrap();
    let alice_api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let seen = alice_api
        .json(&format!("/api/v1/statuses/{}", on_a.id))
        .await;
    assert_eq!(seen["quote_approval"]["current_user"], "automatic");
    let res = alice_api
        .post(
            "/api/v1/statuses",
            &[
                ("status", "alice quotes bob"),
                ("quoted_status_id", &on_a.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let quote = res.json::<Value>().await.unwrap();
    assert_eq!(quote["quote"]["state"], "pending", "{quote}");
    let quote_id: u64 = quote["id"].as_str().unwrap().parse().unwrap();
    let quote_uri = quote["uri"].as_str().unwrap().to_string();

    eventually("bob's stamp reaches alice and checks out", || {
        a.state
            .store
            .status(quote_id)
            .unwrap()
            .and_then(|s| s.quote)
            .is_some_and(|q| q.state == QuoteState::Accepted)
    })
    .await;
    let e = alice_api
        .json(&format!("/api/v1/statuses/{quote_id}"))
        .await;
    assert_eq!(e["quote"]["state"], "accepted");
    assert_eq!(e["quote"]["quoted_status"]["uri"], json!(bob_uri));
    // The Note carries the quote in every spelling, and the stamp.
    let note = get_ap(&quote_uri).await;
    for key in ["quote", "_misskey_quote", "quoteUri"] {
        assert_eq!(note[key], json!(bob_uri), "{key}: {note}");
    }
    let stamp_uri = note["quoteAuthorization"]
        .as_str()
        .expect("a stamp")
        .to_string();
    assert!(stamp_uri.starts_with(&b.base), "{stamp_uri}");
    let stamp = get_ap(&stamp_uri).await;
    assert_eq!(stamp["interactingObject"], json!(quote_uri));
    assert_eq!(stamp["interactionTarget"], json!(bob_uri));

    // Bob has the quote, approved, among his post's quotes.
    let bob_post_id = bob_post["id"].as_str().unwrap();
    eventually("alice's quote reaches bob", || {
        b.state
            .store
            .status_by_uri(&quote_uri)
            .unwrap()
            .and_then(|s| s.quote)
            .is_some_and(|q| q.state == QuoteState::Accepted)
    })
    .await;
    let quotes = bob_api
        .json(&format!("/api/v1/statuses/{bob_post_id}/quotes"))
        .await;
    assert_eq!(quotes.as_array().unwrap().len(), 1, "{quotes}");
    assert_eq!(quotes[0]["uri"], json!(quote_uri));
    let mine = bob_api
        .json(&format!("/api/v1/statuses/{bob_post_id}"))
        .await;
    assert_eq!(mine["quotes_count"], 1);

    // Bob takes it back: the stamp is gone, and alice's quote says so.
    let quoting_on_b = quotes[0]["id"].as_str().unwrap();
    let res = bob_api
        .post(
            &format!("/api/v1/statuses/{bob_post_id}/quotes/{quoting_on_b}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = client()
        .get(&stamp_uri)
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    eventually("the revocation reaches alice", || {
        a.state
            .store
            .status(quote_id)
            .unwrap()
            .and_then(|s| s.quote)
            .is_some_and(|q| q.state == QuoteState::Revoked)
    })
    .await;
    let e = alice_api
        .json(&format!("/api/v1/statuses/{quote_id}"))
        .await;
    assert_eq!(e["quote"]["state"], "revoked");
    assert!(e["quote"]["quoted_status"].is_null());
}

#[tokio::test]
async fn bad_quote_parameters_are_refused_with_nothing_stored() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let before = s
        .state
        .store
        .owner_account()
        .unwrap()
        .unwrap()
        .statuses_count;
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "x"), ("quote_approval_policy", "everyone")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("quote_approval_policy"));
    let res = api
        .post(
            "/api/v1/statuses",
            &[("status", "x"), ("quoted_status_id", "99999")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    let after = s
        .state
        .store
        .owner_account()
        .unwrap()
        .unwrap()
        .statuses_count;
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_strangers_quote_costs_no_fetch() {
    let s = TestServer::start().await;
    let peer = Peer::start().await;
    let author = peer.actor("author", 51);
    let stranger = peer.actor("stranger", 52);
    let quoted = author.note(1, "<p>somewhere else</p>");
    peer.serve(quoted.clone());
    let mut note = stranger.note(1, "<p>nobody here follows me</p>");
    note["quote"] = quoted["id"].clone();
    stranger.send(&s, stranger.create(note.clone())).await;
    let store = &s.state.store;
    assert!(store
        .status_by_uri(note["id"].as_str().unwrap())
        .unwrap()
        .is_none());
    assert!(
        store
            .status_by_uri(quoted["id"].as_str().unwrap())
            .unwrap()
            .is_none(),
        "the quoted post was not fetched for a post nobody here wants"
    );
}
