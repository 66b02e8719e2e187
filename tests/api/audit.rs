use bote::audit::verify::verify;
use bote::domain::role::Role;

use crate::helpers::{spawn_app, TestApp, PASSWORD};

/// Some activity in the default tenant's chain: logins, failures, logout.
async fn activity(app: &TestApp) -> String {
    app.create_user("anna@stadt.example", Role::Staff).await;
    for pw in ["wrong-1", PASSWORD, "wrong-2", PASSWORD] {
        app.login("anna@stadt.example", pw).await;
    }
    app.post_form("/logout", &[]).await;
    app.default_tenant_id().await
}

async fn seqs(app: &TestApp, chain: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT seq FROM audit_events WHERE chain = $1 ORDER BY seq")
        .bind(chain)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn intact_chain_verifies() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    assert!(seqs(&app, &chain).await.len() >= 5);
    let report = verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.records >= 5);
}

#[tokio::test]
async fn altered_record_is_named() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    sqlx::query("UPDATE audit_events SET client_addr = '10.9.9.9' WHERE chain = $1 AND seq = 3")
        .bind(&chain)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = verify(&app.db, Some(&chain)).await.unwrap();
    assert_eq!(report.breaks.len(), 1);
    assert_eq!(report.breaks[0].seq, 3);
    assert!(report.breaks[0].problem.contains("altered"));
}

#[tokio::test]
async fn deleted_record_is_named() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 2")
        .bind(&chain)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = verify(&app.db, Some(&chain)).await.unwrap();
    assert_eq!(report.breaks[0].seq, 2);
    assert!(report.breaks[0].problem.contains("missing"));
}

#[tokio::test]
async fn deleted_last_record_is_noticed() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    let last = *seqs(&app, &chain).await.last().unwrap();
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = $2")
        .bind(&chain)
        .bind(last)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = verify(&app.db, Some(&chain)).await.unwrap();
    assert_eq!(
        report.breaks.len(),
        1,
        "removing the newest record is caught by the chain head"
    );
}

#[tokio::test]
async fn reordered_records_are_named() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    // Swap records 2 and 3 (through a free sequence number, keeping the UNIQUE constraint).
    for (from, to) in [(2, 1000), (3, 2), (1000, 3)] {
        sqlx::query("UPDATE audit_events SET seq = $1 WHERE chain = $2 AND seq = $3")
            .bind(to)
            .bind(&chain)
            .bind(from)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let report = verify(&app.db, Some(&chain)).await.unwrap();
    assert_eq!(report.breaks[0].seq, 2);
}

#[tokio::test]
async fn record_inserted_after_the_head_is_named() {
    let app = spawn_app().await;
    let chain = activity(&app).await;
    let last = *seqs(&app, &chain).await.last().unwrap();
    // A copy of the newest record one number further on, the chain head left as it was.
    sqlx::query(
        "INSERT INTO audit_events (id, chain, seq, tenant_id, occurred_at, actor_kind,
             actor_user_id, actor_label, client_addr, user_agent, action, outcome, link_id,
             file_id, reason, details, prev_hash, hash)
         SELECT 'forged-' || id, chain, seq + 1, tenant_id, occurred_at, actor_kind,
             actor_user_id, actor_label, client_addr, user_agent, action, outcome, link_id,
             file_id, reason, details, hash, hash
         FROM audit_events WHERE chain = $1 AND seq = $2",
    )
    .bind(&chain)
    .bind(last)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let report = verify(&app.db, Some(&chain)).await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{:?}", report.breaks);
    assert_eq!(report.breaks[0].seq, last + 1);
    assert!(report.breaks[0].problem.contains("after the chain's head"));
}

#[tokio::test]
async fn verifying_while_records_are_written_finds_no_break() {
    use bote::audit::{chain, Actor, AuditEvent, Outcome};
    let app = spawn_app().await;
    let tenant = activity(&app).await;
    let writer = {
        let db = app.db.clone();
        let tenant = tenant.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                let mut tx = db.pool.begin().await.unwrap();
                let event = AuditEvent::new("link.opened", Outcome::Success, Actor::External)
                    .tenant(Some(&tenant))
                    .detail("n", i);
                chain::append(&mut tx, &event).await.unwrap();
                tx.commit().await.unwrap();
            }
        })
    };
    let mut checks = 0;
    while !writer.is_finished() {
        let report = verify(&app.db, Some(&tenant)).await.unwrap();
        assert!(report.breaks.is_empty(), "{:?}", report.breaks);
        checks += 1;
    }
    writer.await.unwrap();
    assert!(checks > 1, "verification ran while records were written");
    let report = verify(&app.db, Some(&tenant)).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.records >= 300);
}

#[tokio::test]
async fn concurrent_writers_keep_one_unbroken_chain() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let attempts = (0..30).map(|i| {
        let client = crate::helpers::new_client();
        let url = app.url("/login");
        let origin = app.origin_header();
        async move {
            let html = client.get(&url).send().await.unwrap().text().await.unwrap();
            let csrf = crate::helpers::extract_csrf(&html).unwrap();
            client
                .post(&url)
                .headers(origin)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("email", "anna@stadt.example"),
                    ("password", if i % 2 == 0 { PASSWORD } else { "nope" }),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    futures_util::future::join_all(attempts).await;
    let report = verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.records >= 30);
}

#[test]
fn cli_verify_exits_non_zero_on_a_broken_chain() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(crate::helpers::bote_bin())
            .args(args)
            .current_dir(dir.path())
            .env_remove("BOTE_DATABASE_URL")
            .env("BOTE_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap()
    };
    let mut add = Command::new(crate::helpers::bote_bin())
        .args([
            "user",
            "add",
            "--email",
            "a@stadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .current_dir(dir.path())
        .env_remove("BOTE_DATABASE_URL")
        .env("BOTE_DATA_DIR", dir.path().join("data"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let ok = run(&["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    let ok = run(&["audit", "verify", "--tenant", "default"]);
    assert!(ok.status.success());

    let db = dir.path().join("data/bote.db");
    let status = Command::new("python3")
        .args(["-c", &format!("import sqlite3; c=sqlite3.connect('{}'); c.execute(\"UPDATE audit_events SET action='x'\"); c.commit()", db.display())])
        .status()
        .unwrap();
    assert!(status.success());
    let bad = run(&["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("BROKEN"));
    let unknown = run(&["audit", "verify", "--tenant", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
}
