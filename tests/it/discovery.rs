//! Discovery as a Mastodon peer performs it: WebFinger, host-meta,
//! NodeInfo, the actor document and its collections.

use crate::common;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn webfinger_finds_the_owner_by_acct_and_by_actor_url() {
    let s = TestServer::start().await;
    let c = client();
    for resource in [
        format!("acct:alice@{}", s.host),
        format!("alice@{}", s.host),
        s.url("/users/alice"),
        format!("acct:ALICE@{}", s.host),
    ] {
        let res = c
            .get(s.url("/.well-known/webfinger"))
            .query(&[("resource", &resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{resource}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/jrd+json"));
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let jrd: Value = res.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:alice@{}", s.host));
        let links = jrd["links"].as_array().unwrap();
        let self_link = links.iter().find(|l| l["rel"] == "self").unwrap();
        assert_eq!(self_link["type"], "application/activity+json");
        assert_eq!(self_link["href"], s.url("/users/alice"));
        assert!(links
            .iter()
            .any(|l| l["rel"] == "http://webfinger.net/rel/profile-page"
                && l["href"] == s.url("/@alice")));
        assert!(links
            .iter()
            .any(|l| l["rel"] == "http://ostatus.org/schema/1.0/subscribe"
                && l["template"].as_str().unwrap().contains("{uri}")));
        assert!(jrd["aliases"]
            .as_array()
            .unwrap()
            .contains(&Value::from(s.url("/users/alice"))));
    }
}

#[tokio::test]
async fn webfinger_refuses_bad_and_unknown_resources() {
    let s = TestServer::start().await;
    let c = client();
    let status = |q: Option<String>| {
        let mut req = c.get(s.url("/.well-known/webfinger"));
        if let Some(q) = q {
            req = req.query(&[("resource", q)]);
        }
        async move { req.send().await.unwrap() }
    };
    let res = status(None).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("resource"));
    assert_eq!(status(Some("no-at-sign".into())).await.status(), 400);
    assert_eq!(status(Some("acct:@".into())).await.status(), 400);
    assert_eq!(
        status(Some(format!("acct:bob@{}", s.host))).await.status(),
        404
    );
    assert_eq!(
        status(Some("acct:alice@elsewhere.example".into()))
            .await
            .status(),
        404
    );
    assert_eq!(
        status(Some("https://elsewhere.example/users/alice".into()))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn host_meta_and_nodeinfo_are_served() {
    let s = TestServer::start().await;
    let c = client();
    let res = c.get(s.url("/.well-known/host-meta")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/xrd+xml"));
    let xml = res.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            s.base
        )),
        "{xml}"
    );
    let j: Value = c
        .get(s.url("/.well-known/host-meta.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["links"][0]["rel"], "lrdd");

    let links: Value = c
        .get(s.url("/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let links = links["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    for (version, link) in ["2.0", "2.1"].iter().zip(links) {
        assert_eq!(
            link["rel"],
            format!("http://nodeinfo.diaspora.software/ns/schema/{version}")
        );
        let res = c.get(link["href"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains(&format!("schema/{version}#")));
        let doc: Value = res.json().await.unwrap();
        check_nodeinfo(&doc, version);
    }
}

/// The required parts of the NodeInfo 2.0/2.1 schemas.
fn check_nodeinfo(doc: &Value, version: &str) {
    assert_eq!(doc["version"], version);
    let name = doc["software"]["name"].as_str().unwrap();
    assert!(name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    assert_eq!(name, "burrow");
    assert!(doc["software"]["version"].is_string());
    assert_eq!(doc["protocols"], serde_json::json!(["activitypub"]));
    assert!(doc["services"]["inbound"].is_array() && doc["services"]["outbound"].is_array());
    assert_eq!(doc["openRegistrations"], false);
    assert!(doc["usage"]["users"]["total"].as_u64().unwrap() >= 1);
    assert!(doc["usage"]["localPosts"].is_u64());
    assert!(doc["metadata"].is_object());
    if version == "2.0" {
        let keys: Vec<_> = doc["software"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "version"]);
    }
}

#[tokio::test]
async fn actor_document_has_mastodons_fields_and_content_type() {
    let s = TestServer::start().await;
    let c = client();
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let res = c
            .get(s.url("/users/alice"))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/activity+json"));
        let actor: Value = res.json().await.unwrap();
        let id = s.url("/users/alice");
        assert_eq!(actor["id"], id);
        assert_eq!(actor["type"], "Person");
        assert_eq!(actor["preferredUsername"], "alice");
        assert_eq!(actor["name"], "alice (test)");
        assert_eq!(actor["url"], s.url("/@alice"));
        assert_eq!(actor["inbox"], format!("{id}/inbox"));
        assert_eq!(actor["outbox"], format!("{id}/outbox"));
        assert_eq!(actor["followers"], format!("{id}/followers"));
        assert_eq!(actor["following"], format!("{id}/following"));
        assert_eq!(actor["featured"], format!("{id}/collections/featured"));
        assert_eq!(actor["featuredTags"], format!("{id}/collections/tags"));
        assert_eq!(actor["endpoints"]["sharedInbox"], s.url("/inbox"));
        assert_eq!(actor["publicKey"]["id"], format!("{id}#main-key"));
        assert_eq!(actor["publicKey"]["owner"], id);
        assert!(actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(actor["manuallyApprovesFollowers"], false);
        assert_eq!(actor["discoverable"], true);
        assert_eq!(actor["indexable"], true);
        assert!(actor["published"].as_str().unwrap().ends_with('Z'));
        assert!(actor["summary"].is_string());
        assert!(actor["attachment"].is_array());
        let ctx = actor["@context"].as_array().unwrap();
        assert_eq!(ctx[0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(ctx[1], "https://w3id.org/security/v1");
        assert!(ctx[2]["manuallyApprovesFollowers"].is_string());
    }
    // Unknown users are 404 for peers too.
    let res = c
        .get(s.url("/users/bob"))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn public_key_pem_verifies_a_signature_made_with_the_stored_key() {
    let s = TestServer::start().await;
    let actor: Value = get_ap(&s.url("/users/alice")).await;
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    // Sign with the private key exactly as stored, straight through ring.
    let owner = s.state.store.owner().unwrap().unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&owner.private_key_pkcs8).unwrap();
    let mut sig = vec![0; pair.public().modulus_len()];
    let msg = b"(request-target): post /inbox";
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .unwrap();
    // Verify with ring from the published PEM: SPKI → PKCS#1 RSAPublicKey.
    let der = pem_body(pem);
    let pkcs1 = spki_bit_string(&der);
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        pkcs1,
    );
    assert!(key.verify(msg, &sig).is_ok());
    assert!(key.verify(b"something else", &sig).is_err());
}

fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// The BIT STRING of a SubjectPublicKeyInfo: `30 82 LL LL | 30 0d <alg> | 03 82 LL LL 00 <pkcs1>`.
fn spki_bit_string(der: &[u8]) -> &[u8] {
    let bit_string = der.windows(2).rposition(|w| w == [0x03, 0x82]).unwrap();
    &der[bit_string + 5..]
}

#[tokio::test]
async fn collections_are_ordered_and_paged() {
    let s = TestServer::start().await;
    let c = client();
    for (path, first) in [
        ("/users/alice/outbox", true),
        ("/users/alice/followers", true),
        ("/users/alice/following", true),
        ("/users/alice/collections/featured", false),
    ] {
        let res = c
            .get(s.url(path))
            .header("accept", AP_ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/activity+json"));
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["type"], "OrderedCollection", "{path}");
        assert_eq!(doc["id"], s.url(path));
        assert_eq!(doc["totalItems"], 0);
        if first {
            let page_url = doc["first"].as_str().unwrap();
            let page: Value = get_ap(page_url).await;
            assert_eq!(page["type"], "OrderedCollectionPage");
            assert_eq!(page["partOf"], s.url(path));
            assert_eq!(page["orderedItems"], serde_json::json!([]));
            assert!(page.get("next").is_none());
        }
    }
}

#[tokio::test]
async fn browsers_get_the_profile_page() {
    let s = TestServer::start().await;
    let c = client();
    for path in ["/@alice", "/users/alice"] {
        let res = c
            .get(s.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("alice (test)"));
        assert!(html.contains(&format!("@alice@{}", s.host)));
        assert!(html.contains("rel=\"alternate\" type=\"application/activity+json\""));
    }
    // `/@alice` also answers ActivityPub clients with the actor.
    let res = c
        .get(s.url("/@alice"))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/activity+json"));
    let res = c
        .get(s.url("/@nobody"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("nobody"));
}
