//! Per-tenant data protection: client addresses kept in full, shortened or not at all, and
//! audit retention that removes old records through a checkpoint the chain signs off.

use bote::audit::retention;
use bote::audit::verify::verify;
use bote::domain::role::Role;
use serde_json::json;

use crate::helpers::{new_client, path_of, spawn_app, TestApp};

async fn set_mode(app: &TestApp, mode: &str) {
    sqlx::query("UPDATE tenants SET client_address_mode = $1")
        .bind(mode)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn last_address(app: &TestApp, action: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT client_addr FROM audit_events WHERE action = $1 ORDER BY occurred_at DESC, seq DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn client_addresses_are_kept_as_the_tenant_decides() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let link = app
        .create_link(&token, json!({ "kind": "upload", "title": "Anträge" }))
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    for (mode, expected) in [
        ("full", Some("127.0.0.1")),
        ("shortened", Some("127.0.0.0")),
        ("none", None),
    ] {
        set_mode(&app, mode).await;
        new_client().get(app.url(&path)).send().await.unwrap();
        assert_eq!(
            last_address(&app, "link.opened").await.as_deref(),
            expected,
            "{mode}"
        );
        let res = new_client()
            .post(app.url(&format!("{path}/files")))
            .multipart(reqwest::multipart::Form::new().part(
                "files",
                reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let stored: String = sqlx::query_scalar(
            "SELECT client_addr FROM submissions ORDER BY created_at DESC, id LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(stored, expected.unwrap_or(""), "{mode}");
    }
    let report = verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
}

async fn some_records(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        app.create_link(
            token,
            json!({ "kind": "download", "title": format!("Vorgang {i}") }),
        )
        .await;
    }
}

#[tokio::test]
async fn retention_removes_old_records_through_a_signed_off_checkpoint() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let tenant = app.default_tenant_id().await;
    some_records(&app, &token, 5).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = bote::domain::time::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    some_records(&app, &token, 2).await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE chain = $1")
        .bind(&tenant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    let removed = retention::apply(&app.db, &tenant, cutoff)
        .await
        .unwrap()
        .expect("old records to remove");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE chain = $1")
        .bind(&tenant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        after,
        before - removed.records + 1,
        "one retention record added"
    );
    let oldest: i64 = sqlx::query_scalar("SELECT MIN(seq) FROM audit_events WHERE chain = $1")
        .bind(&tenant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(oldest, removed.through_seq + 1);
    let report = verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    // Nothing older than the cut is left to remove; a second run changes nothing.
    assert!(retention::apply(&app.db, &tenant, cutoff)
        .await
        .unwrap()
        .is_none());

    // Records removed beyond the checkpoint by hand are caught...
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = $2")
        .bind(&tenant)
        .bind(removed.through_seq + 1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = verify(&app.db, None).await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{:?}", report.breaks);
}

#[tokio::test]
async fn a_checkpoint_moved_by_hand_is_not_signed_off() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let tenant = app.default_tenant_id().await;
    some_records(&app, &token, 4).await;
    let cutoff = bote::domain::time::now_ms() + 1;
    let removed = retention::apply(&app.db, &tenant, cutoff)
        .await
        .unwrap()
        .unwrap();
    assert!(verify(&app.db, None).await.unwrap().breaks.is_empty());
    // Someone removes more records and moves the checkpoint to hide it.
    some_records(&app, &token, 3).await;
    let (seq, hash): (i64, String) = sqlx::query_as(
        "SELECT seq, hash FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1 OFFSET 1",
    )
    .bind(&tenant)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(seq > removed.through_seq);
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq <= $2")
        .bind(&tenant)
        .bind(seq)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_checkpoints SET through_seq = $1, through_hash = $2")
        .bind(seq)
        .bind(&hash)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = verify(&app.db, None).await.unwrap();
    assert_eq!(report.breaks.len(), 1);
    assert!(
        report.breaks[0].problem.contains("signed off"),
        "{:?}",
        report.breaks
    );
}
