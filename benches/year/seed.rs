//! A year of a person's life, built through the same doors real use goes
//! through: the owner's posts, media, polls, bookmarks and favourites
//! through the Mastodon API; followers, remote posts, mentions and likes
//! as signed activities through the inbox.

use crate::peers::Peers;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How big the store is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub own_posts: usize,
    pub remote_statuses: usize,
    pub accounts: usize,
    pub hosts: usize,
    /// Accounts the owner follows (their posts fill the home timeline).
    pub followed: usize,
    pub notifications: usize,
    pub bookmarks: usize,
}

impl Scale {
    /// The year: 5,000 own posts, 100,000 remote statuses from
    /// 2,000 accounts on 300 hosts, 2,000 followers, 20,000 notifications.
    pub const YEAR: Scale = Scale {
        own_posts: 5_000,
        remote_statuses: 100_000,
        accounts: 2_000,
        hosts: 300,
        followed: 500,
        notifications: 20_000,
        bookmarks: 500,
    };
    /// A small store for trying the harness itself.
    pub const QUICK: Scale = Scale {
        own_posts: 200,
        remote_statuses: 2_000,
        accounts: 100,
        hosts: 20,
        followed: 50,
        notifications: 600,
        bookmarks: 20,
    };

    pub fn name(&self) -> &'static str {
        if self.own_posts == Scale::YEAR.own_posts {
            "year"
        } else {
            "quick"
        }
    }
}

/// Runs `n` jobs with at most `conns` at a time; `job(i)` returns whether
/// it succeeded. Prints progress on one line.
pub async fn each<F, Fut>(label: &str, n: usize, conns: usize, job: F) -> usize
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (job, next, ok) = (job.clone(), next.clone(), ok.clone());
        let label = label.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if job(i).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
                if i % 1000 == 999 {
                    eprint!("\r  {label}: {}/{n}   ", i + 1);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("seed task");
    }
    let ok = ok.load(Ordering::Relaxed);
    eprintln!(
        "\r  {label}: {ok}/{n} in {:.1} s   ",
        began.elapsed().as_secs_f64()
    );
    ok
}

pub struct Api {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Api {
    pub async fn post(&self, path: &str, body: Value) -> Option<Value> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }
    pub async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }
    /// Uploads a small PNG with alt text; returns the media id.
    pub async fn upload(&self, i: usize) -> Option<String> {
        let png = tiny_png(i);
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(png)
                    .file_name("photo.png")
                    .mime_str("image/png")
                    .ok()?,
            )
            .text("description", format!("Photo number {i}"));
        let r = self
            .client
            .post(format!("{}/api/v2/media", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .ok()?;
        let v: Value = r.json().await.ok()?;
        v["id"].as_str().map(str::to_string)
    }
}

fn tiny_png(i: usize) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, (i % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes a PNG");
    out.into_inner()
}

/// The text of the owner's post number `i`: a few sentences, sometimes a
/// link or a hashtag, as people write.
pub fn own_text(i: usize) -> String {
    let mut s = format!(
        "Day {} of the year. Walked to the river, read a few chapters, fixed the bike's brakes. \
         The light at six was lovely and the coffee was too strong.",
        i / 14
    );
    if i % 5 == 0 {
        s.push_str(" #gardening");
    }
    if i % 7 == 0 {
        s.push_str(" Notes at https://example.com/notes/2026/entry");
    }
    s
}

/// A remote Note by account `k`, number `n`; mentions the owner when
/// `mention` is set.
pub fn remote_create(p: &Peers, k: usize, n: usize, owner: &str, mention: bool) -> Value {
    let actor = p.actor(k);
    let id = format!("{actor}/statuses/{n}");
    let mut content = format!(
        "<p>Post {n} from u{k}: a thought about bread, trains and the weather, with enough words \
         to look like what people write on a Tuesday afternoon.</p>"
    );
    let mut tags = vec![];
    let mut to = vec![Value::from("https://www.w3.org/ns/activitystreams#Public")];
    let cc = vec![Value::from(format!("{actor}/followers"))];
    if mention {
        content = format!(
            "<p><span class=\"h-card\"><a href=\"{owner}\" class=\"u-url mention\">@<span>me</span></a></span> \
             replying to you, number {n}.</p>"
        );
        tags.push(json!({"type": "Mention", "href": owner, "name": "@me"}));
        to.push(Value::from(owner));
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": actor,
        "published": burrow::time_fmt::iso8601_ms(burrow::time_fmt::now_ms()),
        "to": to,
        "cc": cc,
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "published": burrow::time_fmt::iso8601_ms(burrow::time_fmt::now_ms()),
            "url": format!("http://{}/@u{k}/{n}", p.host_of(k)),
            "to": to,
            "cc": cc,
            "tag": tags,
            "sensitive": false,
        }
    })
}
