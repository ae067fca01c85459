//! Properties of the parsers that read what strangers send, checked on
//! random input: none of them panics, and where a parser has a real law
//! (a round trip, idempotence, an allowlist) it holds. The fuzz targets
//! under `fuzz/` search the same code for much longer; these run in every
//! `cargo test`, with modest case counts so the suite stays fast.

use axum::body::Body;
use axum::extract::FromRequest;
use burrow::config::Config;
use burrow::content::links::LINK_SCHEMES;
use burrow::content::sanitize::MAX_NAME_CHARS;
use burrow::content::{
    extract_mentions, html_to_text, plain_name, render, sanitize, MentionRef, MentionResolver,
};
use burrow::crypto::keys::{seeded_pkcs8, PublicKey, SigningKey};
use burrow::federation::signatures::{
    check, sign_request, sign_request_rfc9421, Request, Scheme, SignatureError,
};
use burrow::http::api::params::{Params, ParamsWithFiles};
use burrow::http::wellknown::resource_username;
use burrow::media::{cover, process, sniff, AVATAR_BOX};
use burrow::state::{AppState, KeyGen};
use burrow::store::Store;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// Cases per property for the cheap parsers.
const CASES: u32 = 256;
/// Cases for properties that sign with RSA or decode images.
const SLOW_CASES: u32 = 32;

/// The host the WebFinger properties' server answers for.
const HOST: &str = "burrow.example";

/// `cases` per property, unless `PROPTEST_CASES` asks for a longer run.
fn config(cases: u32) -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(cases)
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

// ------------------------------------------------------------ signatures

fn keys() -> &'static (SigningKey, PublicKey) {
    static KEYS: OnceLock<(SigningKey, PublicKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let k = SigningKey::from_pkcs8(&seeded_pkcs8(1)).expect("seeded key");
        let p = PublicKey::from_pem(&k.public_key_pem()).expect("own public key");
        (k, p)
    })
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_323_045)
}

/// Checks a request made of `headers` against `path` and `body`.
fn check_headers(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<burrow::federation::signatures::Checked, SignatureError> {
    let req = Request {
        method,
        scheme: "https",
        path_and_query: path,
        headers,
        body,
    };
    check(&req, now())
}

/// Any text a header value may carry: printable ASCII, tabs and spaces,
/// and the bytes 0x80–0xFF (as Latin-1 or as parts of UTF-8).
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
            0..200
        ),
        any::<String>().prop_map(|s| s
            .into_bytes()
            .into_iter()
            .filter(|b| *b >= 0x20 && *b != 0x7f)
            .collect()),
        // Shaped like the real headers, so parsing gets past the first token.
        "(keyId|keyid|headers|signature|algorithm|created|expires|sig1|alg)=(\"[ -~]{0,40}\"|:[A-Za-z0-9+/=]{0,20}:|\\([ -~]{0,40}\\)|[0-9]{0,12})(,|;| )?"
            .prop_map(String::into_bytes),
    ]
}

fn header(name: &'static str, value: &[u8]) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_static(name),
        HeaderValue::from_bytes(value).ok()?,
    ))
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Whatever `Signature`, `Signature-Input`, `Digest` or `Date` a peer
    /// sends, checking answers with an error or a signed message; it
    /// never panics. (`Authorization` is given its `Signature ` prefix
    /// here; arbitrary bytes before it are the concern of the signature
    /// parser's own regression test.)
    #[test]
    fn signature_checks_never_panic(
        signature in header_value(),
        input in proptest::option::of(header_value()),
        digest in proptest::option::of(header_value()),
        date in proptest::option::of(header_value()),
        authorization in proptest::option::of(header_value()),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        post in any::<bool>(),
    ) {
        let mut headers = HeaderMap::new();
        let mut auth = b"Signature ".to_vec();
        let auth_value = authorization.map(|a| {
            auth.extend(a);
            auth
        });
        for (name, value) in [
            ("signature", Some(signature)),
            ("signature-input", input),
            ("digest", digest.clone()),
            ("content-digest", digest),
            ("date", date),
            ("authorization", auth_value),
        ] {
            if let Some((n, v)) = value.as_deref().and_then(|v| header(name, v)) {
                headers.insert(n, v);
            }
        }
        let method = if post { Method::POST } else { Method::GET };
        if let Ok(checked) = check_headers(&method, "/inbox", &headers, &body) {
            prop_assert!(checked.verify(&keys().1).is_err());
        }
        headers.remove("signature");
        let _ = check_headers(&method, "/inbox", &headers, &body);
    }
}

proptest! {
    #![proptest_config(config(SLOW_CASES))]

    /// A request signed by Burrow's own signer, either standard, reads
    /// back with the same key id and standard and verifies with the
    /// signer's key; changing one byte of the body is caught by the digest.
    #[test]
    fn own_signatures_read_back(
        key_path in "/users/[a-z0-9_]{1,20}",
        path in "/[a-z0-9/_-]{0,30}(\\?[a-z]=[a-z0-9]{0,8})?",
        body in proptest::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        rfc9421 in any::<bool>(),
        post in any::<bool>(),
    ) {
        let (signing, public) = keys();
        let key_id = format!("https://peer.example{key_path}#main-key");
        let url = url::Url::parse(&format!("https://burrow.example{path}")).expect("url");
        let method = if post { Method::POST } else { Method::GET };
        let headers = if rfc9421 {
            sign_request_rfc9421(signing, &key_id, &method, &url, &body, now())
        } else {
            sign_request(signing, &key_id, &method, &url, &body, now())
        }
        .expect("signs");
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let sent = if post { &body[..] } else { &[][..] };
        let checked = check_headers(&method, &path_and_query, &headers, sent).expect("checks");
        prop_assert_eq!(&checked.key_id, &key_id);
        prop_assert_eq!(checked.scheme, if rfc9421 { Scheme::Rfc9421 } else { Scheme::Cavage });
        prop_assert!(checked.verify(public).is_ok());
        if post {
            let mut tampered = body.clone();
            let i = flip.index(tampered.len());
            if let Some(b) = tampered.get_mut(i) {
                *b ^= 0x01;
            }
            prop_assert_eq!(
                check_headers(&method, &path_and_query, &headers, &tampered).err(),
                Some(SignatureError::DigestMismatch)
            );
        }
    }
}

// ------------------------------------------------------------ parameters

/// Decodes a request the way every API handler does.
fn decode(content_type: Option<&str>, query: &str, body: Vec<u8>, files: bool) -> Option<Params> {
    let uri = if query.is_empty() {
        "/api/v1/x".to_string()
    } else {
        format!("/api/v1/x?{query}")
    };
    let mut builder = axum::http::Request::builder().method("POST").uri(uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let req = builder.body(Body::from(body)).ok()?;
    runtime().block_on(async move {
        if files {
            ParamsWithFiles::from_request(req, &())
                .await
                .ok()
                .map(|p| p.params)
        } else {
            Params::from_request(req, &()).await.ok()
        }
    })
}

const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data",
    "text/plain",
];

/// Form keys as apps write them, brackets included.
fn form_key() -> impl Strategy<Value = String> {
    "[a-z_]{1,8}(\\[[a-z0-9_]{0,4}\\]){0,4}"
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Arbitrary bodies and queries, under every content type, decode to
    /// parameters or to an error, and every accessor answers.
    #[test]
    fn params_never_panic(
        ct in proptest::option::of(proptest::sample::select(CONTENT_TYPES)),
        query in "[ -~]{0,80}",
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            proptest::collection::vec((form_key(), "[ -~]{0,10}"), 0..12).prop_map(|kv| {
                kv.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&").into_bytes()
            }),
        ],
        files in any::<bool>(),
    ) {
        let query: String = query.chars().filter(|c| *c != ' ' && *c != '#').collect();
        if let Some(p) = decode(ct, &query, body, files) {
            for key in p.0.keys() {
                let _ = (p.str(key), p.bool(key), p.list(key), p.objects(key));
                let _ = (p.nested_str(key, "a"), p.nested_bool(key, "a"));
            }
        }
    }

    /// A map of plain keys and values, form-encoded in the body or the
    /// query, or sent as a JSON object, decodes back to the same map.
    #[test]
    fn params_round_trip(
        map in proptest::collection::btree_map("[A-Za-z0-9_.-]{1,12}", any::<String>(), 0..10),
        how in 0u8..3,
    ) {
        let expected: Map<String, Value> = map
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(map.iter())
            .finish();
        let decoded = match how {
            0 => decode(Some(CONTENT_TYPES[0]), "", encoded.into_bytes(), false),
            1 => decode(None, &encoded, Vec::new(), false),
            _ => decode(
                Some("application/json"),
                "",
                serde_json::to_vec(&expected).expect("json"),
                false,
            ),
        };
        prop_assert_eq!(decoded.map(|p| p.0), Some(expected));
    }

    /// `a[]=x&a[]=y` is the list `[x, y]` and `o[k]=v` the object `{k: v}`.
    #[test]
    fn params_brackets_nest(
        values in proptest::collection::vec("[a-z0-9]{0,6}", 1..6),
        inner in "[a-z]{1,6}",
        v in "[a-z0-9]{0,6}",
    ) {
        let mut body: Vec<String> = values.iter().map(|x| format!("list[]={x}")).collect();
        body.push(format!("obj[{inner}]={v}"));
        let p = decode(Some(CONTENT_TYPES[0]), "", body.join("&").into_bytes(), false)
            .expect("decodes");
        prop_assert_eq!(p.list("list"), values);
        prop_assert_eq!(p.nested_str("obj", &inner), Some(v));
    }
}

// ------------------------------------------------------------ content

/// Knows one local and one remote account, as the store would.
struct Known;

impl MentionResolver for Known {
    fn resolve(&self, acct: &str) -> Option<MentionRef> {
        let (uri, url) = match acct.to_ascii_lowercase().as_str() {
            "alice" => (
                "https://burrow.example/users/alice",
                "https://burrow.example/@alice",
            ),
            "bob@peer.example" => (
                "https://peer.example/users/bob",
                "https://peer.example/@bob",
            ),
            _ => return None,
        };
        Some(MentionRef {
            acct: acct.to_string(),
            uri: uri.into(),
            url: url.into(),
        })
    }

    fn tag_url(&self, tag: &str) -> String {
        format!("https://burrow.example/tags/{tag}")
    }
}

/// Every `href` value in the tags of `html`, with the escapes our
/// writers use undone. Text never holds a raw `<` (both writers escape
/// it), so every `<` opens a tag; a tag ends at the first `>` outside
/// double quotes, and between its quotes are attribute values.
fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some((_, after)) = rest.split_once('<') {
        let mut quoted = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(after.len(), |(i, _)| i);
        let tag = after.get(..end).unwrap_or(after);
        let parts: Vec<&str> = tag.split('"').collect();
        for pair in parts.chunks(2) {
            if let [outside, value] = pair {
                if outside.ends_with(" href=") {
                    out.push(
                        value
                            .replace("&quot;", "\"")
                            .replace("&#39;", "'")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&"),
                    );
                }
            }
        }
        rest = after.get(end..).unwrap_or("");
    }
    out
}

fn links_allowed(html: &str) -> Result<(), String> {
    for href in hrefs(html) {
        let scheme = url::Url::parse(&href).map(|u| u.scheme().to_string());
        if !scheme.as_deref().is_ok_and(|s| LINK_SCHEMES.contains(&s)) {
            return Err(format!("href `{href}` in {html:?}"));
        }
    }
    Ok(())
}

/// HTML as peers send it, good and hostile: the allowlisted tags and
/// attributes, others, links of every scheme, entities and stray text.
fn html() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 @#.:/&;<>\"'=-]{0,12}",
        proptest::sample::select(&[
            "<p>",
            "</p>",
            "<br>",
            "<span class=\"h-card mention ellipsis x\">",
            "</span>",
            "<a href=\"https://example.com/a?b=1&amp;c\">",
            "<a href=\"javascript:alert(1)\">",
            "<a href=\"/relative\">",
            "<a href=\"gopher://g.example\">",
            "<a href=\"jav&#x09;ascript:x\">",
            "<a>",
            "</a>",
            "<h1>",
            "</h1>",
            "<h3>",
            "<script>",
            "</script>",
            "<style>",
            "<img src=x onerror=alert(1)>",
            "<ul>",
            "<li>",
            "</ul>",
            "<pre><code>",
            "</code></pre>",
            "<blockquote>",
            "<!-- c -->",
            "&lt;",
            "&amp;",
            "&#0;",
            "<b>",
            "<table><tr><td>",
            "<svg><a href=\"javascript:y\">",
            "<math>",
            "<template>",
            "<a translate=\"no\">",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

/// The owner's text: words, mentions, hashtags, URLs and Markdown marks.
fn owner_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        proptest::sample::select(&[
            "@alice",
            "@bob@peer.example",
            "@nobody",
            "#tag",
            "#日本",
            "https://example.com/a_b?c=d",
            "http://x.example",
            "javascript:alert(1)",
            "[a](https://example.com)",
            "[b](javascript:alert(1))",
            "[c](/relative)",
            "[d](data:text/html,x)",
            "`code`",
            "```\n",
            "**",
            "_",
            "> ",
            "\n",
            "\n\n",
            "# ",
            "1. ",
            "- ",
            "<b>",
            "&amp;",
            "\\",
            "<https://auto.example>",
            "![i](https://example.com/i.png)",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(CASES))]

    /// The sanitiser's output is a fixed point: sanitising it again
    /// changes nothing, and every link in it has an allowed scheme.
    #[test]
    fn sanitize_is_idempotent_and_links_are_allowed(input in html()) {
        let clean = sanitize(&input);
        prop_assert_eq!(sanitize(&clean), clean.clone(), "input {:?}", input);
        prop_assert!(links_allowed(&clean).is_ok(), "{:?}", links_allowed(&clean));
        let _ = html_to_text(&input);
        prop_assert!(plain_name(&input).chars().count() <= MAX_NAME_CHARS);
    }

    /// Rendering the owner's text never writes a link outside the
    /// allowlist, never panics, and stays inside what the sanitiser keeps.
    #[test]
    fn render_links_are_allowed(text in owner_text()) {
        let rendered = render(&text, &Known);
        prop_assert!(links_allowed(&rendered.html).is_ok(), "{:?}", links_allowed(&rendered.html));
        prop_assert!(!rendered.html.contains("<script"));
        for link in &rendered.links {
            let scheme = url::Url::parse(link).map(|u| u.scheme().to_string());
            prop_assert!(scheme.as_deref().is_ok_and(|s| LINK_SCHEMES.contains(&s)), "{}", link);
        }
        let _ = extract_mentions(&text);
    }
}

// ------------------------------------------------------------ hosts

proptest! {
    #![proptest_config(config(CASES))]

    /// Normalising a normalised host changes nothing, and a URL's host is
    /// already normalised; no input panics.
    #[test]
    fn host_normalisation_is_idempotent(
        raw in prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9äöüß.-]{1,20}\\.?(:[0-9]{1,5})?",
            "\\[[0-9a-f:]{2,20}\\](:[0-9]{1,5})?",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(:[0-9]{1,5})?",
        ],
        path in "(/[a-z]{0,5}){0,3}",
    ) {
        if let Some(n) = burrow::host::normalize(&raw) {
            prop_assert_eq!(burrow::host::normalize(&n), Some(n.clone()));
            let _ = burrow::host::without_port(&n);
        }
        let _ = burrow::host::without_port(&raw);
        let url = format!("https://{raw}{path}");
        if let Some(h) = burrow::host::of_url(&url) {
            prop_assert_eq!(burrow::host::normalize(&h), Some(h.clone()));
            prop_assert!(burrow::host::same_origin(&url, &url));
        }
    }
}

// ------------------------------------------------------------ WebFinger

fn webfinger_state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut config = Config::default();
        config.server.public_url = format!("https://{HOST}");
        let store = Store::temporary().expect("temporary store");
        AppState::new(config, std::env::temp_dir(), store, KeyGen::Seeded(1))
    })
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any resource parses to a name or an error; every way of writing a
    /// username on this host names that user.
    #[test]
    fn webfinger_resources(
        junk in any::<String>(),
        user in "[A-Za-z0-9_]{1,30}",
        form in 0u8..5,
    ) {
        let state = webfinger_state();
        let _ = resource_username(state, &junk);
        let resource = match form {
            0 => format!("acct:{user}@{HOST}"),
            1 => format!("{user}@{HOST}"),
            2 => format!("acct:@{user}@{}", HOST.to_ascii_uppercase()),
            3 => format!("https://{HOST}/users/{user}"),
            _ => format!("https://{HOST}/@{user}/"),
        };
        prop_assert_eq!(resource_username(state, &resource).ok(), Some(user));
    }
}

// ------------------------------------------------------------ media

/// How each accepted image format begins.
const IMAGE_MAGIC: &[&[u8]] = &[
    &[0xff, 0xd8, 0xff],
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"GIF87a",
    b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    b"RIFF\x10\x00\x00\x00WEBPVP8L",
];

/// Bytes that pass the type sniffing: a real magic number, then noise.
fn image_like() -> impl Strategy<Value = Vec<u8>> {
    let magic = proptest::sample::select(IMAGE_MAGIC);
    (magic, proptest::collection::vec(any::<u8>(), 0..512)).prop_map(|(m, rest)| {
        let mut v = m.to_vec();
        v.extend(rest);
        v
    })
}

proptest! {
    #![proptest_config(config(SLOW_CASES))]

    /// Sniffing, the bounded decoder and the avatar cut refuse damaged
    /// images with an error; none of them panics.
    #[test]
    fn media_never_panics(
        bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..64), image_like()],
    ) {
        if sniff(&bytes).is_ok() {
            let _ = process(&bytes);
            let _ = cover(&bytes, AVATAR_BOX);
        }
    }
}
