//! The fuzzers' seed inputs, sent to a live server over HTTP: each seed
//! is a hostile or odd request that the fuzz targets grow their corpora
//! from, and the server must answer every one of them without a 5xx and
//! keep answering afterwards.

use crate::common::{client, eventually, follow_accepted, pair, TestServer};
use burrow::crypto::keys::{seeded_pkcs8, SigningKey};
use burrow::federation::signatures::sign_request;
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;
use std::time::SystemTime;

/// The content types the `params` fuzz target's selector byte picks from
/// (the same order as in `fuzz/fuzz_targets/params.rs`).
const PARAMS_CONTENT_TYPES: [&str; 7] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=XyZ",
    "",
    "application/activity+json",
    "text/plain",
    "multipart/form-data",
];

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("seed entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read(&path).expect("seed readable"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

/// Splits a seed into its selector byte and the rest.
fn selector(seed: &[u8]) -> (u8, &[u8]) {
    match seed.split_first() {
        Some((s, rest)) => (*s, rest),
        None => (0, seed),
    }
}

async fn still_answers(s: &TestServer) {
    let res = client()
        .get(s.url("/api/v1/instance"))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn webfinger_seeds_get_answers_not_errors() {
    let s = TestServer::start().await;
    for (name, seed) in seeds("webfinger") {
        let resource = String::from_utf8_lossy(&seed).into_owned();
        let res = client()
            .get(s.url("/.well-known/webfinger"))
            .query(&[("resource", resource.as_str())])
            .send()
            .await
            .expect("answer");
        assert!(res.status().as_u16() < 500, "{name}: {}", res.status());
    }
    still_answers(&s).await;
}

#[tokio::test]
async fn params_seeds_get_answers_not_errors() {
    let s = TestServer::start().await;
    for (name, seed) in seeds("params") {
        let (sel, rest) = selector(&seed);
        let content_type = PARAMS_CONTENT_TYPES
            .get(usize::from(sel & 0x7f) % PARAMS_CONTENT_TYPES.len())
            .copied()
            .unwrap_or("");
        let (query, body) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (
                rest.get(..i).unwrap_or(&[]),
                rest.get(i + 1..).unwrap_or(&[]),
            ),
            None => (&[][..], rest),
        };
        let query = String::from_utf8_lossy(query);
        let mut req = client()
            .post(format!("{}?{query}", s.url("/api/v1/apps")))
            .body(body.to_vec());
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        let res = req.send().await.expect("answer");
        assert!(res.status().as_u16() < 500, "{name}: {}", res.status());
    }
    still_answers(&s).await;
}

#[tokio::test]
async fn signature_seeds_are_refused_not_errors() {
    let s = TestServer::start().await;
    for (name, seed) in seeds("signatures") {
        let (_, rest) = selector(&seed);
        let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
            Some(i) => (
                rest.get(..i).unwrap_or(rest),
                rest.get(i + 2..).unwrap_or(&[]),
            ),
            None => (rest, &[][..]),
        };
        let mut req = client()
            .post(s.url("/users/alice/inbox"))
            .body(body.to_vec());
        for line in head.split(|b| *b == b'\n').skip(1) {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let (n, v) = line.split_at(colon);
            let v = v.get(1..).unwrap_or(&[]);
            let v = v.strip_prefix(b" ").unwrap_or(v);
            // The test client sets its own Host.
            if n.eq_ignore_ascii_case(b"host") {
                continue;
            }
            if let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(n),
                reqwest::header::HeaderValue::from_bytes(v),
            ) {
                req = req.header(n, v);
            }
        }
        let res = req.send().await.expect("answer");
        // Every seed is dated long ago or carries a made-up signature.
        assert!(
            matches!(res.status().as_u16(), 400 | 401 | 403),
            "{name}: {}",
            res.status()
        );
    }
    still_answers(&s).await;
}

/// A content warning whose `&` reference is cut inside a four-byte
/// character by the old reference decoder (found by the sanitiser's
/// properties): the inbox worker panicked turning it into plain text,
/// and nothing queued after it was ever applied.
#[tokio::test]
async fn a_reference_cut_inside_a_character_does_not_stop_the_inbox() {
    let (a, b) = pair().await;
    follow_accepted(&a, &format!("bob@{}", b.host)).await;
    let bob = b.url("/users/bob");
    let key = SigningKey::from_pkcs8(&seeded_pkcs8(2)).expect("bob's key");
    let inbox = url::Url::parse(&a.url("/users/alice/inbox")).expect("inbox url");
    let create = |n: u32, summary: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{bob}/statuses/{n}/activity"),
            "type": "Create",
            "actor": bob,
            "object": {
                "id": format!("{bob}/statuses/{n}"),
                "type": "Note",
                "attributedTo": bob,
                "summary": summary,
                "content": "<p>hello</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [format!("{bob}/followers")],
            },
        })
        .to_string()
        .into_bytes()
    };
    for body in [create(1, "&0\"A 0\u{11a00}"), create(2, "plain")] {
        let headers = sign_request(
            &key,
            &format!("{bob}#main-key"),
            &Method::POST,
            &inbox,
            &body,
            SystemTime::now(),
        )
        .expect("signs");
        let res = client()
            .post(inbox.as_str())
            .headers(headers)
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status(), 202);
    }
    let stored = |n: u32| {
        a.state
            .store
            .status_by_uri(&format!("{bob}/statuses/{n}"))
            .expect("store readable")
    };
    eventually("both posts are applied", || {
        stored(1).is_some() && stored(2).is_some()
    })
    .await;
    let first = stored(1).expect("stored");
    assert_eq!(first.spoiler_text, "&0\"A 0\u{11a00}");
    still_answers(&a).await;
}
