//! No request can stop the server: input that once panicked or overflowed
//! the stack (a header cut inside a character, parameter keys nested a
//! hundred thousand deep) is refused with a clear error, and the server
//! answers the next request.

use crate::common;
use common::*;
use reqwest::header::HeaderValue;
use serde_json::Value;

/// The server still answers an ordinary request.
async fn still_serving(s: &TestServer) {
    let res = client()
        .get(s.url("/api/v1/instance"))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(res.status(), 200);
}

/// The status and the `error` message of a JSON error response.
async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("a JSON error body");
    let message = body["error"]
        .as_str()
        .expect("an `error` string")
        .to_string();
    (status, message)
}

#[tokio::test]
async fn an_authorization_header_cut_inside_a_character_is_refused() {
    let s = TestServer::start().await;
    // `é` is two bytes (C3 A9) straddling byte 10, where the scheme name
    // was once cut.
    let value = HeaderValue::from_bytes(b"abcdefghi\xC3\xA9xyz").unwrap();
    for path in ["/inbox", "/users/alice/inbox"] {
        let res = client()
            .post(s.url(path))
            .header("authorization", value.clone())
            .header("content-type", "application/activity+json")
            .body("{}")
            .send()
            .await
            .expect("an answer, not a dropped connection");
        let (status, message) = error_of(res).await;
        assert_eq!(status, 401, "{message}");
        assert!(message.contains("not signed"), "{message}");
    }
    // Raw bytes that are not UTF-8 at all, in every signature header.
    for name in ["authorization", "signature", "signature-input"] {
        let res = client()
            .post(s.url("/inbox"))
            .header(
                name,
                HeaderValue::from_bytes(b"Signature \xff\xfe=\"\xC3\"").unwrap(),
            )
            .header("content-type", "application/activity+json")
            .body("{}")
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(res.status(), 401, "{name}");
    }
    still_serving(&s).await;
}

/// `a[b][b]…[b]`, `depth` levels in all.
fn deep_key(depth: usize) -> String {
    format!("a{}", "[b]".repeat(depth - 1))
}

#[tokio::test]
async fn form_keys_nested_a_hundred_thousand_deep_are_refused() {
    let s = TestServer::start().await;
    let body = format!(
        "client_name=x&redirect_uris=urn:ietf:wg:oauth:2.0:oob&{}=1",
        deep_key(100_000)
    );
    let res = client()
        .post(s.url("/api/v1/apps"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("an answer, not a dropped connection");
    let (status, message) = error_of(res).await;
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("parameter name"), "{message}");
    still_serving(&s).await;
}

#[tokio::test]
async fn keys_just_past_the_depth_bound_are_refused_in_forms_queries_and_multipart() {
    let s = TestServer::start().await;
    let key = deep_key(33);
    let form = client()
        .post(s.url("/api/v1/apps"))
        .form(&[("client_name", "x"), (key.as_str(), "1")])
        .send()
        .await
        .unwrap();
    let query = client()
        .post(s.url("/api/v1/apps"))
        .query(&[(key.as_str(), "1")])
        .form(&[("client_name", "x")])
        .send()
        .await
        .unwrap();
    let multipart = client()
        .post(s.url("/api/v1/apps"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("client_name", "x")
                .text(key.clone(), "1"),
        )
        .send()
        .await
        .unwrap();
    for (how, res) in [("form", form), ("query", query), ("multipart", multipart)] {
        let (status, message) = error_of(res).await;
        assert_eq!(status, 400, "{how}: {message}");
        assert!(
            message.contains("nested deeper than 32"),
            "{how}: {message}"
        );
    }
    // Thirty-two levels are still read.
    let res = client()
        .post(s.url("/api/v1/apps"))
        .form(&[
            ("client_name", "x"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            (deep_key(32).as_str(), "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    still_serving(&s).await;
}

#[tokio::test]
async fn too_many_parameters_are_refused() {
    let s = TestServer::start().await;
    let body: Vec<String> = (0..1001).map(|i| format!("k{i}=v")).collect();
    let res = client()
        .post(s.url("/api/v1/apps"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .await
        .unwrap();
    let (status, message) = error_of(res).await;
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("more than 1000 parameters"), "{message}");
    still_serving(&s).await;
}

/// The layer `app` wraps every route in, around a route that panics: the
/// panic is answered 500 with a JSON error, and the next request is
/// served as usual.
#[tokio::test]
async fn a_panic_in_one_request_is_a_500_and_serving_goes_on() {
    async fn boom() -> &'static str {
        panic!("a bug nobody foresaw")
    }
    let app = axum::Router::new()
        .route("/boom", axum::routing::get(boom))
        .route("/fine", axum::routing::get(|| async { "fine" }))
        .layer(burrow::http::catch_panics());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    for _ in 0..3 {
        let res = client()
            .get(format!("{base}/boom"))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        let (status, message) = error_of(res).await;
        assert_eq!(status, 500);
        assert!(message.contains("server log"), "{message}");
        // Nothing of the panic's message reaches the caller.
        assert!(!message.contains("foresaw"), "{message}");
        let res = client().get(format!("{base}/fine")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "fine");
    }
    server.abort();
}
