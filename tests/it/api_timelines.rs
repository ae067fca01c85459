//! Reading timelines as apps do: pages of 20 newest first, cursors that
//! move strictly, `Link` headers to follow, filters kept across pages.

use crate::common;
use burrow::ops::statuses::{post, NewStatus};
use burrow::store::statuses::Visibility;
use common::*;
use serde_json::Value;

/// Posts `n` public statuses through the operation; returns their ids,
/// newest first.
async fn fill(s: &TestServer, n: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let st = post(
            &s.state,
            NewStatus {
                text: format!("status number {i}"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(st.id);
    }
    ids.reverse();
    ids
}

fn ids_of(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The URL of `rel` in a `Link` header.
fn link(res: &reqwest::Response, rel: &str) -> Option<String> {
    let h = res.headers().get("link")?.to_str().unwrap().to_string();
    h.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| {
            url.trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

async fn page(api: &Api<'_>, path: &str) -> (Vec<u64>, Option<String>, Option<String>) {
    let res = api.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let next = link(&res, "next");
    let prev = link(&res, "prev");
    let v: Value = res.json().await.unwrap();
    (ids_of(&v), next, prev)
}

#[tokio::test]
async fn home_pages_like_mastodon() {
    let s = TestServer::start().await;
    let all = fill(&s, 45).await;
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };

    let (first, next, prev) = page(&api, "/api/v1/timelines/home").await;
    assert_eq!(first, all[..20]);
    assert_eq!(
        next.as_deref(),
        Some(format!("{}/api/v1/timelines/home?max_id={}", s.base, all[19]).as_str())
    );
    assert_eq!(
        prev.as_deref(),
        Some(format!("{}/api/v1/timelines/home?min_id={}", s.base, all[0]).as_str())
    );

    let (clamped, _, _) = page(&api, "/api/v1/timelines/home?limit=100").await;
    assert_eq!(clamped, all[..40]);
    let (five, _, _) = page(&api, "/api/v1/timelines/home?limit=5").await;
    assert_eq!(five, all[..5]);

    let (older, _, _) = page(&api, &format!("/api/v1/timelines/home?max_id={}", all[19])).await;
    assert_eq!(older, all[20..40]);
    let (newer, _, _) = page(&api, &format!("/api/v1/timelines/home?since_id={}", all[5])).await;
    assert_eq!(newer, all[..5]);
    let (just_newer, _, _) =
        page(&api, &format!("/api/v1/timelines/home?min_id={}", all[30])).await;
    assert_eq!(just_newer, all[10..30]);
    let (between, _, _) = page(
        &api,
        &format!(
            "/api/v1/timelines/home?max_id={}&since_id={}",
            all[10], all[14]
        ),
    )
    .await;
    assert_eq!(between, all[11..14]);

    // Following `next` walks the whole timeline once, then stops.
    let mut seen = Vec::new();
    let mut url = Some(s.url("/api/v1/timelines/home?limit=15"));
    let mut pages = 0;
    while let Some(u) = url {
        pages += 1;
        assert!(pages < 10, "paging does not end");
        let res = client()
            .get(&u)
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        let next = link(&res, "next");
        let v: Value = res.json().await.unwrap();
        let ids = ids_of(&v);
        if ids.is_empty() {
            assert!(next.is_none());
            break;
        }
        assert!(next.as_deref().unwrap().contains("limit=15"));
        seen.extend(ids);
        url = next;
    }
    assert_eq!(seen, all);

    // An empty page has no Link header at all.
    let res = api
        .get(&format!("/api/v1/timelines/home?max_id={}", all[44]))
        .await;
    assert!(res.headers().get("link").is_none());
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!([]));

    // Cursors that are not ids are ignored.
    let (garbage, _, _) = page(&api, "/api/v1/timelines/home?max_id=abc").await;
    assert_eq!(garbage, all[..20]);

    // Home needs a token.
    let res = client()
        .get(s.url("/api/v1/timelines/home"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn public_local_tag_and_account_timelines() {
    let s = TestServer::start().await;
    let all = fill(&s, 5).await;
    let private = post(
        &s.state,
        NewStatus {
            text: "followers only #rust".into(),
            visibility: Visibility::Private,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let tagged = post(
        &s.state,
        NewStatus {
            text: "about #Rust".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let reply = post(
        &s.state,
        NewStatus {
            text: "a reply to myself".into(),
            in_reply_to_id: Some(all[0]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let api = Api {
        s: &s,
        token: token(&s, "read write").await,
    };

    // Public needs no token and shows no private post.
    let anon = |path: &str| {
        let url = s.url(path);
        async move {
            let res = client().get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let next = link(&res, "next");
            (ids_of(&res.json::<Value>().await.unwrap()), next)
        }
    };
    let (public, _) = anon("/api/v1/timelines/public").await;
    assert_eq!(public[..2], [reply.id, tagged.id]);
    assert!(!public.contains(&private.id));
    assert_eq!(public.len(), 7);
    let (local, next) = anon("/api/v1/timelines/public?local=true&limit=3").await;
    assert_eq!(local, public[..3]);
    let next = next.unwrap();
    assert!(next.starts_with(&s.base), "{next}");
    assert!(
        next.contains("local=true") && next.contains("limit=3"),
        "{next}"
    );
    let (remote, next) = anon("/api/v1/timelines/public?remote=true").await;
    assert!(remote.is_empty() && next.is_none());
    let (media, next) = anon("/api/v1/timelines/public?only_media=true").await;
    assert!(media.is_empty() && next.is_none());
    let res = api
        .get("/api/v1/timelines/public?only_media=false&limit=2")
        .await;
    let next = link(&res, "next").unwrap();
    assert!(next.contains("only_media=false"), "{next}");
    assert!(!next.contains("access_token"));

    // Hashtags, case-insensitively; private posts only for the owner.
    let (tag, _) = anon("/api/v1/timelines/tag/rust").await;
    assert_eq!(tag, [tagged.id]);
    let (tag, _) = anon("/api/v1/timelines/tag/RUST?none[]=nothing").await;
    assert_eq!(tag, [tagged.id]);
    let (tag, _) = anon("/api/v1/timelines/tag/rust?all[]=other").await;
    assert!(tag.is_empty());

    // An account's statuses: everything for its owner, public for others.
    let me = s.state.store.owner_account().unwrap().unwrap();
    let path = format!("/api/v1/accounts/{}/statuses", me.id);
    let mine = ids_of(&api.json(&path).await);
    assert_eq!(mine.len(), 8);
    assert!(mine.contains(&private.id));
    let (theirs, _) = anon(&path).await;
    assert_eq!(theirs.len(), 7);
    // Replies to oneself stay with exclude_replies (threads).
    let no_replies = ids_of(&api.json(&format!("{path}?exclude_replies=true")).await);
    assert!(no_replies.contains(&reply.id));
    let tagged_only = ids_of(&api.json(&format!("{path}?tagged=rust")).await);
    assert_eq!(tagged_only, [tagged.id, private.id]);
    assert_eq!(
        api.get("/api/v1/accounts/424242/statuses").await.status(),
        404
    );

    // Pins: the owner's pinned posts, newest pin first.
    assert_eq!(
        api.json(&format!("{path}?pinned=true")).await,
        serde_json::json!([])
    );
    for id in [all[3], all[1]] {
        let res = api.post(&format!("/api/v1/statuses/{id}/pin"), &[]).await;
        assert_eq!(res.status(), 200);
    }
    let pins = ids_of(&api.json(&format!("{path}?pinned=true")).await);
    assert_eq!(pins, [all[1], all[3]]);

    // Bookmarks and favourites page by when they were added.
    for id in [all[4], all[0], all[2]] {
        assert_eq!(
            api.post(&format!("/api/v1/statuses/{id}/bookmark"), &[])
                .await
                .status(),
            200
        );
        assert_eq!(
            api.post(&format!("/api/v1/statuses/{id}/favourite"), &[])
                .await
                .status(),
            200
        );
    }
    for list in ["bookmarks", "favourites"] {
        let (first, next, prev) = page(&api, &format!("/api/v1/{list}?limit=2")).await;
        assert_eq!(first, [all[2], all[0]], "{list}");
        assert!(prev.is_some());
        let next = next.expect("a full page links to the next");
        let res = client()
            .get(&next)
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        let last_next = link(&res, "next");
        assert_eq!(ids_of(&res.json::<Value>().await.unwrap()), [all[4]]);
        assert!(last_next.is_none(), "{list}: a short page is the last");
    }
}

#[tokio::test]
async fn account_statuses_without_boosts_or_with_media_only() {
    let s = TestServer::start().await;
    let plain = fill(&s, 2).await;
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(8, 8, image::Rgb([10, 200, 30]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let media = burrow::ops::media::upload(
        &s.state,
        png.into_inner(),
        Some("a.png"),
        Some("image/png"),
        None,
        None,
    )
    .await
    .unwrap();
    let pictured = post(
        &s.state,
        NewStatus {
            text: "with a picture".into(),
            media_ids: vec![media.id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let boost = burrow::ops::interactions::reblog(&s.state, plain[1], None)
        .await
        .unwrap();
    let api = Api {
        s: &s,
        token: token(&s, "read").await,
    };
    let me = s.state.store.owner_account().unwrap().unwrap();
    let path = format!("/api/v1/accounts/{}/statuses", me.id);

    let (all, _, _) = page(&api, &path).await;
    assert_eq!(all, [boost.id, pictured.id, plain[0], plain[1]]);
    let (no_boosts, _, _) = page(&api, &format!("{path}?exclude_reblogs=true")).await;
    assert_eq!(no_boosts, [pictured.id, plain[0], plain[1]]);
    let (media_only, _, _) = page(&api, &format!("{path}?only_media=true")).await;
    assert_eq!(media_only, [pictured.id]);

    // The next page keeps the filter and moves strictly past the last.
    let (first, next, _) = page(&api, &format!("{path}?exclude_reblogs=true&limit=1")).await;
    assert_eq!(first, [pictured.id]);
    let next = next.unwrap();
    assert!(next.contains("exclude_reblogs=true"), "{next}");
    let res = client()
        .get(&next)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ids_of(&res.json::<Value>().await.unwrap()), [plain[0]]);

    // Flags that are not booleans are refused.
    let res = api.get(&format!("{path}?only_media=perhaps")).await;
    assert_eq!(res.status(), 422);
}
