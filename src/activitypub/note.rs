//! A local status as an ActivityPub `Note` (or `Question` for polls),
//! addressed as Mastodon addresses each visibility.

use super::PUBLIC;
use crate::store::accounts::Account;
use crate::store::statuses::{Status, Visibility};
use crate::time_fmt::iso8601_ms;
use crate::urls::Urls;
use serde_json::{json, Value};

/// An attachment as peers need it.
#[derive(Clone, Debug, Default)]
pub struct Attachment {
    pub url: String,
    pub media_type: String,
    pub name: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub focus: Option<(f32, f32)>,
}

pub fn context() -> Value {
    let mut c = base_context();
    // Quote posts' terms (FEP-044f and the older spellings).
    if let (Some(terms), Value::Object(extra)) = (
        c.get_mut(1).and_then(Value::as_object_mut),
        super::quote::context_terms(),
    ) {
        terms.extend(extra);
    }
    c
}

fn base_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "ostatus": "http://ostatus.org#",
            "atomUri": "ostatus:atomUri",
            "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
            "conversation": "ostatus:conversation",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "votersCount": "toot:votersCount",
            "blurhash": "toot:blurhash",
            "focalPoint": { "@container": "@list", "@id": "toot:focalPoint" },
            "Hashtag": "as:Hashtag"
        }
    ])
}

/// `to` and `cc` for a status by `author`.
pub fn addressing(status: &Status, author: &Account) -> (Vec<String>, Vec<String>) {
    let mentions: Vec<String> = status.mentions.iter().map(|m| m.uri.clone()).collect();
    let followers = author.followers_url.clone();
    match status.visibility {
        Visibility::Public => (
            vec![PUBLIC.to_string()],
            [vec![followers], mentions].concat(),
        ),
        Visibility::Unlisted => (
            vec![followers],
            [vec![PUBLIC.to_string()], mentions].concat(),
        ),
        Visibility::Private => (vec![followers], mentions),
        Visibility::Direct => (mentions, vec![]),
    }
}

/// The Note (without `@context`, for embedding in activities).
pub fn note(status: &Status, author: &Account, urls: &Urls, attachments: &[Attachment]) -> Value {
    let (to, cc) = addressing(status, author);
    let mut tags: Vec<Value> = status
        .mentions
        .iter()
        .map(|m| json!({ "type": "Mention", "href": m.uri, "name": format!("@{}", m.acct) }))
        .collect();
    tags.extend(
        status
            .tags
            .iter()
            .map(|t| json!({ "type": "Hashtag", "href": urls.tag(t), "name": format!("#{t}") })),
    );
    let attachment: Vec<Value> = attachments
        .iter()
        .map(|a| {
            let mut d = json!({
                "type": "Document",
                "mediaType": a.media_type,
                "url": a.url,
                "name": a.name,
                "blurhash": a.blurhash,
            });
            if let (Some(w), Some(h)) = (a.width, a.height) {
                d["width"] = json!(w);
                d["height"] = json!(h);
            }
            if let Some((x, y)) = a.focus {
                use crate::store::media::focus_decimal;
                d["focalPoint"] = json!([focus_decimal(x), focus_decimal(y)]);
            }
            d
        })
        .collect();
    let mut doc = json!({
        "id": status.uri,
        "type": "Note",
        "summary": if status.spoiler_text.is_empty() { Value::Null } else { json!(status.spoiler_text) },
        "inReplyTo": status.in_reply_to_uri,
        "published": iso8601_ms(status.created_at_ms),
        "url": status.url,
        "attributedTo": author.uri,
        "to": to,
        "cc": cc,
        "sensitive": status.sensitive,
        "atomUri": status.uri,
        "inReplyToAtomUri": status.in_reply_to_uri,
        "conversation": status.conversation,
        "content": status.content,
        "attachment": attachment,
        "tag": tags,
        "replies": {
            "id": format!("{}/replies", status.uri),
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": format!("{}/replies?page=true", status.uri),
                "partOf": format!("{}/replies", status.uri),
                "items": []
            }
        },
    });
    super::quote::add_quote_fields(&mut doc, status);
    doc["interactionPolicy"] = super::quote::interaction_policy(status, author);
    if let Some(lang) = &status.language {
        doc["contentMap"] = json!({ lang.clone(): status.content });
    }
    if let Some(ms) = status.edited_at_ms {
        doc["updated"] = json!(iso8601_ms(ms));
    }
    if let Some(poll) = &status.poll {
        doc["type"] = json!("Question");
        let options: Vec<Value> = poll
            .options
            .iter()
            .map(|o| json!({ "type": "Note", "name": o.title, "replies": { "type": "Collection", "totalItems": o.votes } }))
            .collect();
        doc[if poll.multiple { "anyOf" } else { "oneOf" }] = json!(options);
        if let Some(end) = poll.expires_at_ms {
            doc["endTime"] = json!(iso8601_ms(end));
            // As Mastodon: an ended poll says so, with the end time, so
            // peers show the final results without a clock of their own.
            if end <= crate::time_fmt::now_ms() {
                doc["closed"] = json!(iso8601_ms(end));
            }
        }
        doc["votersCount"] = json!(poll.voters_count);
    }
    doc
}

/// The Note as a standalone document, with `@context`.
pub fn note_document(
    status: &Status,
    author: &Account,
    urls: &Urls,
    attachments: &[Attachment],
) -> Value {
    let mut doc = note(status, author, urls, attachments);
    doc["@context"] = context();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::{Poll, PollOption};

    fn question(end_ms: i64) -> Value {
        let status = Status {
            uri: "https://example.test/users/alice/statuses/1".into(),
            poll: Some(Poll {
                options: vec![
                    PollOption {
                        title: "tea".into(),
                        votes: 2,
                    },
                    PollOption {
                        title: "coffee".into(),
                        votes: 1,
                    },
                ],
                expires_at_ms: Some(end_ms),
                voters_count: 3,
                ..Default::default()
            }),
            ..Default::default()
        };
        let author = Account {
            uri: "https://example.test/users/alice".into(),
            ..Default::default()
        };
        note(&status, &author, &Urls::new("https://example.test"), &[])
    }

    #[test]
    fn a_question_carries_counts_and_says_closed_only_once_ended() {
        let now = crate::time_fmt::now_ms();
        let open = question(now + 3_600_000);
        assert_eq!(open["type"], "Question");
        assert_eq!(open["endTime"], iso8601_ms(now + 3_600_000));
        assert_eq!(open["votersCount"], 3);
        assert_eq!(open["oneOf"][0]["replies"]["totalItems"], 2);
        assert_eq!(open["oneOf"][1]["replies"]["totalItems"], 1);
        assert!(open.get("closed").is_none());

        let ended = question(now - 1_000);
        assert_eq!(ended["closed"], iso8601_ms(now - 1_000));
        assert_eq!(ended["endTime"], ended["closed"]);
    }
}
