//! Request parameters: a query string plus a form, JSON or multipart
//! body, decoded through the same extractor every API handler uses.
//!
//! Input: one selector byte (the body's content type), then the query
//! string up to the first newline, then the body.
#![no_main]

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use burrow::http::api::params::{Params, ParamsWithFiles};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const CONTENT_TYPES: [&str; 7] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=XyZ",
    "",
    "application/activity+json",
    "text/plain",
    "multipart/form-data",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES
        .get(usize::from(selector & 0x7f) % CONTENT_TYPES.len())
        .copied()
        .unwrap_or("");
    let (query, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (
            rest.get(..i).unwrap_or(&[]),
            rest.get(i + 1..).unwrap_or(&[]),
        ),
        None => (&[][..], rest),
    };
    // Only what a real request line can carry reaches the query.
    let query: String = String::from_utf8_lossy(query)
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '#')
        .collect();
    let uri = if query.is_empty() {
        "/api/v1/x".to_string()
    } else {
        format!("/api/v1/x?{query}")
    };
    let mut builder = Request::builder().method("POST").uri(uri.as_str());
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    let Ok(req) = builder.body(Body::from(body.to_vec())) else {
        return;
    };
    let with_files = selector & 0x80 != 0;
    runtime().block_on(async move {
        if with_files {
            if let Ok(p) = ParamsWithFiles::from_request(req, &()).await {
                exercise(&p.params);
            }
        } else if let Ok(p) = Params::from_request(req, &()).await {
            exercise(&p);
        }
    });
});

/// The accessors handlers call, over every key found.
fn exercise(p: &Params) {
    for key in p.0.keys() {
        let _ = p.str(key);
        let _ = p.bool(key);
        let _ = p.list(key);
        let _ = p.objects(key);
        let _ = p.nested_str(key, "name");
        let _ = p.nested_bool(key, "hide");
    }
}
