//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the
//! proxies named in `server.trusted_proxies`. The real binary's request
//! log shows whom the server took each request to come from.

use crate::common::binary::{Served, Site};

/// Writes `trusted_proxies` into the site's settings file.
fn trust(site: &Site, proxies: &str) {
    let file = site.data.join("burrow.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replacen(
        "[server]\n",
        &format!("[server]\ntrusted_proxies = {proxies}\n"),
        1,
    );
    std::fs::write(&file, text).unwrap();
}

/// Sends a GET of `path` claiming to come from 203.0.113.9 over HTTPS,
/// and returns the server's log line for it.
async fn spoofed_get(site: &Site, served: &mut Served, path: &str) -> String {
    let res = crate::common::client()
        .get(site.url(path))
        .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    served.wait_for(&format!("GET {path} 200"))
}

#[tokio::test]
async fn forwarding_headers_from_a_stranger_are_ignored() {
    let parent = tempfile::tempdir().unwrap();
    let site = Site::init(parent.path(), false);
    // A proxy is trusted, but the request does not come from it.
    trust(&site, r#"["10.0.0.0/8", "192.0.2.1"]"#);
    let mut served = site.serve();
    let line = spoofed_get(&site, &mut served, "/api/v1/instance").await;
    assert!(line.contains("client=127.0.0.1 http"), "{line}");
    assert!(!line.contains("203.0.113.9"), "{line}");
    assert!(served.terminate());
}

#[tokio::test]
async fn nobody_is_trusted_by_default() {
    let parent = tempfile::tempdir().unwrap();
    let site = Site::init(parent.path(), false);
    let mut served = site.serve();
    let line = spoofed_get(&site, &mut served, "/nodeinfo/2.0").await;
    assert!(line.contains("client=127.0.0.1 http"), "{line}");
    assert!(served.terminate());
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_scheme() {
    let parent = tempfile::tempdir().unwrap();
    let site = Site::init(parent.path(), false);
    trust(&site, r#"["127.0.0.1", "::1"]"#);
    let mut served = site.serve();
    let line = spoofed_get(&site, &mut served, "/api/v1/instance").await;
    // The nearest address the proxy did not add itself: what the client
    // wrote before it (198.51.100.1) is not believed.
    assert!(line.contains("client=203.0.113.9 https"), "{line}");
    assert!(served.terminate());
}

#[tokio::test]
async fn a_bad_proxy_entry_is_refused_with_file_and_line() {
    let parent = tempfile::tempdir().unwrap();
    let site = Site::init(parent.path(), false);
    trust(&site, r#"["proxy.lan"]"#);
    let out = crate::common::binary::burrow()
        .args(["serve", "--data-dir"])
        .arg(&site.data)
        .args(["--listen", &site.listen])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // After the file's two comment lines and `[server]`.
    assert!(err.contains("burrow.toml: line 5"), "{err}");
    assert!(err.contains("proxy.lan"), "{err}");
}
