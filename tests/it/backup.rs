//! Backups an owner can trust: taken while the server runs and an app
//! keeps posting, restored into a new directory as the same identity
//! (account, keys, tokens, statuses, followers, media); a damaged file
//! refused before anything is written.

use crate::common::binary::{burrow, owner_token, Site, OWNER};
use crate::common::{follow_accepted, png, png_part, TestOptions, TestServer};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn run(args: &[&std::ffi::OsStr]) -> Output {
    burrow()
        .args(args)
        .output()
        .expect("the burrow binary starts")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn backup(data: &Path, out: &Path) -> Output {
    run(&[
        "backup".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        out.as_os_str(),
    ])
}

fn restore(archive: &Path, data: &Path) -> Output {
    run(&[
        "restore".as_ref(),
        archive.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ])
}

async fn get_json(url: &str, token: &str) -> Value {
    let res = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_posting_restores_the_same_server() {
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::init(tmp.path(), true);
    let served = site.serve();
    let token = owner_token(&site.base, "read write follow").await;
    let client = reqwest::Client::new();

    // A follower on another server, and a post with an image.
    let peer = TestServer::start_with(TestOptions {
        username: Some("fan"),
        allow_private_network: true,
        ..TestOptions::default()
    })
    .await;
    let host = site.base.trim_start_matches("http://").to_string();
    follow_accepted(&peer, &format!("{OWNER}@{host}")).await;
    let media: Value = client
        .post(site.url("/api/v2/media"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", png_part(png(40, 30), "a.png")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image_bytes = client
        .get(media["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let with_image: Value = client
        .post(site.url("/api/v1/statuses"))
        .bearer_auth(&token)
        .form(&[
            ("status", "with a picture"),
            ("media_ids[]", media["id"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me = get_json(&site.url("/api/v1/accounts/verify_credentials"), &token).await;
    let actor_before = crate::common::get_ap(me["uri"].as_str().unwrap()).await;

    // An app keeps posting while the backup runs.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let (acked, stop, url, token) = (
            acked.clone(),
            stop.clone(),
            site.url("/api/v1/statuses"),
            token.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let res = reqwest::Client::new()
                    .post(&url)
                    .bearer_auth(&token)
                    .form(&[("status", format!("busy post {n}"))])
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success());
                let s: Value = res.json().await.unwrap();
                acked
                    .lock()
                    .unwrap()
                    .push(s["id"].as_str().unwrap().to_string());
            }
        })
    };
    crate::common::eventually("the app has posted", || acked.lock().unwrap().len() >= 5).await;
    let before_backup = acked.lock().unwrap().clone();
    let archive = tmp.path().join("site.backup");
    let (data, archive2) = (site.data.clone(), archive.clone());
    let out = tokio::task::spawn_blocking(move || backup(&data, &archive2))
        .await
        .unwrap();
    assert!(out.status.success(), "backup failed: {}", text(&out));
    assert!(text(&out).contains("Backed up"), "{}", text(&out));
    stop.store(true, Ordering::SeqCst);
    poster.await.unwrap();
    assert!(served.terminate(), "the server stops cleanly");

    // Restored into a new directory, served at the same address.
    let new_dir = tmp.path().join("restored");
    let out = restore(&archive, &new_dir);
    assert!(out.status.success(), "restore failed: {}", text(&out));
    let restored = Site {
        data: new_dir,
        listen: site.listen.clone(),
        base: site.base.clone(),
        allow_private_network: true,
    };
    let _served = restored.serve();

    // The same token works and names the same account.
    let me_after = get_json(&site.url("/api/v1/accounts/verify_credentials"), &token).await;
    assert_eq!(me_after["id"], me["id"]);
    assert_eq!(me_after["username"], OWNER);
    // The same key.
    let actor_after = crate::common::get_ap(me["uri"].as_str().unwrap()).await;
    assert_eq!(actor_after["publicKey"], actor_before["publicKey"]);
    // Every status acknowledged before the backup began, and the image.
    for id in before_backup
        .iter()
        .chain([&with_image["id"].as_str().unwrap().to_string()])
    {
        let s = get_json(&site.url(&format!("/api/v1/statuses/{id}")), &token).await;
        assert_eq!(s["id"].as_str(), Some(id.as_str()));
    }
    let s = get_json(
        &site.url(&format!(
            "/api/v1/statuses/{}",
            with_image["id"].as_str().unwrap()
        )),
        &token,
    )
    .await;
    let image_url = s["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = client.get(&image_url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{image_url}");
    assert_eq!(res.bytes().await.unwrap().to_vec(), image_bytes);
    // The follower.
    let followers = get_json(
        &site.url(&format!(
            "/api/v1/accounts/{}/followers",
            me["id"].as_str().unwrap()
        )),
        &token,
    )
    .await;
    assert_eq!(followers.as_array().map(Vec::len), Some(1), "{followers}");
    assert_eq!(followers[0]["username"], "fan");
    // The snapshot is consistent: every status it holds is on the
    // owner's timeline, and no timeline entry names a missing status.
    let home = get_json(&site.url("/api/v1/timelines/home?limit=40"), &token).await;
    for s in home.as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        get_json(&site.url(&format!("/api/v1/statuses/{id}")), &token).await;
    }
}

/// The directory a failed restore was pointed at holds nothing.
fn assert_untouched(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a refused restore wrote {left:?}");
}

#[test]
fn a_damaged_backup_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::init(tmp.path(), false);
    let archive = tmp.path().join("good.backup");
    let out = backup(&site.data, &archive);
    assert!(
        out.status.success(),
        "backup of a stopped server: {}",
        text(&out)
    );
    let bytes = std::fs::read(&archive).unwrap();

    // A byte flipped in the middle, and the file cut short.
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let cut = &bytes[..bytes.len() - 10];
    for (name, damaged, expect) in [
        ("flipped", &flipped[..], "does not match"),
        ("truncated", cut, "ends early"),
    ] {
        let path = tmp.path().join(format!("{name}.backup"));
        std::fs::write(&path, damaged).unwrap();
        let target = tmp.path().join(format!("into-{name}"));
        let out = restore(&path, &target);
        assert!(
            !out.status.success(),
            "{name} archive restored: {}",
            text(&out)
        );
        let msg = text(&out);
        assert!(
            msg.contains("can't be restored") && msg.contains(expect),
            "{name}: {msg}"
        );
        assert!(msg.contains("nothing was changed"), "{msg}");
        assert!(!target.exists(), "{name}: the target directory was created");
        // An empty directory given as the target stays empty.
        std::fs::create_dir(&target).unwrap();
        let out = restore(&path, &target);
        assert!(!out.status.success());
        assert_untouched(&target);
    }

    // A directory in use is refused, and the good archive restores.
    let out = restore(&archive, &site.data);
    assert!(!out.status.success());
    assert!(text(&out).contains("is not empty"), "{}", text(&out));
    let fresh = tmp.path().join("fresh");
    let out = restore(&archive, &fresh);
    assert!(out.status.success(), "{}", text(&out));
    assert!(fresh.join("burrow.toml").is_file() && fresh.join("db").is_dir());

    // An existing output file is never overwritten.
    let out = backup(&site.data, &archive);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&archive).unwrap(), bytes);
}
