//! Media uploads: stored through the operation, served over HTTP as the
//! images they are, kept across restarts, swept when never attached.

use crate::common;

use burrow::ops::media;
use burrow::ops::OpError;
use common::{client, png, TestOptions, TestServer};

fn media_files(server: &TestServer) -> Vec<String> {
    match std::fs::read_dir(media::media_dir(server.dir.path())) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn uploaded_image_is_served_with_its_real_type() {
    let server = TestServer::start().await;
    let bytes = png(300, 200);
    let record = media::upload(
        &server.state,
        bytes,
        None,
        Some("application/octet-stream"),
        Some("  a gradient  "),
        Some((0.5, -0.5)),
    )
    .await
    .unwrap();
    assert_eq!(record.content_type, "image/png");
    assert_eq!(record.description, "a gradient");
    assert_eq!((record.original.width, record.original.height), (300, 200));
    assert!(!record.blurhash.is_empty());
    assert_eq!(media::get(&server.state, record.id).unwrap(), record);

    let http = client();
    let res = http
        .get(server.url(&format!("/media/{}", record.file)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    let body = res.bytes().await.unwrap();
    assert_eq!(body.len() as u64, record.file_size);
    let decoded = image::load_from_memory(&body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (300, 200));

    // The thumbnail is served too, and a cached copy is confirmed cheaply.
    let small = http
        .get(server.url(&format!("/media/{}", record.small_file)))
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(small.headers()["content-type"], record.small_content_type);
    let etag = h["etag"].clone();
    let again = http
        .get(server.url(&format!("/media/{}", record.file)))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn paths_outside_the_media_directory_are_not_served() {
    let server = TestServer::start().await;
    let http = client();
    for path in [
        "/media/..%2F..%2Fsettings.toml",
        "/media/%2e%2e%2fdb",
        "/media/conf",
        "/media/notarandomname.jpg",
    ] {
        let res = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
    let missing = format!("/media/{}.jpg", "A".repeat(43));
    let res = http.get(server.url(&missing)).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind() {
    let server = TestServer::start().await;
    let err = media::upload(
        &server.state,
        b"II*\0\x08\0\0\0 a tiff".to_vec(),
        Some("scan.tif"),
        Some("image/tiff"),
        None,
        None,
    )
    .await
    .unwrap_err();
    match err {
        OpError::Invalid(m) => assert_eq!(
            m,
            "the file is a TIFF; upload a JPEG, PNG, GIF or WebP image"
        ),
        other => panic!("{other:?}"),
    }
    let err = media::upload(
        &server.state,
        png(8, 8),
        None,
        None,
        Some(&"x".repeat(1501)),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, OpError::Invalid(ref m) if m.contains("1500")),
        "{err:?}"
    );
    let err = media::upload(&server.state, png(8, 8), None, None, None, Some((2.0, 0.0)))
        .await
        .unwrap_err();
    assert!(matches!(err, OpError::Invalid(_)), "{err:?}");
    assert!(media_files(&server).is_empty());
    assert!(server
        .state
        .store
        .unattached_media_before(i64::MAX >> 17, 10)
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn description_and_focus_can_be_changed_and_survive_a_restart() {
    let server = TestServer::start().await;
    let record = media::upload(
        &server.state,
        png(20, 20),
        Some("a.png"),
        Some("image/png"),
        None,
        None,
    )
    .await
    .unwrap();
    let updated = media::update(&server.state, record.id, Some("new alt"), Some((-1.0, 1.0)))
        .await
        .unwrap();
    assert_eq!(updated.description, "new alt");
    assert!(
        media::update(&server.state, record.id, Some(&"é".repeat(1501)), None)
            .await
            .is_err()
    );
    assert!(matches!(
        media::update(&server.state, 12345, Some("x"), None).await,
        Err(OpError::NotFound(_))
    ));

    let dir = server.stop().await;
    let server = TestServer::start_in(dir, TestOptions::default()).await;
    let kept = media::get(&server.state, record.id).unwrap();
    assert_eq!(kept.description, "new alt");
    assert_eq!((kept.focus.x, kept.focus.y), (-1.0, 1.0));
    let res = client()
        .get(server.url(&format!("/media/{}", kept.file)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn sweeper_deletes_only_old_unattached_uploads() {
    let server = TestServer::start().await;
    let state = &server.state;
    let loose = media::upload(state, png(10, 10), None, None, None, None)
        .await
        .unwrap();
    let mut attached = media::upload(state, png(10, 10), None, None, None, None)
        .await
        .unwrap();
    attached.status_id = Some(42);
    state.store.put_media(&attached).unwrap();
    assert_eq!(media_files(&server).len(), 4);

    // Not a day old yet: nothing goes.
    let now = loose.created_at_ms;
    assert_eq!(media::sweep_unattached(state, now + 1000).await.unwrap(), 0);

    let later = now + media::UNATTACHED_MAX_AGE_MS + 60_000;
    assert_eq!(media::sweep_unattached(state, later).await.unwrap(), 1);
    assert!(matches!(
        media::get(state, loose.id),
        Err(OpError::NotFound(_))
    ));
    assert!(media::get(state, attached.id).is_ok());
    let mut files = media_files(&server);
    files.sort();
    let mut expected = vec![attached.file.clone(), attached.small_file.clone()];
    expected.sort();
    assert_eq!(files, expected);
}
