//! The real `burrow` binary, driven as an operator would: `init`,
//! `passwd`, `serve`, and what each does with bad input.

use crate::common::binary::{burrow, free_port, Served};
use burrow::config::{Config, Overrides, CONFIG_FILE};
use burrow::ops::setup::check_password;
use burrow::store::Store;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

const PASSWORD: &str = "first password";
const NEW_PASSWORD: &str = "second password";

/// Runs `burrow ARGS` with `stdin` piped in and waits for it.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = burrow()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the burrow binary starts");
    // The command may exit before reading (e.g. on a bad flag): ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts a command failed with exactly one line on stderr and returns it.
fn one_line_error(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got success; stdout: {}",
        stdout(out)
    );
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_string()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn init(dir: &Path, public_url: &str, username: &str, password: &str) -> Output {
    run(
        &[
            "init",
            "--data-dir",
            path_str(dir),
            "--public-url",
            public_url,
            "--username",
            username,
            "--display-name",
            "Me, myself",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
}

/// Opens the store the way the binary does (only once the binary exited:
/// sled holds a lock while open).
fn open_store(dir: &Path) -> Store {
    let config = Config::load(dir, &Overrides::default()).unwrap();
    burrow::server::open_store(dir, &config).unwrap()
}

/// Everything about the owner that must never change behind their back.
fn owner_snapshot(dir: &Path) -> (String, Vec<u8>, burrow::store::accounts::Account) {
    let store = open_store(dir);
    let owner = store.owner().unwrap().expect("an owner");
    let account = store.owner_account().unwrap().unwrap();
    (owner.password_hash, owner.private_key_pkcs8, account)
}

#[test]
fn init_creates_the_owner_and_a_documented_settings_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = init(&dir, "https://me.example/", "me", PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("@me@me.example"), "{}", stdout(&out));

    let text = std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap();
    assert!(
        text.contains("public_url = \"https://me.example\""),
        "{text}"
    );
    assert!(
        text.contains("BURROW_PUBLIC_URL"),
        "the file documents its keys"
    );
    let store = open_store(&dir);
    let account = store.owner_account().unwrap().unwrap();
    assert_eq!(account.username, "me");
    assert_eq!(account.display_name, "Me, myself");
    assert_eq!(account.uri, "https://me.example/users/me");
    assert!(account
        .public_key_pem
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(check_password(&store, PASSWORD).unwrap());
    assert!(!check_password(&store, NEW_PASSWORD).unwrap());
}

#[test]
fn second_init_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, "https://me.example", "me", PASSWORD)
        .status
        .success());
    let config_before = std::fs::read(dir.join(CONFIG_FILE)).unwrap();
    let owner_before = owner_snapshot(&dir);

    let line = one_line_error(&init(&dir, "https://me.example", "other", NEW_PASSWORD));
    assert!(line.contains("already has an owner"), "{line}");
    assert!(line.contains("@me"), "{line}");
    // A different public URL is refused too, before anything is opened.
    let line = one_line_error(&init(&dir, "https://else.example", "other", NEW_PASSWORD));
    assert!(line.contains("public_url"), "{line}");
    assert!(line.contains("nothing was changed"), "{line}");

    assert_eq!(std::fs::read(dir.join(CONFIG_FILE)).unwrap(), config_before);
    let owner_after = owner_snapshot(&dir);
    assert_eq!(owner_after.0, owner_before.0, "password hash unchanged");
    assert_eq!(owner_after.1, owner_before.1, "private key unchanged");
    assert_eq!(owner_after.2, owner_before.2, "account unchanged");
    assert!(check_password(&open_store(&dir), PASSWORD).unwrap());
}

#[test]
fn init_refuses_bad_usernames_and_passwords_without_creating_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let line = one_line_error(&init(&dir, "https://me.example", "has space", PASSWORD));
    assert!(line.contains("username"), "{line}");
    assert!(
        !dir.exists(),
        "a refused init must not create the data directory"
    );

    let line = one_line_error(&init(&dir, "https://me.example", "me", "short"));
    assert!(line.contains("password"), "{line}");
    assert!(!dir.join(CONFIG_FILE).exists());
    let line = one_line_error(&run(
        &[
            "init",
            "--data-dir",
            path_str(&dir),
            "--public-url",
            "https://me.example",
            "--username",
            "me",
            "--password-stdin",
        ],
        "",
    ));
    assert!(line.contains("standard input"), "{line}");
    assert!(open_store(&dir).owner().unwrap().is_none());
}

#[test]
fn passwd_changes_the_password() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, "https://me.example", "me", PASSWORD)
        .status
        .success());
    let passwd = |pw: &str| {
        run(
            &["passwd", "--data-dir", path_str(&dir), "--password-stdin"],
            &format!("{pw}\n"),
        )
    };
    let out = passwd(NEW_PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    {
        let store = open_store(&dir);
        assert!(check_password(&store, NEW_PASSWORD).unwrap());
        assert!(!check_password(&store, PASSWORD).unwrap());
    }
    // Too short: refused, the current password stays.
    let line = one_line_error(&passwd("short"));
    assert!(line.contains("too short"), "{line}");
    assert!(check_password(&open_store(&dir), NEW_PASSWORD).unwrap());
}

#[test]
fn passwd_on_a_directory_without_data_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("typo");
    let line = one_line_error(&run(
        &["passwd", "--data-dir", path_str(&dir), "--password-stdin"],
        "long enough\n",
    ));
    assert!(line.contains("burrow init"), "{line}");
    assert!(!dir.exists());
}

#[test]
fn unknown_setting_is_one_line_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, "https://me.example", "me", PASSWORD)
        .status
        .success());
    let file = dir.join(CONFIG_FILE);
    let mut text = std::fs::read_to_string(&file).unwrap();
    // A typo in the [server] table, right after its header.
    let header = text.find("[server]\n").unwrap() + "[server]\n".len();
    text.insert_str(header, "lisen = \"0.0.0.0:80\"\n");
    std::fs::write(&file, &text).unwrap();
    let line_no = text[..header].lines().count() + 1;

    let d = path_str(&dir);
    for args in [
        vec!["serve", "--data-dir", d],
        vec!["--data-dir", d],
        vec!["passwd", "--data-dir", d, "--password-stdin"],
    ] {
        let line = one_line_error(&run(&args, "long enough\n"));
        assert!(line.contains(path_str(&file)), "{args:?}: {line}");
        assert!(
            line.contains(&format!("line {line_no}")),
            "{args:?}: {line}"
        );
        assert!(line.contains("lisen"), "{args:?}: {line}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn a_data_dir_under_a_regular_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, b"keep me").unwrap();
    for dir in [file.clone(), file.join("data")] {
        let d = path_str(&dir);
        let line = one_line_error(&init(&dir, "https://me.example", "me", PASSWORD));
        assert!(line.contains(d), "{line}");
        assert!(line.contains("regular file"), "{line}");
        let line = one_line_error(&run(&["serve", "--data-dir", d], ""));
        assert!(line.contains("regular file"), "{line}");
        let line = one_line_error(&run(&["passwd", "--data-dir", d, "--password-stdin"], ""));
        assert!(line.contains("regular file"), "{line}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn bad_public_urls_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    for url in [
        "ftp://me.example",
        "https://me.example/burrow",
        "me.example",
        "",
    ] {
        let line = one_line_error(&init(&dir, url, "me", PASSWORD));
        assert!(line.contains("public_url"), "{url}: {line}");
        let line = one_line_error(&run(
            &["serve", "--data-dir", path_str(&dir), "--public-url", url],
            "",
        ));
        assert!(line.contains("public_url"), "{url}: {line}");
    }
    assert!(!dir.exists());
}

fn content_type(res: &reqwest::Response) -> String {
    res.headers()["content-type"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn serve_answers_discovery_and_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let host = format!("127.0.0.1:{port}");
    assert!(init(&dir, &base, "me", PASSWORD).status.success());

    let listen = host.clone();
    let mut server = Served::start(&[
        "serve",
        "--data-dir",
        path_str(&dir),
        "--listen",
        &listen,
        "--public-url",
        &base,
    ]);
    // Logged once the port is bound: requests from here on are accepted.
    server.wait_for("listening on");

    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, accept: &str| {
        c.get(format!("{base}{path}"))
            .header("accept", accept)
            .send()
    };

    let res = get(
        &format!("/.well-known/webfinger?resource=acct:me@{host}"),
        "application/jrd+json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("application/jrd+json"));
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:me@{host}"));
    let self_link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()
        .clone();
    assert_eq!(self_link["href"], format!("{base}/users/me"));

    let res = get(
        &format!("/.well-known/webfinger?resource=acct:nobody@{host}"),
        "*/*",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);

    let res = get("/.well-known/host-meta", "*/*").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("application/xrd+xml"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("{base}/.well-known/webfinger?resource={{uri}}")));

    for version in ["2.0", "2.1"] {
        let res = get(&format!("/nodeinfo/{version}"), "application/json")
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["version"], version);
        assert_eq!(doc["software"]["name"], "burrow");
        assert_eq!(doc["metadata"]["nodeName"], "Me, myself");
    }

    let res = get(
        self_link["href"]
            .as_str()
            .unwrap()
            .trim_start_matches(&base),
        "application/activity+json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("application/activity+json"));
    let actor: Value = res.json().await.unwrap();
    assert_eq!(actor["id"], format!("{base}/users/me"));
    assert_eq!(actor["preferredUsername"], "me");
    assert_eq!(actor["name"], "Me, myself");

    let res = get("/@me", "text/html").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("@me@{host}")), "{html}");
    assert!(html.contains("Me, myself"), "{html}");

    // The running server holds the database; passwd says so and waits for nothing.
    let line = one_line_error(&run(
        &["passwd", "--data-dir", path_str(&dir), "--password-stdin"],
        &format!("{NEW_PASSWORD}\n"),
    ));
    assert!(line.contains("another Burrow"), "{line}");

    assert!(server.terminate(), "burrow serve must exit 0 on SIGTERM");
    // The lock is released and the data is intact after shutdown.
    let store = open_store(&dir);
    assert_eq!(store.owner().unwrap().unwrap().username, "me");
    assert!(check_password(&store, PASSWORD).unwrap());
}

#[tokio::test]
async fn fresh_serve_prints_a_setup_link_that_creates_the_owner() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let host = format!("127.0.0.1:{port}");
    let mut server = Served::start(&[
        "--data-dir",
        path_str(&dir),
        "--listen",
        &host,
        "--public-url",
        &base,
    ]);
    let link = server.wait_for("/setup?token=").trim().to_string();
    assert!(link.starts_with(&format!("{base}/setup?token=")), "{link}");
    server.wait_for("listening on");
    let token = link.rsplit_once("token=").unwrap().1.to_string();

    let c = reqwest::Client::new();
    let webfinger = format!("{base}/.well-known/webfinger?resource=acct:me@{host}");
    assert_eq!(c.get(&webfinger).send().await.unwrap().status(), 503);
    let res = c.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<form"));
    let res = c
        .post(format!("{base}/setup"))
        .form(&[
            ("token", token.as_str()),
            ("username", "me"),
            ("display_name", "Me"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(&format!("@me@{host}")));
    let res = c.get(&webfinger).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .get(format!("{base}/users/me"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("application/activity+json"));

    assert!(server.terminate());
    let store = open_store(&dir);
    assert!(check_password(&store, PASSWORD).unwrap());
}

#[test]
fn serve_refuses_a_public_url_that_differs_from_the_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, "https://me.example", "me", PASSWORD)
        .status
        .success());
    let port = free_port().to_string();
    let line = one_line_error(&run(
        &[
            "serve",
            "--data-dir",
            path_str(&dir),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            "https://other.example",
        ],
        "",
    ));
    assert!(line.contains("https://me.example"), "{line}");
    assert!(line.contains("https://other.example"), "{line}");
}

#[test]
fn doctor_names_each_problem_with_its_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(init(&dir, "http://127.0.0.1:9", "me", PASSWORD)
        .status
        .success());
    // A data directory others may read, and no server running.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = run(&["doctor", "--data-dir", path_str(&dir)], "");
    assert!(!out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("PROBLEM") && text.contains("chmod 700"),
        "{text}"
    );
    assert!(
        text.contains("not running") && text.contains("burrow serve"),
        "{text}"
    );
    assert!(text.contains("ok       settings"), "{text}");
    assert!(one_line_error(&out).contains("problem(s) found"));

    // A data directory that holds nothing.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&["doctor", "--data-dir", path_str(&empty)], "");
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("holds no Burrow data"),
        "{}",
        stdout(&out)
    );
    assert!(!empty.join("db").exists(), "doctor created a store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_blocks_from_the_command_line_with_and_without_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let site = crate::common::binary::Site::init(tmp.path(), false);
    let dir = path_str(&site.data).to_string();
    let block = |args: &[&str]| {
        let mut all = vec!["domain-block"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", &dir]);
        run(&all, "")
    };
    // No server: the command opens the store itself.
    let out = block(&["add", "https://Spam.Example/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&block(&["list"])).contains("spam.example"));
    let out = block(&["add", "not a domain"]);
    assert!(one_line_error(&out).contains("not a domain name"));

    // With the server running: the same through its admin socket, and
    // the web settings and API see it at once.
    let served = site.serve();
    let out = block(&["add", "worse.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&block(&["list"]));
    assert_eq!(
        list.lines().collect::<Vec<_>>(),
        ["worse.example", "spam.example"]
    );
    let token = crate::common::binary::owner_token(&site.base, "read follow").await;
    let api: Value = reqwest::Client::new()
        .get(site.url("/api/v1/domain_blocks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api, serde_json::json!(["worse.example", "spam.example"]));
    let out = block(&["remove", "spam.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&block(&["list"])).trim(), "worse.example");
    // stats and a prune dry run answer through the socket too.
    let stats = run(&["stats", "--data-dir", &dir], "");
    assert!(
        stdout(&stats).contains("accounts") && stdout(&stats).contains("total"),
        "{}",
        stdout(&stats)
    );
    let prune = run(&["prune", "--data-dir", &dir], "");
    assert!(stdout(&prune).contains("Dry run"), "{}", stdout(&prune));
    assert!(served.terminate());
    assert_eq!(stdout(&block(&["list"])).trim(), "worse.example");
}

/// The admin socket answers only its own user (and root): even with the
/// file opened to everyone, another user's command is refused. Needs
/// root to run a command as another user; skipped otherwise.
#[test]
fn the_admin_socket_refuses_other_users() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    if std::fs::metadata(tmp.path()).unwrap().uid() != 0 {
        eprintln!("not root: cannot run a command as another user; skipped");
        return;
    }
    let site = crate::common::binary::Site::init(tmp.path(), false);
    let served = site.serve();
    let socket = site.data.join("admin.sock");
    assert_eq!(
        std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for dir in [tmp.path(), site.data.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let bin = std::env::var_os("BURROW_TEST_BIN")
        .unwrap_or_else(|| std::ffi::OsString::from(env!("CARGO_BIN_EXE_burrow")));
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["domain-block", "add", "sneaky.example", "--data-dir"])
        .arg(&site.data)
        .output()
        .expect("setpriv runs");
    assert!(!out.status.success(), "another user's command was obeyed");
    // The command ran and reached the socket; the server hung up on it.
    assert!(stderr(&out).contains("admin socket"), "{}", stderr(&out));
    assert!(served.terminate());
    let out = run(
        &["domain-block", "list", "--data-dir", path_str(&site.data)],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("sneaky"), "{}", stdout(&out));
}
