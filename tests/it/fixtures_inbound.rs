//! Payloads in the shapes Mastodon, GoToSocial, Pleroma and Misskey send
//! (tests/fixtures/), parsed and applied through the inbound operations.

use crate::common;
use burrow::ops::inbound;
use burrow::store::accounts::Account;
use burrow::store::relations::{Rel, Relation};
use burrow::store::timelines::Page;
use common::*;
use serde_json::Value;

struct World {
    s: TestServer,
    local_status: burrow::store::statuses::Status,
}

async fn world() -> World {
    let s = TestServer::start().await;
    let local_status = burrow::ops::statuses::post(
        &s.state,
        burrow::ops::statuses::NewStatus {
            text: "alice's post".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    World { s, local_status }
}

impl World {
    fn fixture(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let owner = self.s.url("/users/alice");
        let text = text
            .replace("{{OWNER}}", &owner)
            .replace("{{OWNER_URL}}", &self.s.url("/@alice"))
            .replace("{{HOST}}", &self.s.host)
            .replace("{{LOCAL_STATUS}}", &self.local_status.uri);
        serde_json::from_str(&text).unwrap()
    }

    /// Stores a peer's actor and has alice follow it, so its posts are kept.
    fn actor(&self, name: &str) -> Account {
        let doc = self.fixture(&format!("actors/{name}.json"));
        let a = burrow::federation::actors::store_actor(&self.s.state, &doc).unwrap();
        let store = &self.s.state.store;
        let owner = store.owner_account().unwrap().unwrap();
        let r = Relation {
            id: store.next_id(),
            ..Default::default()
        };
        store
            .transact(|tx| {
                tx.set_relation(owner.id, Rel::Following, a.id, &r)
                    .map(|_| ())
            })
            .unwrap();
        a
    }

    async fn apply(&self, actor: &Account, name: &str) {
        let activity = self.fixture(&format!("activities/{name}.json"));
        inbound::process(&self.s.state, actor, &activity)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    fn notifications(&self, kind: &str) -> usize {
        self.s
            .state
            .store
            .notification_page(
                Page {
                    limit: 40,
                    ..Default::default()
                },
                |n| n.kind == kind,
            )
            .unwrap()
            .len()
    }

    fn local(&self) -> burrow::store::statuses::Status {
        self.s
            .state
            .store
            .status(self.local_status.id)
            .unwrap()
            .unwrap()
    }
}

#[tokio::test]
async fn mastodon_follow_create_update_like_announce_delete() {
    let w = world().await;
    let g = w.actor("mastodon");
    w.apply(&g, "mastodon-follow").await;
    assert!(w.s.state.store.has_relation(Rel::FollowedBy, g.id).unwrap());
    assert_eq!(w.notifications("follow"), 1);

    w.apply(&g, "mastodon-create").await;
    let uri = "https://mastodon.social/users/Gargron/statuses/113480389785950343";
    let st = w.s.state.store.status_by_uri(uri).unwrap().expect("stored");
    assert!(!st.content.contains("<script"), "{}", st.content);
    assert_eq!(st.tags, vec!["fediverse"]);
    assert_eq!(st.remote_media.len(), 1);
    assert_eq!(
        st.remote_media[0].description.as_deref(),
        Some("A cat on a keyboard")
    );
    assert_eq!(st.remote_media[0].width, Some(1200));
    assert_eq!(st.visibility, burrow::store::statuses::Visibility::Public);
    assert_eq!(w.notifications("mention"), 1);

    w.apply(&g, "mastodon-update").await;
    let st = w.s.state.store.status_by_uri(uri).unwrap().unwrap();
    assert!(st.content.contains("edited"));
    assert_eq!(st.revisions.len(), 1);

    w.apply(&g, "mastodon-like").await;
    w.apply(&g, "mastodon-announce").await;
    let local = w.local();
    assert_eq!((local.favourites_count, local.reblogs_count), (1, 1));
    assert_eq!(
        (w.notifications("favourite"), w.notifications("reblog")),
        (1, 1)
    );

    w.apply(&g, "mastodon-delete").await;
    assert!(w.s.state.store.status_by_uri(uri).unwrap().is_none());
    // A late copy of a deleted post is not stored again.
    w.apply(&g, "mastodon-create").await;
    assert!(w.s.state.store.status_by_uri(uri).unwrap().is_none());
}

#[tokio::test]
async fn gotosocial_reply_and_follow() {
    let w = world().await;
    let t = w.actor("gotosocial");
    w.apply(&t, "gotosocial-create").await;
    let st = w
        .s
        .state
        .store
        .status_by_uri("http://example.org/users/1happyturtle/statuses/01JCN3M4RT0Q6BMWQ9X2CQ8V4E")
        .unwrap()
        .expect("stored");
    assert_eq!(st.in_reply_to_id, Some(w.local_status.id));
    assert_eq!(w.local().replies_count, 1);
    assert_eq!(w.notifications("mention"), 1);
    w.apply(&t, "gotosocial-follow").await;
    assert!(w.s.state.store.has_relation(Rel::FollowedBy, t.id).unwrap());
}

#[tokio::test]
async fn pleroma_post_with_content_warning_and_like() {
    let w = world().await;
    let k = w.actor("pleroma");
    w.apply(&k, "pleroma-create").await;
    let st = w
        .s
        .state
        .store
        .status_by_uri("https://stereophonic.space/objects/6fd4a0b6-7a7d-4f55-9a1f-5c1f3d0b2c11")
        .unwrap()
        .expect("stored");
    assert!(st.sensitive);
    assert_eq!(st.spoiler_text, "cw: test");
    assert!(!st.content.contains("href=\"javascript:"), "{}", st.content);
    w.apply(&k, "pleroma-like").await;
    assert_eq!(w.local().favourites_count, 1);
}

#[tokio::test]
async fn misskey_note_reaction_renote_delete() {
    let w = world().await;
    let m = w.actor("misskey");
    w.apply(&m, "misskey-create").await;
    let uri = "https://misskey.io/notes/9zq3k1x2ab";
    let st = w.s.state.store.status_by_uri(uri).unwrap().expect("stored");
    assert_eq!(st.tags, vec!["fediverse"]);
    w.apply(&m, "misskey-like").await;
    w.apply(&m, "misskey-announce").await;
    let local = w.local();
    assert_eq!((local.favourites_count, local.reblogs_count), (1, 1));
    w.apply(&m, "misskey-delete").await;
    assert!(w.s.state.store.status_by_uri(uri).unwrap().is_none());
}
