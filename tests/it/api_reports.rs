//! The owner reports a remote account from an app: the report is kept,
//! shown on the settings page, and with `forward` reaches the account's
//! server as a `Flag` naming the account and its statuses.

use crate::common;
use burrow::store::statuses::Visibility;
use common::*;
use serde_json::{json, Value};

/// Every key of Mastodon's Report entity.
const REPORT_KEYS: &[&str] = &[
    "id",
    "action_taken",
    "action_taken_at",
    "category",
    "comment",
    "forwarded",
    "created_at",
    "status_ids",
    "rule_ids",
    "target_account",
];

fn admin_reports(s: &TestServer) -> Vec<burrow::store::notifications::Notification> {
    s.state
        .store
        .notification_page(
            burrow::store::timelines::Page {
                limit: 20,
                ..Default::default()
            },
            |n| n.kind == "admin.report",
        )
        .unwrap()
}

/// Bob posts; alice follows him, so his post is in her store. Returns
/// bob's account and his post as alice knows them.
async fn alice_knows_a_post_of_bob(a: &TestServer, b: &TestServer) -> (u64, u64, u64) {
    let bob = follow_accepted(a, &format!("bob@{}", b.host)).await;
    let post = burrow::ops::statuses::post(
        &b.state,
        burrow::ops::statuses::NewStatus {
            text: "buy cheap watches".into(),
            visibility: Visibility::Public,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut on_a = None;
    eventually("bob's post reaches alice", || {
        on_a = a.state.store.status_by_uri(&post.uri).unwrap();
        on_a.is_some()
    })
    .await;
    (bob.id, on_a.unwrap().id, post.id)
}

#[tokio::test]
async fn a_forwarded_report_reaches_the_reported_accounts_server_as_a_flag() {
    let (a, b) = pair().await;
    let (bob_id, status_id, status_on_b) = alice_knows_a_post_of_bob(&a, &b).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let res = api
        .post_json(
            "/api/v1/reports",
            json!({
                "account_id": bob_id.to_string(),
                "status_ids": [status_id.to_string()],
                "comment": "spam from bob",
                "forward": true,
                "category": "spam",
            }),
        )
        .await;
    let status = res.status();
    let r: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{r}");
    for k in REPORT_KEYS {
        assert!(r.get(k).is_some(), "report lacks {k}: {r}");
    }
    assert!(r["id"].is_string());
    assert_eq!(r["action_taken"], false);
    assert_eq!(r["category"], "spam");
    assert_eq!(r["comment"], "spam from bob");
    assert_eq!(r["forwarded"], true);
    assert_eq!(r["status_ids"], json!([status_id.to_string()]));
    assert_eq!(r["target_account"]["id"], bob_id.to_string());
    let id: u64 = r["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        a.state.store.report(id).unwrap().unwrap().comment,
        "spam from bob"
    );

    // Bob's server hears of it: a Flag from alice naming bob's post.
    eventually("the Flag reaches bob's server", || {
        !admin_reports(&b).is_empty()
    })
    .await;
    let flags = admin_reports(&b);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].report_comment.as_deref(), Some("spam from bob"));
    assert_eq!(flags[0].report_status_ids, vec![status_on_b]);
}

#[tokio::test]
async fn reports_name_only_the_accounts_own_statuses_and_stay_home_unless_forwarded() {
    let (a, b) = pair().await;
    let (bob_id, _, _) = alice_knows_a_post_of_bob(&a, &b).await;
    let api = Api {
        s: &a,
        token: token(&a, "read write").await,
    };
    let own = burrow::ops::statuses::post(
        &a.state,
        burrow::ops::statuses::NewStatus {
            text: "mine".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let bad: &[(Value, u16)] = &[
        // A status of someone else's is not the account's to answer for.
        (
            json!({"account_id": bob_id.to_string(), "status_ids": [own.id.to_string()]}),
            404,
        ),
        (json!({"account_id": "999999"}), 404),
        (json!({}), 422),
        (
            json!({"account_id": bob_id.to_string(), "category": "rude"}),
            422,
        ),
        (
            json!({"account_id": bob_id.to_string(), "rule_ids": ["1"]}),
            422,
        ),
        (
            json!({"account_id": bob_id.to_string(), "status_ids": ["x"]}),
            422,
        ),
        (
            json!({"account_id": bob_id.to_string(), "comment": "x".repeat(1001)}),
            422,
        ),
        (json!({"account_id": own.account_id.to_string()}), 422),
    ];
    for (body, want) in bad {
        let res = api.post_json("/api/v1/reports", body.clone()).await;
        assert_eq!(res.status().as_u16(), *want, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].is_string(), "{err}");
    }
    assert!(a.state.store.reports(10).unwrap().is_empty());

    // Not forwarded: kept here, nothing sent (bob's server hears nothing
    // while a later forwarded report does arrive, in order).
    let r: Value = api
        .post("/api/v1/reports", &[("account_id", &bob_id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["forwarded"], false);
    assert_eq!(r["category"], "other");
    assert!(r["status_ids"].is_null());
    let res = api
        .post(
            "/api/v1/reports",
            &[
                ("account_id", &bob_id.to_string()),
                ("forward", "true"),
                ("comment", "second"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("the forwarded report arrives", || {
        !admin_reports(&b).is_empty()
    })
    .await;
    let flags = admin_reports(&b);
    assert_eq!(flags.len(), 1, "only the forwarded report was sent");
    assert_eq!(flags[0].report_comment.as_deref(), Some("second"));

    // A token without the scope may not report.
    let read_only = Api {
        s: &a,
        token: token(&a, "read").await,
    };
    let res = read_only
        .post("/api/v1/reports", &[("account_id", &bob_id.to_string())])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(a.state.store.reports(10).unwrap().len(), 2);

    // The owner sees both on the settings page.
    let html = settings_page(&a).await;
    assert!(html.contains("Your reports"), "{html}");
    assert!(html.contains(&format!("bob@{}", b.host)));
    assert!(html.contains("second"));
    assert!(html.contains("sent to their server"));
    assert!(html.contains("kept here only"));
}

/// The settings page as the logged-in owner sees it.
async fn settings_page(s: &TestServer) -> String {
    let http = client();
    let form = http.get(s.url("/login")).send().await.unwrap();
    let mut cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect();
    let body = form.text().await.unwrap();
    let csrf = hidden_fields(&body)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .unwrap();
    let res = http
        .post(s.url("/login"))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("next", "/web/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    cookies.extend(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string)),
    );
    let page = http
        .get(s.url("/web/settings"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}
