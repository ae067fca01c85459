//! `burrow import`: archives built here, imported by the real binary,
//! then served: posts keep their dates, images, alt text, tags and
//! threads, are fetchable as objects, queue no deliveries, and come in
//! only once. Hostile archives are refused with a message, never a panic.

use crate::common::binary::{burrow, owner_token, Site};
use crate::common::png;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::Output;

fn zip_of(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

fn import(site: &Site, kind: &str, archive: &Path) -> Output {
    burrow()
        .args(["import", kind])
        .arg(archive)
        .arg("--data-dir")
        .arg(&site.data)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mastodon_archive(path: &Path) {
    let note = |id: &str, at: &str, content: &str, reply: Option<&str>, media: Value| {
        json!({"type": "Create", "object": {
            "type": "Note", "id": id, "published": at, "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [],
            "inReplyTo": reply, "attachment": media}})
    };
    let outbox = json!({"type": "OrderedCollection", "orderedItems": [
        note("https://old.example/s/2", "2019-05-02T10:00:00Z", "<p>second, in the thread</p>",
             Some("https://old.example/s/1"), json!([])),
        note("https://old.example/s/1", "2019-05-01T10:00:00Z", "<p>first <a href=\"x\">#Moving</a></p>",
             None, json!([{"type": "Document", "url": "/media_attachments/files/1/original/a.png", "name": "a red square"}])),
        {"type": "Announce", "object": "https://else.example/s/9"},
    ]});
    zip_of(
        path,
        &[
            ("outbox.json", outbox.to_string().into_bytes()),
            ("actor.json", b"{}".to_vec()),
            ("media_attachments/files/1/original/a.png", png(8, 8)),
        ],
    );
}

fn twitter_archive(path: &Path) {
    let tweets = json!([
        {"tweet": {"id_str": "100", "created_at": "Wed Oct 10 20:19:24 +0000 2018",
          "full_text": "tweeting #Birds https://t.co/abc https://t.co/pic",
          "entities": {"urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.com/long"}]},
          "extended_entities": {"media": [{"url": "https://t.co/pic", "type": "photo",
             "media_url_https": "https://pbs.twimg.com/media/b.png", "ext_alt_text": "a small bird"}]}}},
        {"tweet": {"id_str": "101", "created_at": "Thu Oct 11 20:19:24 +0000 2018",
          "full_text": "and a reply to myself", "in_reply_to_status_id_str": "100"}},
        {"tweet": {"id_str": "102", "created_at": "Thu Oct 11 21:19:24 +0000 2018",
          "full_text": "@someone hi", "in_reply_to_status_id_str": "555"}},
        {"tweet": {"id_str": "103", "created_at": "Thu Oct 11 22:19:24 +0000 2018",
          "full_text": "RT @someone: theirs"}}
    ]);
    zip_of(
        path,
        &[
            (
                "data/tweets.js",
                format!("window.YTD.tweets.part0 = {tweets}").into_bytes(),
            ),
            ("data/tweets_media/100-b.png", png(8, 8)),
        ],
    );
}

async fn statuses(base: &str, token: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let me: Value = http
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = me["id"].as_str().unwrap();
    http.get(format!("{base}/api/v1/accounts/{id}/statuses"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn archives_import_with_dates_media_tags_threads_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::init(dir.path(), false);
    let m = dir.path().join("mastodon.zip");
    let t = dir.path().join("twitter.zip");
    mastodon_archive(&m);
    twitter_archive(&t);

    let out = import(&site, "mastodon", &m);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Imported 2 post(s)"), "{}", text(&out));
    assert!(text(&out).contains("boost"), "{}", text(&out));
    let out = import(&site, "twitter", &t);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Imported 2 post(s)"), "{said}");
    assert!(said.contains("Skipped 1: a retweet"), "{said}");
    assert!(
        said.contains("Skipped 1: a reply to someone else"),
        "{said}"
    );

    // A second run adds nothing.
    for (kind, path) in [("mastodon", &m), ("twitter", &t)] {
        let again = import(&site, kind, path);
        assert!(
            text(&again).contains("Imported 0 post(s); 2 were already here"),
            "{}",
            text(&again)
        );
    }

    let served = site.serve();
    let token = owner_token(&site.base, "read").await;
    let list = statuses(&site.base, &token).await;
    let dates: Vec<&str> = list
        .iter()
        .map(|s| s["created_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2019-05-02T10:00:00.000Z",
            "2019-05-01T10:00:00.000Z",
            "2018-10-11T20:19:24.000Z",
            "2018-10-10T20:19:24.000Z"
        ],
        "newest first, by original date"
    );
    let by_date = |d: &str| list.iter().find(|s| s["created_at"] == d).unwrap();
    let first = by_date("2019-05-01T10:00:00.000Z");
    assert_eq!(first["tags"][0]["name"], "moving");
    assert_eq!(first["media_attachments"][0]["description"], "a red square");
    assert_eq!(
        by_date("2019-05-02T10:00:00.000Z")["in_reply_to_id"],
        first["id"]
    );
    let tweet = by_date("2018-10-10T20:19:24.000Z");
    assert!(tweet["content"]
        .as_str()
        .unwrap()
        .contains("https://example.com/long"));
    assert!(!tweet["content"].as_str().unwrap().contains("t.co"));
    assert_eq!(tweet["tags"][0]["name"], "birds");
    assert_eq!(tweet["media_attachments"][0]["description"], "a small bird");
    assert_eq!(
        by_date("2018-10-11T20:19:24.000Z")["in_reply_to_id"],
        tweet["id"]
    );

    // Peers fetch them at their new ids.
    let object = crate::common::get_ap(first["uri"].as_str().unwrap()).await;
    assert_eq!(object["type"], "Note");
    assert_eq!(object["published"], "2019-05-01T10:00:00.000Z");
    drop(served);

    // Nothing was queued for delivery.
    let config = burrow::config::Config::load(&site.data, &Default::default()).unwrap();
    let store = burrow::server::open_store(&site.data, &config).unwrap();
    assert!(store.delivery_jobs().unwrap().is_empty());
}

/// Importer, zip entries, and a word the refusal must contain.
type Case = (&'static str, Vec<(&'static str, Vec<u8>)>, &'static str);

#[test]
fn hostile_archives_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::init(dir.path(), false);
    let cases: Vec<Case> = vec![
        (
            "mastodon",
            vec![("outbox.json", b"{broken".to_vec())],
            "not valid JSON",
        ),
        (
            "twitter",
            vec![("data/tweets.js", b"window.x = [".to_vec())],
            "JSON list",
        ),
        (
            "mastodon",
            vec![("actor.json", b"{}".to_vec())],
            "outbox.json",
        ),
        // A zip bomb's worth of zeros, far past the bound.
        (
            "twitter",
            vec![("data/tweets.js", vec![b' '; 300 * 1024 * 1024])],
            "bytes",
        ),
    ];
    for (i, (kind, entries, expect)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("{i}.zip"));
        zip_of(&path, &entries);
        let out = import(&site, kind, &path);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
        assert!(text(&out).contains(expect), "{kind}: {}", text(&out));
    }
    // A media path that climbs out of the archive is left out, not read.
    let outbox = json!({"orderedItems": [{"type": "Create", "object": {
        "type": "Note", "id": "https://old.example/s/1", "published": "2019-05-01T10:00:00Z",
        "content": "hi", "to": [], "cc": [],
        "attachment": [{"url": "/../../etc/passwd", "name": "x"}]}}]});
    let path = dir.path().join("climb.zip");
    zip_of(&path, &[("outbox.json", outbox.to_string().into_bytes())]);
    let out = import(&site, "mastodon", &path);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Imported 1 post(s)"), "{}", text(&out));
    // Not a zip at all.
    let path = dir.path().join("plain.zip");
    std::fs::write(&path, b"hello").unwrap();
    let out = import(&site, "mastodon", &path);
    assert!(text(&out).contains("not a readable zip"), "{}", text(&out));
}

#[test]
fn a_running_server_is_named_as_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::init(dir.path(), false);
    let path = dir.path().join("m.zip");
    mastodon_archive(&path);
    let _served = site.serve();
    let out = import(&site, "mastodon", &path);
    assert!(!out.status.success());
    assert!(text(&out).contains("Stop the server"), "{}", text(&out));
}
