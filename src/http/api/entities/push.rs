//! `WebPushSubscription` and the Web Push message payload (what Mastodon's
//! `Web::NotificationSerializer` sends, encrypted, to the app).

use crate::store::accounts::Account;
use crate::store::notifications::Notification;
use crate::store::push::{PushAlerts, PushSubscription};
use crate::store::statuses::Status;
use crate::urls::Urls;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Mastodon cuts the body at 140 characters: a notification shows a
/// line or two, and the whole message must fit in 4 KiB once encrypted.
pub const BODY_CHARS: usize = 140;

pub fn alerts(a: &PushAlerts) -> Value {
    let mut m = Map::new();
    let mut a = a.clone();
    for name in PushAlerts::NAMES {
        let on = a.get_mut(name).map(|b| *b).unwrap_or(false);
        m.insert(name.to_string(), Value::Bool(on));
    }
    Value::Object(m)
}

/// `server_key` is our VAPID public key, as in the app entity. The `id`
/// is a number, unlike every other Mastodon id: Mastodon's serializer
/// sends it so, and Ice Cubes decodes an integer.
pub fn web_push_subscription(sub: &PushSubscription, server_key: &str) -> Value {
    json!({
        "id": sub.id,
        "endpoint": sub.endpoint,
        // Which coding messages are sent in: RFC 8291 when true, else
        // the legacy `aesgcm`.
        "standard": sub.standard,
        "alerts": alerts(&sub.alerts),
        "server_key": server_key,
        "policy": sub.policy.as_str(),
    })
}

/// The decrypted message an app receives. `notification_id` is a number,
/// as Mastodon sends it (the official iOS app decodes an integer).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct PushPayload {
    pub access_token: String,
    pub preferred_locale: String,
    pub notification_id: u64,
    pub notification_type: String,
    pub icon: String,
    pub title: String,
    pub body: String,
}

/// The title line, with the sender's name.
pub fn title(kind: &str, name: &str) -> String {
    match kind {
        "mention" => format!("{name} mentioned you"),
        "status" => format!("{name} just posted"),
        "reblog" => format!("{name} boosted your post"),
        "follow" => format!("{name} followed you"),
        "follow_request" => format!("{name} asked to follow you"),
        "favourite" => format!("{name} favourited your post"),
        "poll" => format!("A poll by {name} has ended"),
        "update" => format!("{name} edited a post"),
        "admin.sign_up" => format!("{name} signed up"),
        "admin.report" => format!("{name} filed a report"),
        _ => format!("New notification from {name}"),
    }
}

/// Plain text of HTML content on one line: a notification body has no
/// room for paragraphs.
fn plain(html: &str) -> String {
    let text = crate::content::html_to_text(html);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

pub fn payload(
    n: &Notification,
    from: &Account,
    status: Option<&Status>,
    access_token: &str,
    locale: &str,
    urls: &Urls,
) -> PushPayload {
    let name = if from.display_name.trim().is_empty() {
        from.username.clone()
    } else {
        from.display_name.clone()
    };
    // A content warning stands in for the text it hides.
    let body = match status {
        Some(s) if !s.spoiler_text.trim().is_empty() => plain(&s.spoiler_text),
        Some(s) => plain(&s.content),
        None => plain(&from.note),
    };
    PushPayload {
        access_token: access_token.to_string(),
        preferred_locale: locale.to_string(),
        notification_id: n.id,
        notification_type: n.kind.clone(),
        icon: crate::content::links::safe_url(&from.avatar)
            .unwrap_or_else(|| urls.default_avatar()),
        title: title(&n.kind, &name),
        body: truncate(&body, BODY_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_reads_like_a_notification() {
        let urls = Urls::new("https://example.net");
        let from = Account {
            username: "bob".into(),
            ..Default::default()
        };
        let status = Status {
            content: "<p>Hello &amp; welcome</p><p>second</p>".into(),
            ..Default::default()
        };
        let n = Notification {
            id: 42,
            kind: "favourite".into(),
            ..Default::default()
        };
        let p = payload(&n, &from, Some(&status), "tok", "en", &urls);
        assert_eq!(p.title, "bob favourited your post");
        assert_eq!(p.body, "Hello & welcome second");
        assert_eq!(p.icon, urls.default_avatar());
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["notification_id"], 42);
        let long = Status {
            content: "x".repeat(500),
            ..Default::default()
        };
        let p = payload(&n, &from, Some(&long), "tok", "en", &urls);
        assert_eq!(p.body.chars().count(), BODY_CHARS);
    }

    #[test]
    fn subscription_lists_every_alert() {
        let sub = PushSubscription {
            id: 7,
            ..Default::default()
        };
        let v = web_push_subscription(&sub, "KEY");
        assert_eq!(v["id"], 7);
        assert_eq!(v["standard"], false);
        assert_eq!(v["alerts"].as_object().unwrap().len(), 10);
        assert_eq!(v["alerts"]["admin.sign_up"], false);
        assert_eq!(v["policy"], "all");
    }
}
