//! Web Push in the legacy `aesgcm` coding, the one Mastodon sent up to
//! 4.3 and most phone apps still decrypt: sent unless a subscription says
//! `standard`, with its salt and key in headers and a `WebPush` VAPID
//! token, and read back by an implementation Burrow did not write
//! (Python's `http_ece`) as well as by our own.

use crate::common::*;
use crate::push::{
    b64, fixed_key, notify_from_stranger, vapid_key, Received, Sink, AUTH, UA_PRIVATE, UA_PUBLIC,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use burrow::push::{aesgcm, ece};
use serde_json::Value;
use std::process::Command;

async fn subscribe(s: &TestServer, token: &str, endpoint: &str, standard: Option<&str>) -> Value {
    let mut form = vec![
        ("subscription[endpoint]", endpoint),
        ("subscription[keys][p256dh]", UA_PUBLIC),
        ("subscription[keys][auth]", AUTH),
        ("data[alerts][mention]", "true"),
    ];
    if let Some(v) = standard {
        form.push(("subscription[standard]", v));
    }
    let res = client()
        .post(s.url("/api/v1/push/subscription"))
        .bearer_auth(token)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn header(msg: &Received, name: &str) -> String {
    msg.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// `name=value` out of a `;`- or `,`-separated header.
fn param(header: &str, name: &str) -> Option<String> {
    header
        .split([';', ','])
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// Decrypts with Python's `http_ece` (`version="aesgcm"`); `None` when
/// python3 or the package is missing, so the caller can say it skipped.
fn python_decrypt(salt: &str, dh: &str, body: &[u8]) -> Option<Vec<u8>> {
    const SCRIPT: &str = r#"
import base64, sys, http_ece
from cryptography.hazmat.primitives.asymmetric import ec
def d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
key = ec.derive_private_key(int.from_bytes(d(sys.argv[1]), "big"), ec.SECP256R1())
out = http_ece.decrypt(d(sys.argv[5]), salt=d(sys.argv[3]), private_key=key,
                       dh=d(sys.argv[4]), auth_secret=d(sys.argv[2]), version="aesgcm")
sys.stdout.write(base64.urlsafe_b64encode(out).decode())
"#;
    let available = Command::new("python3")
        .args(["-c", "import http_ece, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        return None;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            UA_PRIVATE,
            AUTH,
            salt,
            dh,
            &URL_SAFE_NO_PAD.encode(body),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "http_ece could not decrypt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        base64::engine::general_purpose::URL_SAFE
            .decode(out.stdout.trim_ascii())
            .unwrap(),
    )
}

#[tokio::test]
async fn without_standard_the_phone_gets_aesgcm_that_http_ece_decrypts() {
    let s = TestServer::start().await;
    let mut sink = Sink::start(201).await;
    let tok = token(&s, "push").await;
    let made = subscribe(&s, &tok, &sink.endpoint, None).await;
    assert_eq!(made["standard"], false);
    assert!(made["id"].is_u64(), "{made}");
    let server_key = vapid_key(&s).await;

    let id = notify_from_stranger(&s, "mention");
    let msg = sink.next().await;
    assert_eq!(header(&msg, "content-encoding"), "aesgcm");
    assert_eq!(header(&msg, "content-type"), "application/octet-stream");
    assert!(header(&msg, "ttl").parse::<u64>().unwrap() > 0);
    let salt = param(&header(&msg, "encryption"), "salt").expect("Encryption: salt=…");
    let crypto_key = header(&msg, "crypto-key");
    let dh = param(&crypto_key, "dh").expect("Crypto-Key: dh=…");
    assert_eq!(
        param(&crypto_key, "p256ecdsa").as_deref(),
        Some(server_key.as_str()),
        "the VAPID key rides in Crypto-Key"
    );
    assert_eq!(b64(&salt).len(), 16);
    assert_eq!(b64(&dh).len(), 65);

    // The VAPID token, in the `WebPush` scheme, signed by the key apps
    // subscribed with, for this push service.
    let jwt = header(&msg, "authorization")
        .strip_prefix("WebPush ")
        .expect("Authorization: WebPush <JWT>")
        .to_string();
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        b64(&server_key),
    )
    .verify(input.as_bytes(), &b64(sig))
    .expect("the JWT verifies with the VAPID key");
    let claims: Value = serde_json::from_slice(&b64(input.split_once('.').unwrap().1)).unwrap();
    assert_eq!(claims["aud"], sink.origin);

    // Our own reader agrees…
    let ours = aesgcm::decrypt(
        fixed_key(&b64(UA_PRIVATE)),
        &b64(AUTH),
        &b64(&dh),
        &b64(&salt),
        &msg.body,
    )
    .unwrap();
    let payload: Value = serde_json::from_slice(&ours).unwrap();
    assert_eq!(payload["notification_id"], id);
    assert_eq!(payload["notification_type"], "mention");
    assert_eq!(payload["title"], "Carol mentioned you");
    // …and so does one written by others.
    match python_decrypt(&salt, &dh, &msg.body) {
        Some(theirs) => assert_eq!(theirs, ours),
        None => eprintln!(
            "SKIPPED the independent check: python3 with http_ece is missing \
             (pip install http_ece); .ci/run installs it"
        ),
    }
    // Not the standard coding: its reader refuses it.
    assert!(ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &msg.body).is_err());
}

#[tokio::test]
async fn standard_true_gets_rfc_8291_and_is_echoed() {
    let s = TestServer::start().await;
    let mut sink = Sink::start(201).await;
    let tok = token(&s, "push").await;
    let made = subscribe(&s, &tok, &sink.endpoint, Some("true")).await;
    assert_eq!(made["standard"], true);
    let shown: Value = client()
        .get(s.url("/api/v1/push/subscription"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["standard"], true);
    assert_eq!(shown["id"], made["id"]);

    notify_from_stranger(&s, "mention");
    let msg = sink.next().await;
    assert_eq!(header(&msg, "content-encoding"), "aes128gcm");
    assert!(header(&msg, "authorization").starts_with("vapid t="));
    assert!(msg.headers.get("encryption").is_none());
    let plain = ece::decrypt(fixed_key(&b64(UA_PRIVATE)), &b64(AUTH), &msg.body).unwrap();
    let payload: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(payload["notification_type"], "mention");

    // Subscribing again without it goes back to the legacy coding; a
    // value that is not a boolean is refused.
    let again = subscribe(&s, &tok, &sink.endpoint, Some("false")).await;
    assert_eq!(again["standard"], false);
    let res = client()
        .post(s.url("/api/v1/push/subscription"))
        .bearer_auth(&tok)
        .form(&[
            ("subscription[endpoint]", sink.endpoint.as_str()),
            ("subscription[keys][p256dh]", UA_PUBLIC),
            ("subscription[keys][auth]", AUTH),
            ("subscription[standard]", "sometimes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("standard"), "{v}");
}
