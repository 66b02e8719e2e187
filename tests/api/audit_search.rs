//! The auditors' search and export: filters, paging, CSV and JSON Lines, the record of each
//! export, and that a tenant's record is only ever readable by that tenant's auditors and admins.

use bote::db::tenants;
use bote::db::users::{self, NewUser};
use bote::domain::email::EmailAddress;
use bote::domain::role::Role;
use bote::domain::slug::TenantSlug;
use serde_json::{json, Value};

use crate::helpers::{new_client, path_of, spawn_app, TestApp, PASSWORD};

/// A download link with one file, fetched once by a partner; returns the link id.
async fn link_with_download(app: &TestApp, token: &str) -> String {
    let link = app
        .create_link(
            token,
            json!({ "kind": "download", "title": "Haushalt 2027" }),
        )
        .await;
    let id = link["id"].as_str().unwrap().to_string();
    let file = app
        .upload(token, &id, "plan.txt", b"numbers".to_vec())
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    let res = new_client()
        .get(app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"numbers");
    // The download is recorded when its body ends.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    id
}

async fn records(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.api_get(token, &format!("/api/v1/audit?{query}")).await;
    assert_eq!(res.status().as_u16(), 200, "{query}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_auditor_finds_and_exports_what_happened_to_a_link() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, auditor) = app.api_user("audit@example.org", Role::Auditor).await;
    let link_id = link_with_download(&app, &staff).await;
    link_with_download(&app, &staff).await;

    let found = records(&app, &auditor, &format!("link={link_id}")).await;
    let list = found["records"].as_array().unwrap();
    let actions: Vec<&str> = list.iter().map(|r| r["action"].as_str().unwrap()).collect();
    for a in ["link.created", "file.uploaded", "file.downloaded"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(list.iter().all(|r| r["link_id"] == link_id.as_str()));
    let seqs: Vec<i64> = list.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first");

    let downloads = records(
        &app,
        &auditor,
        &format!("link={link_id}&action=file.downloaded&outcome=success"),
    )
    .await;
    assert_eq!(downloads["records"].as_array().unwrap().len(), 1);
    assert_eq!(downloads["records"][0]["actor_kind"], "external");
    assert_eq!(downloads["records"][0]["client_addr"], "127.0.0.1");
    assert_eq!(downloads["records"][0]["details"]["completed"], true);

    let csv = app
        .api_get(
            &auditor,
            &format!("/api/v1/audit/export?format=csv&link={link_id}"),
        )
        .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("seq,id,time,"));
    assert_eq!(lines.len(), 1 + list.len(), "{text}");

    let jsonl = app
        .api_get(
            &auditor,
            &format!("/api/v1/audit/export?format=jsonl&link={link_id}"),
        )
        .await
        .text()
        .await
        .unwrap();
    let parsed: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), list.len());
    assert!(parsed
        .windows(2)
        .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()));

    let exports = records(&app, &auditor, "action=audit.exported").await;
    let exports = exports["records"].as_array().unwrap();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0]["actor"], "audit@example.org");
    assert_eq!(exports[0]["details"]["filters"]["link"], link_id.as_str());
}

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, admin) = app.api_user("admin@example.org", Role::Admin).await;
    for i in 0..4 {
        app.create_link(
            &staff,
            json!({ "kind": "download", "title": format!("L{i}") }),
        )
        .await;
    }
    let all = records(&app, &admin, "limit=1000").await;
    let all: Vec<i64> = all["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_i64().unwrap())
        .collect();
    let mut seen = Vec::new();
    let mut query = "limit=3".to_string();
    loop {
        let page = records(&app, &admin, &query).await;
        seen.extend(
            page["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["seq"].as_i64().unwrap()),
        );
        match page["next_before"].as_i64() {
            Some(b) => query = format!("limit=3&before={b}"),
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn bad_filters_are_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let (_, auditor) = app.api_user("audit@example.org", Role::Auditor).await;
    for (query, code) in [
        ("outcome=maybe", "audit_outcome"),
        ("link=../../etc", "audit_link"),
        ("from=yesterday", "audit_time"),
        ("from=2026-11-02&to=2026-11-01", "audit_time"),
        ("action=x%27%20OR%201=1", "audit_action"),
    ] {
        let res = app
            .api_get(&auditor, &format!("/api/v1/audit?{query}"))
            .await;
        assert_eq!(res.status().as_u16(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{query}");
    }
    let res = app
        .api_get(&auditor, "/api/v1/audit/export?format=xlsx")
        .await;
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn staff_cannot_read_the_record_and_tenants_never_see_each_other() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@example.org", Role::Staff).await;
    let link_id = link_with_download(&app, &staff).await;
    assert_eq!(
        app.api_get(&staff, "/api/v1/audit").await.status().as_u16(),
        403
    );
    assert_eq!(
        app.api_get(&staff, "/api/v1/audit/export?format=csv")
            .await
            .status()
            .as_u16(),
        403
    );

    let other = tenants::create(
        &app.db,
        &TenantSlug::parse("nachbarort").unwrap(),
        "Nachbarort",
        "de",
    )
    .await
    .unwrap()
    .unwrap();
    let hash = bote::auth::password::hash(PASSWORD.to_string())
        .await
        .unwrap();
    let outsider = users::create(
        &app.db,
        NewUser {
            tenant_id: Some(&other.id),
            email: &EmailAddress::parse("audit@nachbarort.example").unwrap(),
            display_name: "Prüferin",
            role: Role::Auditor,
            password_hash: Some(&hash),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let outsider_token = bote::auth::api_token::issue(&app.db, &outsider, "test")
        .await
        .unwrap();
    let theirs = records(&app, &outsider_token, "limit=1000").await;
    assert!(theirs["records"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["link_id"].is_null() && r["action"] != "file.downloaded"));
    let by_link = records(&app, &outsider_token, &format!("link={link_id}")).await;
    assert_eq!(by_link["records"].as_array().unwrap().len(), 0);
    let export = app
        .api_get(
            &outsider_token,
            &format!("/api/v1/audit/export?format=jsonl&link={link_id}"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(export.is_empty(), "{export}");
}

#[tokio::test]
async fn an_auditor_searches_and_exports_in_the_browser() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@example.org", Role::Staff).await;
    let link_id = link_with_download(&app, &staff).await;
    app.signed_in("audit@example.org", Role::Auditor).await;
    let html = app
        .get(&format!("/audit?link={link_id}&action=file.downloaded"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("file.downloaded") && html.contains("127.0.0.1"));
    assert!(html.contains(&format!("/links/{link_id}")));
    assert!(html.contains("/audit/export?format=csv&amp;"));
    let csv = app
        .get(&format!("/audit/export?format=csv&link={link_id}"))
        .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(csv.text().await.unwrap().contains("file.downloaded"));
    // The link's full history opens for the auditor too, read-only.
    let detail = app.get(&format!("/links/{link_id}")).await;
    assert_eq!(detail.status().as_u16(), 200);
    assert!(!detail.text().await.unwrap().contains("/revoke"));
}

#[tokio::test]
async fn the_auditor_page_verifies_the_chain_on_request() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@example.org", Role::Staff).await;
    link_with_download(&app, &staff).await;
    app.signed_in("audit@example.org", Role::Auditor).await;
    let res = app.post_form("/audit/verify", &[]).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("notice ok"), "intact");
    let tenant = app.default_tenant_id().await;
    sqlx::query("UPDATE audit_events SET client_addr = '10.6.6.6' WHERE chain = $1 AND seq = 2")
        .bind(&tenant)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let html = app
        .post_form("/audit/verify", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("notice error") && html.contains("record 2"),
        "broken"
    );
    let staff_try = crate::helpers::spawn_client_signed_in(&app, "other@example.org", Role::Staff)
        .await
        .get(app.url("/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(staff_try.status().as_u16(), 403);
}

/// Export and verification read the record in batches (of 2,000): a record several batches long
/// comes out whole, oldest first, each record once, with the same filters as a page.
#[tokio::test]
async fn exports_and_verification_span_many_batches_whole_and_in_order() {
    use bote::audit::{chain, verify::verify, Actor, AuditEvent, Outcome};
    let app = spawn_app().await;
    let (_, admin) = app.api_user("admin@example.org", Role::Admin).await;
    let tenant = app.default_tenant_id().await;
    let mut tx = app.db.pool.begin().await.unwrap();
    for i in 0..4500 {
        let event = AuditEvent::new("link.opened", Outcome::Success, Actor::External)
            .tenant(Some(&tenant))
            .reason(format!("visit {i}, \"quoted\""))
            .detail("n", i);
        chain::append(&mut tx, &event).await.unwrap();
    }
    tx.commit().await.unwrap();
    let head: i64 = sqlx::query_scalar("SELECT last_seq FROM audit_chains WHERE chain = $1")
        .bind(&tenant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    let jsonl = app
        .api_get(&admin, "/api/v1/audit/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seqs: Vec<i64> = lines.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    // The request itself may add records (token use) after `head` was read.
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert!(seqs.len() as i64 >= head, "{} < {head}", seqs.len());
    let last_visit = lines
        .iter()
        .rfind(|r| r["action"] == "link.opened")
        .unwrap();
    assert_eq!(last_visit["reason"], "visit 4499, \"quoted\"");
    assert_eq!(last_visit["details"], json!({ "n": 4499 }));

    let csv = app
        .api_get(&admin, "/api/v1/audit/export?format=csv&action=link.opened")
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 4500);
    assert!(
        rows[4499].contains(",\"visit 4499, \"\"quoted\"\"\","),
        "{}",
        rows[4499]
    );

    let report = verify(&app.db, Some(&tenant)).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.records >= head as u64 - 1, "{}", report.records);
}
