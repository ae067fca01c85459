//! Logging in as an app would, and a closed-loop load generator: `conns`
//! connections, each sending its next request as soon as the last one
//! answered, for a fixed time.

use std::time::{Duration, Instant};

/// The owner's access token, through the real OAuth flow (app, authorize
/// page with the password, code, token): the same password check an app
/// login costs.
pub async fn login(base: &str, password: &str) -> String {
    const REDIRECT: &str = "burrow-bench:/callback";
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let scopes = "read write follow push";
    let app: serde_json::Value = c
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "burrow-bench"),
            ("redirect_uris", REDIRECT),
            ("scopes", scopes),
        ])
        .send()
        .await
        .expect("apps")
        .json()
        .await
        .expect("app JSON");
    let client_id = app["client_id"].as_str().expect("client_id").to_string();
    let secret = app["client_secret"].as_str().unwrap_or("").to_string();
    let html = c
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scopes),
        ])
        .send()
        .await
        .expect("authorize page")
        .text()
        .await
        .expect("page");
    let mut form = hidden_fields(&html);
    form.push(("password".into(), password.into()));
    form.push(("decision".into(), "approve".into()));
    let res = c
        .post(format!("{base}/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .expect("authorize");
    let code = if res.status().is_redirection() {
        let loc = res.headers()["location"].to_str().unwrap_or("").to_string();
        url::Url::parse(&loc)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .expect("a code in the redirect")
    } else {
        // Out-of-band: the page shows the code.
        let page = res.text().await.unwrap_or_default();
        extract_code(&page).expect("the out-of-band page shows a code")
    };
    let tok: serde_json::Value = c
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    tok["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// The out-of-band code: the text of the first `<code>` element.
fn extract_code(page: &str) -> Option<String> {
    let (_, rest) = page.split_once("<code")?;
    let (_, rest) = rest.split_once('>')?;
    let (code, _) = rest.split_once("</code>")?;
    Some(code.trim().to_string())
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |chunk: &str, name: &str| -> Option<String> {
        let (_, rest) = chunk.split_once(&format!("{name}=\""))?;
        let (v, _) = rest.split_once('"')?;
        Some(unescape(v))
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|chunk| Some((attr(chunk, "name")?, attr(chunk, "value")?)))
        .collect()
}

/// What one load run measured.
pub struct Load {
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Sends GETs of `paths` (round robin) over `conns` connections for
/// `time`; every answer must be 200.
pub async fn run(
    base: &str,
    token: Option<&str>,
    paths: &[String],
    conns: usize,
    time: Duration,
) -> Load {
    let began = Instant::now();
    let deadline = began + time;
    let mut tasks = Vec::new();
    for c in 0..conns {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
        let token = token.map(str::to_string);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = c;
            while Instant::now() < deadline {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let mut req = client.get(url);
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    let elapsed = began.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Load {
        requests: all.len() as u64,
        errors,
        per_second: all.len() as f64 / elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
    }
}
