//! The smaller endpoints apps call at Mastodon 4.3: endorsements (pin and
//! unpin an account), several accounts at once, the link timeline, the
//! instance's companion documents, OAuth userinfo, dismissing a
//! suggestion, filters naming single statuses, and v1 filter writes.

use crate::common;
use burrow::ops::statuses::{self, NewStatus};
use common::*;
use serde_json::{json, Value};

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn err(res: reqwest::Response, want: u16) -> String {
    assert_eq!(res.status().as_u16(), want);
    let v: Value = res.json().await.unwrap();
    v["error"].as_str().expect("an error message").to_string()
}

async fn bob_posts(a: &TestServer, b: &TestServer, text: &str) -> u64 {
    let st = statuses::post(
        &b.state,
        NewStatus {
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut id = 0;
    eventually("bob's post reaches alice", || {
        match a.state.store.status_by_uri(&st.uri).unwrap() {
            Some(s) => {
                id = s.id;
                true
            }
            None => false,
        }
    })
    .await;
    id
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_owner_features_followed_accounts_only_while_following() {
    let (a, b) = pair().await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let bob = burrow::federation::resolve_handle(&a.state, &format!("bob@{}", b.host))
        .await
        .unwrap();
    // Not followed: Mastodon refuses.
    let msg = err(
        api.post(&format!("/api/v1/accounts/{}/pin", bob.id), &[])
            .await,
        422,
    )
    .await;
    assert!(msg.contains("following"), "{msg}");

    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let rel = ok(api
        .post(&format!("/api/v1/accounts/{}/pin", bob.id), &[])
        .await)
    .await;
    assert_eq!(rel["endorsed"], true);
    assert_eq!(rel["following"], true);
    let bob_id = bob.id.to_string();
    assert_eq!(
        ids(&api.json("/api/v1/endorsements").await),
        [bob_id.as_str()]
    );
    let owner = a.state.store.owner_account().unwrap().unwrap();
    // Anyone may see whom the owner features.
    let public: Value = client()
        .get(a.url(&format!("/api/v1/accounts/{}/endorsements", owner.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&public), [bob_id.as_str()]);
    let rels = api
        .json(&format!("/api/v1/accounts/relationships?id[]={bob_id}"))
        .await;
    assert_eq!(rels[0]["endorsed"], true);

    // An unfollow ends the endorsement with it.
    burrow::ops::follows::unfollow(&a.state, bob.id)
        .await
        .unwrap();
    assert_eq!(api.json("/api/v1/endorsements").await, json!([]));
    let rels = api
        .json(&format!("/api/v1/accounts/relationships?id[]={bob_id}"))
        .await;
    assert_eq!(rels[0]["endorsed"], false);
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    assert_eq!(api.json("/api/v1/endorsements").await, json!([]));

    ok(api
        .post(&format!("/api/v1/accounts/{bob_id}/pin"), &[])
        .await)
    .await;
    let rel = ok(api
        .post(&format!("/api/v1/accounts/{bob_id}/unpin"), &[])
        .await)
    .await;
    assert_eq!(rel["endorsed"], false);
    assert_eq!(api.json("/api/v1/endorsements").await, json!([]));
    err(api.post("/api/v1/accounts/999/pin", &[]).await, 404).await;

    // Several accounts at once, unknown ids left out, in the order asked.
    let many = api
        .json(&format!(
            "/api/v1/accounts?id[]={bob_id}&id[]=12345&id[]={}",
            owner.id
        ))
        .await;
    assert_eq!(ids(&many), [bob_id.clone(), owner.id.to_string()]);
    assert!(many[0]["acct"].as_str().unwrap().starts_with("bob@"));
}

#[tokio::test]
async fn filters_name_single_statuses_and_v1_apps_write_filters() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let noisy = bob_posts(&a, &b, "a thread about nothing").await;
    let filter = ok(api
        .post_json(
            "/api/v2/filters",
            json!({"title": "this one", "context": ["home"], "filter_action": "hide"}),
        )
        .await)
    .await;
    let fid = filter["id"].as_str().unwrap();
    let fs = ok(api
        .post(
            &format!("/api/v2/filters/{fid}/statuses"),
            &[("status_id", &noisy.to_string())],
        )
        .await)
    .await;
    assert_eq!(fs["status_id"], noisy.to_string());
    let fs_id = fs["id"].as_str().unwrap();
    assert_eq!(
        api.json(&format!("/api/v2/filters/statuses/{fs_id}")).await,
        fs
    );
    assert_eq!(
        api.json(&format!("/api/v2/filters/{fid}/statuses")).await,
        json!([fs.clone()])
    );
    assert_eq!(
        api.json(&format!("/api/v2/filters/{fid}")).await["statuses"],
        json!([fs.clone()])
    );
    // Named once only; unknown statuses are 404.
    err(
        api.post(
            &format!("/api/v2/filters/{fid}/statuses"),
            &[("status_id", &noisy.to_string())],
        )
        .await,
        422,
    )
    .await;
    err(
        api.post(
            &format!("/api/v2/filters/{fid}/statuses"),
            &[("status_id", "42")],
        )
        .await,
        404,
    )
    .await;
    // The hide filter takes it out of home.
    assert_eq!(api.json("/api/v1/timelines/home").await, json!([]));
    assert_eq!(
        ok(api
            .delete(&format!("/api/v2/filters/statuses/{fs_id}"))
            .await)
        .await,
        json!({})
    );
    assert_eq!(
        ids(&api.json("/api/v1/timelines/home").await),
        [noisy.to_string()]
    );
    err(
        api.get(&format!("/api/v2/filters/statuses/{fs_id}")).await,
        404,
    )
    .await;

    // v1: one phrase per filter.
    let v1 = ok(api
        .post(
            "/api/v1/filters",
            &[
                ("phrase", "nothing"),
                ("context[]", "home"),
                ("irreversible", "false"),
                ("whole_word", "true"),
            ],
        )
        .await)
    .await;
    assert_eq!(v1["phrase"], "nothing");
    assert_eq!(v1["irreversible"], false);
    assert_eq!(v1["context"], json!(["home"]));
    let v1_id = v1["id"].as_str().unwrap().to_string();
    let home = api.json("/api/v1/timelines/home").await;
    assert_eq!(
        home[0]["filtered"][0]["keyword_matches"],
        json!(["nothing"])
    );
    let changed = ok(api
        .put_json(
            &format!("/api/v1/filters/{v1_id}"),
            json!({"phrase": "thread", "context": ["home", "public"], "irreversible": true}),
        )
        .await)
    .await;
    assert_eq!(changed["id"], v1_id.as_str());
    assert_eq!(changed["phrase"], "thread");
    assert_eq!(changed["irreversible"], true);
    assert_eq!(api.json("/api/v1/timelines/home").await, json!([]));
    assert_eq!(ids(&api.json("/api/v1/filters").await), [v1_id.as_str()]);
    let bad = api
        .post("/api/v1/filters", &[("phrase", ""), ("context[]", "home")])
        .await;
    err(bad, 422).await;
    ok(api.delete(&format!("/api/v1/filters/{v1_id}")).await).await;
    assert_eq!(api.json("/api/v1/filters").await, json!([]));
    assert_eq!(
        ids(&api.json("/api/v1/timelines/home").await),
        [noisy.to_string()]
    );
    // The v2 filter it was is gone too; the status-only one stays.
    assert_eq!(ids(&api.json("/api/v2/filters").await), [fid.to_string()]);
}

#[tokio::test]
async fn the_link_timeline_lists_public_posts_linking_a_page() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    let post = |text: &'static str, visibility: &'static str| {
        let api = &api;
        async move {
            ok(api
                .post(
                    "/api/v1/statuses",
                    &[("status", text), ("visibility", visibility)],
                )
                .await)
            .await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let first = post("read https://example.com/story?a=1&b=2 now", "public").await;
    post("and https://example.com/other", "public").await;
    post("private https://example.com/story?a=1&b=2", "private").await;
    let second = post("again https://example.com/story?a=1&b=2", "public").await;
    let url = "/api/v1/timelines/link?url=https%3A%2F%2Fexample.com%2Fstory%3Fa%3D1%26b%3D2";
    // Visitors see the public posts that link there, newest first.
    let anon: Value = client()
        .get(s.url(url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&anon), [second.clone(), first.clone()]);
    assert_eq!(ids(&api.json(&format!("{url}&limit=1")).await), [second]);
    assert_eq!(
        api.json("/api/v1/timelines/link?url=https%3A%2F%2Fnowhere.example%2F")
            .await,
        json!([])
    );
    err(api.get("/api/v1/timelines/link").await, 422).await;
    let long = format!(
        "/api/v1/timelines/link?url=https://e.example/{}",
        "a".repeat(3000)
    );
    err(api.get(&long).await, 422).await;
}

#[tokio::test]
async fn instance_documents_userinfo_and_suggestions() {
    let s = TestServer::start().await;
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };
    for path in [
        "/api/v1/instance/privacy_policy",
        "/api/v1/instance/terms_of_service",
    ] {
        err(client().get(s.url(path)).send().await.unwrap(), 404).await;
    }
    let langs: Value = client()
        .get(s.url("/api/v1/instance/languages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(langs.as_array().unwrap().len() > 100);
    assert!(langs
        .as_array()
        .unwrap()
        .contains(&json!({"code": "en", "name": "English"})));
    let tl: Value = client()
        .get(s.url("/api/v1/instance/translation_languages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tl, json!({}));

    let meta = get_ap(&s.url("/.well-known/oauth-authorization-server")).await;
    assert_eq!(meta["userinfo_endpoint"], s.url("/oauth/userinfo"));
    let me = api.json("/oauth/userinfo").await;
    let owner = s.state.store.owner_account().unwrap().unwrap();
    assert_eq!(me["iss"], format!("{}/", s.base));
    assert_eq!(me["sub"], owner.uri);
    assert_eq!(me["preferred_username"], "alice");
    assert_eq!(me["name"], owner.display_name);
    assert_eq!(me["profile"], owner.url);
    assert!(me["picture"].as_str().unwrap().starts_with("http"));
    assert_eq!(
        ok(api.post("/oauth/userinfo", &[]).await).await["sub"],
        owner.uri
    );
    let anon = client().get(s.url("/oauth/userinfo")).send().await.unwrap();
    assert_eq!(anon.status(), 401);

    assert_eq!(
        ok(api.delete("/api/v1/suggestions/12345").await).await,
        json!({})
    );
}

#[tokio::test]
async fn indexable_and_hidden_collections_are_saved_federated_and_kept_from_others() {
    let (a, b) = pair().await;
    follow_accepted(&b, &format!("alice@{}", a.host)).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let owner = a.state.store.owner_account().unwrap().unwrap();
    let followers_api = format!("/api/v1/accounts/{}/followers", owner.id);
    let anon_list = || async {
        client()
            .get(a.url(&followers_api))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(anon_list().await.as_array().unwrap().len(), 1);

    let me = ok(api
        .put_json(
            "/api/v1/accounts/update_credentials",
            json!({"indexable": false, "hide_collections": true, "discoverable": false}),
        )
        .await)
    .await;
    for v in [&me, &me["source"]] {
        assert_eq!(v["indexable"], false, "{v}");
        assert_eq!(v["hide_collections"], true, "{v}");
        assert_eq!(v["discoverable"], false, "{v}");
    }
    let again = api.json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(again["hide_collections"], true);
    assert_eq!(again["source"]["indexable"], false);
    let actor = get_ap(&owner.uri).await;
    assert_eq!(actor["indexable"], false);
    assert_eq!(actor["discoverable"], false);

    // Others get the count only; a page is refused.
    let followers = get_ap(&owner.followers_url).await;
    assert_eq!(followers["totalItems"], 1);
    assert!(followers.get("first").is_none(), "{followers}");
    let page = client()
        .get(format!("{}?page=1", owner.followers_url))
        .header("accept", AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(get_ap(&owner.following_url).await.get("first").is_none());
    assert_eq!(anon_list().await, json!([]));
    // The owner still sees their own.
    assert_eq!(api.json(&followers_api).await.as_array().unwrap().len(), 1);

    ok(api
        .put_json(
            "/api/v1/accounts/update_credentials",
            json!({"hide_collections": false}),
        )
        .await)
    .await;
    assert_eq!(anon_list().await.as_array().unwrap().len(), 1);
    assert!(get_ap(&owner.followers_url).await.get("first").is_some());
}
