//! A flood of hostile requests against the real binary while its owner
//! keeps using the API: nothing a stranger sends may stop the server,
//! answer with a server error, grow its memory without bound or starve
//! the owner.
//!
//! Requests go over raw TCP so they can carry what HTTP libraries refuse
//! to write: header values with bytes 0x80-0xFF, bodies dripped a byte at
//! a time, lengths that lie.

use crate::common::binary::{owner_token, Memory, Site, OWNER};
use crate::common::client;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How many hostile requests the flood sends; `BURROW_FLOOD_REQUESTS`
/// raises it for a longer run. The default keeps the test well under a
/// minute on two cores.
const DEFAULT_REQUESTS: usize = 2_000;
/// Hostile requests in flight at once.
const CONCURRENCY: usize = 16;
/// No new hostile request starts after this long, whatever the count.
const FLOOD_BUDGET: Duration = Duration::from_secs(40);
/// Longest wait for one answer: the server's own request timeout (30 s)
/// plus slack. A request that waits longer counts as a failure.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(35);
/// The most the server may ever have resident, flood included. A fresh
/// server peaks near 15 MiB and one password check (argon2, 19 MiB) lifts
/// that to about 34 MiB; the flood itself must not add a second such
/// step. Measured peak with this flood: see the test's output.
const MAX_HWM_KIB: u64 = 64 * 1024;
/// Pause between two dripped bytes.
const DRIP_EVERY: Duration = Duration::from_millis(100);
/// Slow-drip connections, run beside the flood (each holds a connection
/// for a few seconds).
const DRIPS: usize = 4;

/// What one hostile request came to.
#[derive(Debug)]
enum Answer {
    Status(u16),
    /// The connection ended (or timed out) without a status line.
    Nothing(String),
}

/// Builds the `i`th request of a case.
type Build = Box<dyn Fn(&Target, usize) -> Vec<u8> + Send + Sync>;

/// One kind of hostile request.
struct Case {
    name: &'static str,
    /// The server may close the connection without an answer (a body it
    /// refuses while it is still being sent, a header block too big to
    /// read); every other case must be answered.
    may_close: bool,
    build: Build,
}

/// Where the hostile requests go.
struct Target {
    /// `127.0.0.1:PORT`.
    host: String,
    base: String,
    /// A real token of the owner, for hostile requests past the auth
    /// check.
    token: String,
}

/// An HTTP/1.1 request with `Host`, `Content-Length` (unless given) and
/// `Connection: close`; header values are raw bytes.
fn request(
    t: &Target,
    method: &str,
    path: &[u8],
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(body.len() + 512);
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(path);
    r.extend_from_slice(b" HTTP/1.1\r\n");
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !has("host") {
        write!(r, "Host: {}\r\n", t.host).unwrap();
    }
    if !has("content-length") && (!body.is_empty() || method == "POST") {
        write!(r, "Content-Length: {}\r\n", body.len()).unwrap();
    }
    r.extend_from_slice(b"Connection: close\r\n");
    for (name, value) in headers {
        r.extend_from_slice(name.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(value);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

/// Sends `bytes` on a new connection and reads the status line.
async fn send(host: &str, bytes: &[u8]) -> Answer {
    let work = async {
        let mut s = TcpStream::connect(host)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // A refused body may be cut off mid-write; the answer (if any)
        // is still read.
        let _ = s.write_all(bytes).await;
        read_status(&mut s).await
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, work).await {
        Ok(Ok(code)) => Answer::Status(code),
        Ok(Err(e)) => Answer::Nothing(e),
        Err(_) => Answer::Nothing(format!("no answer in {ANSWER_TIMEOUT:?}")),
    }
}

async fn read_status(s: &mut TcpStream) -> Result<u16, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(buf.get(..line_end).unwrap_or_default());
            return line
                .split(' ')
                .nth(1)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| format!("not a status line: {line}"));
        }
        match s.read(&mut chunk).await {
            Ok(0) => return Err("closed before answering".into()),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// `n` bytes from 0x80-0xFF: not UTF-8, yet legal in a header value.
fn high_bytes(n: usize, seed: usize) -> Vec<u8> {
    (0..n)
        .map(|i| 0x80 | ((i * 31 + seed * 7) % 128) as u8)
        .collect()
}

/// 64 MiB of zeros, gzipped once (about 64 KiB): a body that inflates a
/// thousandfold if anything decompresses it.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    })
}

fn unsigned_create(t: &Target, i: usize, id_len: usize) -> Vec<u8> {
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("https://peer.example/{}", "x".repeat(id_len)),
        "type": "Create",
        "actor": "https://peer.example/users/mallory",
        "object": {
            "id": format!("https://peer.example/notes/{i}"),
            "type": "Note",
            "attributedTo": "https://peer.example/users/mallory",
            "content": "spam",
            "to": [format!("{}/users/{OWNER}", t.base)],
        },
    })
    .to_string()
    .into_bytes()
}

/// A draft-cavage `Signature` header that names `key_id` and signs
/// nothing real.
fn bogus_signature(key_id: &str) -> Vec<u8> {
    format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        "QUJD".repeat(86)
    )
    .into_bytes()
}

const DATE: &[u8] = b"Tue, 01 Dec 2026 10:00:00 GMT";
const DIGEST: &[u8] = b"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const AP: &[u8] = b"application/activity+json";
const JSON: &[u8] = b"application/json";
const FORM: &[u8] = b"application/x-www-form-urlencoded";

fn case(
    name: &'static str,
    may_close: bool,
    build: impl Fn(&Target, usize) -> Vec<u8> + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        may_close,
        build: Box::new(build),
    }
}

/// Every hostile request the flood cycles through, none of which may
/// stop the server or earn a 5xx.
fn cases() -> Vec<Case> {
    let inbox = format!("/users/{OWNER}/inbox");
    vec![
        case("unsigned inbox post", false, |t, i| {
            let body = unsigned_create(t, i, 10);
            request(t, "POST", b"/inbox", &[("content-type", AP)], &body)
        }),
        case("unsigned post to the owner's inbox", false, move |t, i| {
            let body = unsigned_create(t, i, 10);
            request(t, "POST", inbox.as_bytes(), &[("content-type", AP)], &body)
        }),
        case(
            "signature by an unreachable private key id",
            false,
            |t, i| {
                let body = unsigned_create(t, i, 10);
                let sig = bogus_signature(&format!("http://127.0.0.1:9/users/m{i}#main-key"));
                let h: &[(&str, &[u8])] = &[
                    ("content-type", AP),
                    ("date", DATE),
                    ("digest", DIGEST),
                    ("signature", &sig),
                ];
                request(t, "POST", b"/inbox", h, &body)
            },
        ),
        case(
            "signature that the owner's own key does not verify",
            false,
            |t, i| {
                let body = unsigned_create(t, i, 10);
                let sig = bogus_signature(&format!("{}/users/{OWNER}#main-key", t.base));
                let date = httpdate::fmt_http_date(std::time::SystemTime::now());
                let h: &[(&str, &[u8])] = &[
                    ("content-type", AP),
                    ("date", date.as_bytes()),
                    ("digest", DIGEST),
                    ("signature", &sig),
                ];
                request(t, "POST", b"/inbox", h, &body)
            },
        ),
        case("signature header of garbage", false, |t, i| {
            let body = unsigned_create(t, i, 10);
            let sig = format!("keyId=\"{}\",,,==\"\"\"signature", "\"".repeat(i % 50));
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP), ("signature", sig.as_bytes())],
                &body,
            )
        }),
        case("signature header with bytes 0x80-0xFF", false, |t, i| {
            let body = unsigned_create(t, i, 10);
            let mut sig = b"keyId=\"".to_vec();
            sig.extend(high_bytes(40, i));
            sig.extend_from_slice(b"\",signature=\"");
            sig.extend(high_bytes(40, i + 1));
            sig.push(b'"');
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP), ("date", DATE), ("signature", &sig)],
                &body,
            )
        }),
        case("RFC 9421 signature input of garbage", false, |t, i| {
            let body = unsigned_create(t, i, 10);
            let mut input = b"sig1=(\"@method\" \"".to_vec();
            input.extend(high_bytes(20, i));
            request(
                t,
                "POST",
                b"/inbox",
                &[
                    ("content-type", AP),
                    ("signature-input", &input),
                    ("signature", b"sig1=:AAAA:"),
                ],
                &body,
            )
        }),
        case("inbox activity with a 500 KB id", false, |t, i| {
            let body = unsigned_create(t, i, 500_000);
            request(t, "POST", b"/inbox", &[("content-type", AP)], &body)
        }),
        case("malformed JSON to the inbox", false, |t, _| {
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP)],
                b"{\"type\": \"Create\", \"object\": {",
            )
        }),
        case("malformed JSON to app registration", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", JSON)],
                b"{\"client_name\": \"x\", \"redirect_uris\": [1, 2,",
            )
        }),
        case("malformed JSON to the token endpoint", false, |t, _| {
            request(
                t,
                "POST",
                b"/oauth/token",
                &[("content-type", JSON)],
                b"{\"grant_type\": \"password\"\x00\xff}",
            )
        }),
        case(
            "100,000 nested arrays to app registration",
            false,
            |t, _| {
                request(
                    t,
                    "POST",
                    b"/api/v1/apps",
                    &[("content-type", JSON)],
                    &[b'['; 100_000],
                )
            },
        ),
        case("100,000 nested objects to the inbox", false, |t, _| {
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP)],
                "{\"a\":".repeat(100_000).as_bytes(),
            )
        }),
        case(
            "100,000 nested arrays in a post, with a token",
            false,
            |t, _| {
                let mut body = b"{\"status\":".to_vec();
                body.extend_from_slice(&[b'['; 100_000]);
                request(
                    t,
                    "POST",
                    b"/api/v1/statuses",
                    &[
                        ("content-type", JSON),
                        ("authorization", format!("Bearer {}", t.token).as_bytes()),
                    ],
                    &body,
                )
            },
        ),
        case("10 MB body to the inbox", true, |t, _| {
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP)],
                &vec![b'x'; 10 << 20],
            )
        }),
        case("10 MB form to app registration", true, |t, _| {
            let mut body = b"client_name=".to_vec();
            body.resize(10 << 20, b'a');
            request(t, "POST", b"/api/v1/apps", &[("content-type", FORM)], &body)
        }),
        case(
            "10 MB claimed, nothing sent, to media upload",
            true,
            |t, _| {
                request(
                    t,
                    "POST",
                    b"/api/v2/media",
                    &[
                        ("content-type", b"multipart/form-data; boundary=x"),
                        ("content-length", b"10485760"),
                    ],
                    b"",
                )
            },
        ),
        case("gzip bomb to the inbox", false, |t, _| {
            request(
                t,
                "POST",
                b"/inbox",
                &[("content-type", AP), ("content-encoding", b"gzip")],
                gzip_bomb(),
            )
        }),
        case("gzip bomb to app registration", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", JSON), ("content-encoding", b"gzip")],
                gzip_bomb(),
            )
        }),
        case("gzip bomb in a post, with a token", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/statuses",
                &[
                    ("content-type", FORM),
                    ("content-encoding", b"gzip"),
                    ("authorization", format!("Bearer {}", t.token).as_bytes()),
                ],
                gzip_bomb(),
            )
        }),
        case("non-UTF-8 bearer token", false, |t, i| {
            let mut auth = b"Bearer ".to_vec();
            auth.extend(high_bytes(43, i));
            request(
                t,
                "GET",
                b"/api/v1/timelines/home",
                &[("authorization", &auth)],
                b"",
            )
        }),
        case("non-UTF-8 user agent, accept and cookie", false, |t, i| {
            let bytes = high_bytes(64, i);
            request(
                t,
                "GET",
                format!("/@{OWNER}").as_bytes(),
                &[
                    ("user-agent", &bytes),
                    ("accept", &bytes),
                    ("cookie", &bytes),
                ],
                b"",
            )
        }),
        case("non-UTF-8 accept on the actor", false, |t, i| {
            let mut accept = AP.to_vec();
            accept.extend(high_bytes(16, i));
            request(
                t,
                "GET",
                format!("/users/{OWNER}").as_bytes(),
                &[("accept", &accept)],
                b"",
            )
        }),
        case(
            "non-UTF-8 content type and date on the inbox",
            false,
            |t, i| {
                let body = unsigned_create(t, i, 10);
                let bytes = high_bytes(30, i);
                request(
                    t,
                    "POST",
                    b"/inbox",
                    &[
                        ("content-type", &bytes),
                        ("date", &bytes),
                        ("digest", &bytes),
                    ],
                    &body,
                )
            },
        ),
        case("non-UTF-8 idempotency key, with a token", false, |t, i| {
            request(
                t,
                "POST",
                b"/api/v1/statuses",
                &[
                    ("content-type", FORM),
                    ("authorization", format!("Bearer {}", t.token).as_bytes()),
                    ("idempotency-key", &high_bytes(20, i)),
                ],
                b"status=hi",
            )
        }),
        case("non-UTF-8 host", false, |t, i| {
            request(
                t,
                "GET",
                b"/api/v1/instance",
                &[("host", &high_bytes(20, i))],
                b"",
            )
        }),
        case("random bearer tokens", false, |t, i| {
            request(
                t,
                "GET",
                b"/api/v1/timelines/home",
                &[("authorization", format!("Bearer {i:064x}").as_bytes())],
                b"",
            )
        }),
        case("JSON sent as text/plain", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", b"text/plain")],
                b"{\"client_name\":\"x\",\"redirect_uris\":\"urn:ietf:wg:oauth:2.0:oob\"}",
            )
        }),
        case("form sent as activity+json", false, |t, _| {
            request(t, "POST", b"/inbox", &[("content-type", AP)], b"a=1&b=2")
        }),
        case("multipart without a boundary", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", b"multipart/form-data")],
                b"--x\r\n\r\n",
            )
        }),
        case("multipart that never ends, with a token", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v2/media",
                &[
                    ("content-type", b"multipart/form-data; boundary=zz"),
                    ("authorization", format!("Bearer {}", t.token).as_bytes()),
                ],
                b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n",
            )
        }),
        case("overlong status id", false, |t, _| {
            let path = format!("/api/v1/statuses/{}", "9".repeat(5_000));
            request(t, "GET", path.as_bytes(), &[], b"")
        }),
        case("id past u64, with a token", false, |t, _| {
            request(
                t,
                "POST",
                b"/api/v1/statuses/99999999999999999999999999/favourite",
                &[("authorization", format!("Bearer {}", t.token).as_bytes())],
                b"",
            )
        }),
        case("50 KB user name", false, |t, _| {
            let path = format!("/users/{}", "a".repeat(50_000));
            request(t, "GET", path.as_bytes(), &[("accept", AP)], b"")
        }),
        case("100 KB WebFinger resource", false, |t, _| {
            let path = format!(
                "/.well-known/webfinger?resource=acct:{}@{}",
                "%C3%A9".repeat(16_000),
                t.host
            );
            request(t, "GET", path.as_bytes(), &[], b"")
        }),
        case("1,000 headers", true, |t, _| {
            let names: Vec<String> = (0..1_000).map(|n| format!("x-h{n}")).collect();
            let h: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
            request(t, "GET", b"/api/v1/instance", &h, b"")
        }),
        case("20,000 query parameters", false, |t, _| {
            let path = format!("/api/v1/timelines/public?{}", "limit=1&".repeat(20_000));
            request(t, "GET", path.as_bytes(), &[], b"")
        }),
        case("50,000 form fields", false, |t, _| {
            let body = "client_name=x&".repeat(50_000);
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", FORM)],
                body.as_bytes(),
            )
        }),
        case(
            "form keys 30 brackets deep, many times over",
            false,
            |t, _| {
                let key = format!("a{}", "[b]".repeat(30));
                let body = format!("{key}=1&").repeat(5_000);
                request(
                    t,
                    "POST",
                    b"/api/v1/apps",
                    &[("content-type", FORM)],
                    body.as_bytes(),
                )
            },
        ),
        case("100,000-key JSON object", false, |t, _| {
            let fields: Vec<String> = (0..100_000).map(|n| format!("\"k{n}\":0")).collect();
            let body = format!("{{{}}}", fields.join(","));
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", JSON)],
                body.as_bytes(),
            )
        }),
    ]
}

/// The two requests that stopped the whole server on their own, sent
/// the same way. Kept apart from `cases` so a regression names itself.
fn one_request_kills() -> Vec<Case> {
    vec![
        case(
            "Authorization: abcdefghi\\xC3\\xA9xyz to the inbox",
            false,
            |t, i| {
                let body = unsigned_create(t, i, 10);
                request(
                    t,
                    "POST",
                    b"/inbox",
                    &[
                        ("content-type", AP),
                        ("authorization", b"abcdefghi\xC3\xA9xyz"),
                    ],
                    &body,
                )
            },
        ),
        case(
            "Authorization of bytes 0x80-0xFF to the inbox",
            false,
            |t, i| {
                let body = unsigned_create(t, i, 10);
                request(
                    t,
                    "POST",
                    b"/inbox",
                    &[("content-type", AP), ("authorization", &high_bytes(40, i))],
                    &body,
                )
            },
        ),
        case("form key 100,000 brackets deep", false, |t, _| {
            let body = format!("a{}=1", "[b]".repeat(100_000));
            request(
                t,
                "POST",
                b"/api/v1/apps",
                &[("content-type", FORM)],
                body.as_bytes(),
            )
        }),
        case("query key 100,000 brackets deep", false, |t, _| {
            let path = format!("/api/v1/timelines/public?a{}=1", "[b]".repeat(100_000));
            request(t, "GET", path.as_bytes(), &[], b"")
        }),
    ]
}

/// A request sent a byte every `DRIP_EVERY`, from `drip_from` on; a
/// `give_up_after` ends it (the connection dropped, unanswered) before
/// it is complete.
async fn drip(
    host: String,
    bytes: Vec<u8>,
    drip_from: usize,
    give_up_after: Option<usize>,
) -> Answer {
    let work = async {
        let mut s = TcpStream::connect(&host)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (head, tail) = bytes.split_at(drip_from.min(bytes.len()));
        s.write_all(head).await.map_err(|e| format!("write: {e}"))?;
        for (n, b) in tail.iter().enumerate() {
            if give_up_after == Some(n) {
                return Err("given up".to_string());
            }
            tokio::time::sleep(DRIP_EVERY).await;
            s.write_all(&[*b])
                .await
                .map_err(|e| format!("write: {e}"))?;
        }
        read_status(&mut s).await
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, work).await {
        Ok(Ok(code)) => Answer::Status(code),
        Ok(Err(e)) => Answer::Nothing(e),
        Err(_) => Answer::Nothing(format!("no answer in {ANSWER_TIMEOUT:?}")),
    }
}

/// What the owner's loop saw: each request's latency; a failure stops
/// the loop and is kept.
#[derive(Default)]
struct OwnerLog {
    latencies: Vec<Duration>,
    failure: Option<String>,
}

/// The owner's app, posting and reading until `stop` is set.
async fn owner_loop(base: String, token: String, stop: Arc<AtomicUsize>) -> OwnerLog {
    let c = client();
    let mut log = OwnerLog::default();
    let mut n = 0;
    while stop.load(Ordering::SeqCst) == 0 {
        n += 1;
        let started = Instant::now();
        let res = c
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&token)
            .form(&[("status", format!("still here, #{n}"))])
            .send()
            .await;
        let id = match res {
            Ok(r) if r.status() == 200 => {
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                v["id"].as_str().unwrap_or_default().to_string()
            }
            Ok(r) => {
                log.failure = Some(format!("posting answered {}", r.status()));
                return log;
            }
            Err(e) => {
                log.failure = Some(format!("posting failed: {e}"));
                return log;
            }
        };
        log.latencies.push(started.elapsed());
        for path in [
            "/api/v1/timelines/home".to_string(),
            format!("/api/v1/statuses/{id}"),
        ] {
            let started = Instant::now();
            match c
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
            {
                Ok(r) if r.status() == 200 => {
                    let _ = r.bytes().await;
                    log.latencies.push(started.elapsed());
                }
                Ok(r) => {
                    log.failure = Some(format!("GET {path} answered {}", r.status()));
                    return log;
                }
                Err(e) => {
                    log.failure = Some(format!("GET {path} failed: {e}"));
                    return log;
                }
            }
        }
    }
    log
}

/// How the flood went.
struct Report {
    sent: usize,
    /// Answers per status code.
    codes: std::collections::BTreeMap<u16, usize>,
    /// Cases closed without an answer where that is allowed.
    closed: usize,
    /// Everything that broke a rule: 5xx, or no answer where one is owed.
    failures: Vec<String>,
}

/// Sends `count` requests cycling through `cases`, `CONCURRENCY` at a
/// time, for at most `FLOOD_BUDGET`.
async fn flood(target: Arc<Target>, cases: Arc<Vec<Case>>, count: usize) -> Report {
    let report = Arc::new(Mutex::new(Report {
        sent: 0,
        codes: Default::default(),
        closed: 0,
        failures: Vec::new(),
    }));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (target, cases, next, report) =
            (target.clone(), cases.clone(), next.clone(), report.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count || started.elapsed() > FLOOD_BUDGET {
                    return;
                }
                let Some(c) = cases.get(i % cases.len()) else {
                    return;
                };
                let bytes = (c.build)(&target, i);
                let answer = send(&target.host, &bytes).await;
                let mut r = report.lock().unwrap();
                r.sent += 1;
                match answer {
                    Answer::Status(code) => {
                        *r.codes.entry(code).or_default() += 1;
                        if code >= 500 {
                            r.failures.push(format!("{}: answered {code}", c.name));
                        }
                    }
                    Answer::Nothing(_) if c.may_close => r.closed += 1,
                    Answer::Nothing(why) => r.failures.push(format!("{}: {why}", c.name)),
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Arc::into_inner(report).unwrap().into_inner().unwrap()
}

/// Slow-drip connections: bodies and headers a byte at a time, and one
/// that stops halfway. Each must be answered (or, abandoned, leave no
/// trace) without a 5xx.
async fn drips(target: &Target) -> Vec<String> {
    let mut set = tokio::task::JoinSet::new();
    for n in 0..DRIPS {
        let host = target.host.clone();
        let (bytes, from, give_up) = match n % 4 {
            0 => {
                let body = b"client_name=drip&redirect_uris=x";
                let r = request(
                    target,
                    "POST",
                    b"/api/v1/apps",
                    &[("content-type", FORM)],
                    body,
                );
                let from = r.len() - body.len();
                (r, from, None)
            }
            1 => {
                let body = b"{\"type\":\"Follow\"}";
                let r = request(target, "POST", b"/inbox", &[("content-type", AP)], body);
                let from = r.len() - body.len();
                (r, from, None)
            }
            2 => {
                let r = format!(
                    "GET /api/v1/instance HTTP/1.1\r\nHost: {}\r\n\r\n",
                    target.host
                )
                .into_bytes();
                (r, 0, None)
            }
            _ => {
                let r = request(
                    target,
                    "POST",
                    b"/inbox",
                    &[("content-type", AP), ("content-length", b"100000")],
                    b"{\"type\":\"Create\",\"object\":{\"content\":\"",
                );
                let from = r.len() - 40;
                (r, from, Some(20))
            }
        };
        set.spawn(async move {
            match drip(host, bytes, from, give_up).await {
                Answer::Status(code) if code >= 500 => Some(format!("drip {n}: answered {code}")),
                Answer::Nothing(why) if give_up.is_none() => Some(format!("drip {n}: {why}")),
                _ => None,
            }
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = set.join_next().await {
        failures.extend(r.unwrap());
    }
    failures
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted
        .get((sorted.len().saturating_sub(1)) * p / 100)
        .copied()
        .unwrap_or_default()
}

/// Starts the real server, logs the owner in, runs the flood of `cases`
/// (and the drips) beside the owner's loop, and checks the rules.
async fn run_flood(cases: Vec<Case>, count: usize, with_drips: bool) {
    let tmp = tempfile::tempdir().unwrap();
    // No private network: a hostile keyId on loopback is refused, not
    // fetched.
    let site = Site::init(tmp.path(), false);
    let mut server = site.serve();
    let pid = server.pid();
    let token = owner_token(&site.base, "read write").await;
    let before: Memory = server.memory();
    let target = Arc::new(Target {
        host: site.listen.clone(),
        base: site.base.clone(),
        token: token.clone(),
    });
    let stop = Arc::new(AtomicUsize::new(0));
    let owner = tokio::spawn(owner_loop(site.base.clone(), token, stop.clone()));
    let started = Instant::now();
    let drip_failures = {
        let target = target.clone();
        tokio::spawn(async move {
            if with_drips {
                drips(&target).await
            } else {
                Vec::new()
            }
        })
    };
    let report = flood(target, Arc::new(cases), count).await;
    let drip_failures = drip_failures.await.unwrap();
    let took = started.elapsed();
    stop.store(1, Ordering::SeqCst);
    let owner = owner.await.unwrap();

    let answering = client()
        .get(site.url("/api/v1/instance"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string());
    let output = server.output();
    let tail: Vec<&str> = output.lines().rev().take(20).collect();
    assert!(
        answering == Ok(200) && server.alive() && server.pid() == pid,
        "the server stopped during the flood (still answering: {answering:?}); \
         rules broken: {:?}\nits last lines, newest first:\n{}",
        report.failures,
        tail.join("\n")
    );
    let after = server.memory();

    let mut lat = owner.latencies.clone();
    lat.sort();
    println!(
        "flood: {} hostile requests in {took:?} ({} unanswered where allowed), answers {:?}",
        report.sent, report.closed, report.codes
    );
    println!(
        "owner: {} requests, latency median {:?}, p99 {:?}, max {:?}",
        lat.len(),
        percentile(&lat, 50),
        percentile(&lat, 99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "memory: before the flood VmRSS {} KiB, VmHWM {} KiB; after VmRSS {} KiB, VmHWM {} KiB",
        before.rss_kib, before.hwm_kib, after.rss_kib, after.hwm_kib
    );

    let mut failures = report.failures;
    failures.extend(drip_failures);
    assert!(
        failures.is_empty(),
        "{} hostile requests broke a rule, e.g. {:?}",
        failures.len(),
        failures.iter().take(10).collect::<Vec<_>>()
    );
    assert!(owner.failure.is_none(), "owner: {:?}", owner.failure);
    assert!(!owner.latencies.is_empty(), "the owner got nothing done");
    assert!(
        after.hwm_kib < MAX_HWM_KIB,
        "peak resident memory {} KiB is over {} KiB",
        after.hwm_kib,
        MAX_HWM_KIB
    );
}

fn requested_count() -> usize {
    std::env::var("BURROW_FLOOD_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_REQUESTS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_hostile_requests_leaves_the_server_serving_its_owner() {
    run_flood(cases(), requested_count(), true).await;
}

/// Each of these stopped the whole server with one request (a panic at a
/// byte index inside a UTF-8 character; a stack overflow on nested
/// parameter keys). Sent a few times each, as an attacker would repeat
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_stopped_the_server_are_answered() {
    let kills = one_request_kills();
    let count = kills.len() * 4;
    run_flood(kills, count, false).await;
}
