//! Mails against the real SMTP server started by scripts/services (aiosmtpd).

use std::time::Duration;

use bote::domain::role::Role;
use serde_json::json;

use crate::helpers::{eicar, path_of, spawn_app_with, TestApp, TestOptions};

fn smtp_options() -> TestOptions {
    TestOptions::default()
        .set(
            "BOTE_SMTP_URL",
            &std::env::var("BOTE_TEST_SMTP_URL")
                .expect("run through scripts/test (BOTE_TEST_SMTP_URL)"),
        )
        .set("BOTE_MAIL_FROM", "bote@stadt.example")
}

/// Mails the sink received for this address (the sink writes X-Envelope-To headers).
fn mails_to(address: &str) -> Vec<String> {
    let dir = std::env::var("BOTE_TEST_MAIL_DIR").expect("BOTE_TEST_MAIL_DIR");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        if text
            .lines()
            .any(|l| l.trim() == format!("X-Envelope-To: {address}"))
        {
            found.push(text);
        }
    }
    found
}

async fn wait_for_mail(address: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let got = mails_to(address);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mails_to(address)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@stadt.example", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn owner_and_admin_hear_of_a_rejected_file_in_their_language() {
    let app = spawn_app_with(smtp_options()).await;
    let owner_email = unique("owner");
    let admin_email = unique("admin");
    let (owner, token) = app.api_user(&owner_email, Role::Staff).await;
    bote::db::users::set_language(&app.db, &owner.id, "en")
        .await
        .unwrap();
    app.create_user(&admin_email, Role::Admin).await;
    // Header injection through a title is refused at the door.
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "download", "title": "Akte\r\nBcc: evil@x.example"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "Akte <b>4711</b>"}),
        )
        .await;
    let file = app
        .upload(&token, link["id"].as_str().unwrap(), "virus.com", eicar())
        .await;
    assert_eq!(file["scan"], "infected");

    let to_owner = wait_for_mail(&owner_email, 1).await;
    assert_eq!(to_owner.len(), 1, "one mail to the owner");
    let m = &to_owner[0];
    assert!(m.contains("Subject: File rejected: virus.com"), "{m}");
    assert!(m.contains("From: Default <bote@stadt.example>"), "{m}");
    assert!(
        m.contains(&format!(
            "{}/links/{}",
            app.address,
            link["id"].as_str().unwrap()
        )),
        "link uses the base URL"
    );
    let to_admin = wait_for_mail(&admin_email, 1).await;
    assert_eq!(to_admin.len(), 1);
    assert!(
        to_admin[0].contains("Datei abgewiesen: virus.com"),
        "admin gets German (tenant language)"
    );
    assert!(mails_to("evil@x.example").is_empty());
    assert!(
        to_admin[0].contains("Akte &#60;b&#62;4"),
        "title escaped in the HTML part"
    );
}

#[tokio::test]
async fn owner_is_told_when_their_link_gets_locked_and_no_password_is_ever_mailed() {
    let app = spawn_app_with(smtp_options()).await;
    let owner_email = unique("owner");
    let (_, token) = app.api_user(&owner_email, Role::Staff).await;
    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "Gesperrt", "password": "very-secret-pw"}),
        )
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    let partner = TestApp::client_for(&app);
    for i in 0..10 {
        app.unlock(&partner, &path, &format!("guess-{i}")).await;
    }
    let mails = wait_for_mail(&owner_email, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("Link gesperrt: Gesperrt") || mails[0].contains("=?utf-8?"),
        "{}",
        mails[0]
    );
    assert!(!mails[0].contains("very-secret-pw"));
}

#[tokio::test]
async fn mails_wait_while_smtp_is_down_and_arrive_once_afterwards() {
    // A relay that does not answer: mails stay in the outbox.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(TestOptions::default().set(
        "BOTE_SMTP_URL",
        &format!("smtp://127.0.0.1:{closed}?tls=none"),
    ))
    .await;
    let owner_email = unique("owner");
    let (_, token) = app.api_user(&owner_email, Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    app.upload(&token, link["id"].as_str().unwrap(), "v.com", eicar())
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (state, attempts, error): (String, i64, Option<String>) =
        sqlx::query_as("SELECT state, attempts, last_error FROM outbox")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(state, "waiting");
    assert!(attempts >= 1 && error.is_some(), "the failure is visible");
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert!(ready["checks"]["mail"]
        .as_str()
        .unwrap()
        .starts_with("unreachable"));

    // Bote restarts with the relay back: the mail arrives, once.
    let mut env = app.env_for_restart();
    env.retain(|(k, _)| k != "BOTE_SMTP_URL");
    env.push((
        "BOTE_SMTP_URL".into(),
        std::env::var("BOTE_TEST_SMTP_URL").unwrap(),
    ));
    let app = app.restart_with(env).await;
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mails = wait_for_mail(&owner_email, 1).await;
    assert_eq!(mails.len(), 1);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_to(&owner_email).len(), 1, "exactly once");
    let state: String = sqlx::query_scalar("SELECT state FROM outbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "sent");
}

#[tokio::test]
async fn starttls_with_auth_delivers_and_a_wrong_password_is_reported() {
    let tls_url = std::env::var("BOTE_TEST_SMTP_TLS_URL").expect("BOTE_TEST_SMTP_TLS_URL");
    let ca = std::env::var("BOTE_TEST_SMTP_CA").expect("BOTE_TEST_SMTP_CA");
    let app = spawn_app_with(
        TestOptions::default()
            .set("BOTE_SMTP_URL", &tls_url)
            .set("BOTE_SMTP_CA", &ca),
    )
    .await;
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["mail"], "ok");
    let owner_email = unique("tls");
    let (_, token) = app.api_user(&owner_email, Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    app.upload(&token, link["id"].as_str().unwrap(), "v.com", eicar())
        .await;
    let mails = wait_for_mail(&owner_email, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("X-Sink-Tls: starttls") && mails[0].contains("X-Sink-Auth: bote"));

    let wrong = tls_url.replace("bote:secret", "bote:wrong");
    let app = spawn_app_with(
        TestOptions::default()
            .set("BOTE_SMTP_URL", &wrong)
            .set("BOTE_SMTP_CA", &ca),
    )
    .await;
    let (_, token) = app.api_user(&unique("tls2"), Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    app.upload(&token, link["id"].as_str().unwrap(), "v.com", eicar())
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let error = error.expect("the failure is recorded");
    assert!(
        error.contains("535") || error.to_lowercase().contains("auth"),
        "{error}"
    );
}

#[tokio::test]
async fn without_smtp_mails_are_written_as_files() {
    let app = spawn_app_with(TestOptions::default()).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    app.upload(&token, link["id"].as_str().unwrap(), "v.com", eicar())
        .await;
    let dir = app.data_dir().join("mail");
    for _ in 0..50 {
        if std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(text.contains("Datei abgewiesen"));
}

#[tokio::test]
async fn link_is_mailed_to_recipients_without_the_password() {
    let app = spawn_app_with(smtp_options()).await;
    let recipient = unique("partner");
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    let csrf = app.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("title", "Pläne für Sie")
        .text("message", "Guten Tag,\nanbei die Pläne.")
        .text("expires_days", "7")
        .text("password_mode", "typed")
        .text("password", "mail-never-sees-this")
        .text("recipients", format!("{recipient}\n"))
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"plan".to_vec()).file_name("plan.pdf"),
        );
    let res = app
        .client
        .post(app.url("/links"))
        .headers(app.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let start = html.find("id=\"link-url\" readonly value=\"").unwrap() + 30;
    let url = &html[start..start + html[start..].find('"').unwrap()];

    let mails = wait_for_mail(&recipient, 1).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.contains("Subject: Dateien "), "{m}");
    // Quoted-printable may wrap long lines; compare without soft line breaks.
    let flat = m.replace("=\r\n", "").replace("=\n", "");
    assert!(flat.contains(url), "the mail carries the link: {url}");
    assert!(!flat.contains("mail-never-sees-this"), "never the password");
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("link.mailed".into(), "success".into())));
}

#[tokio::test]
async fn link_mail_waits_until_every_file_has_a_verdict() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = smtp_options();
    options = options.set("BOTE_CLAMD", &format!("tcp://127.0.0.1:{closed}"));
    let app = spawn_app_with(options).await;
    let recipient = unique("partner");
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "x", "recipients": [recipient.clone()]}),
        )
        .await;
    // No file yet: nothing pending, the mail goes out.
    assert_eq!(wait_for_mail(&recipient, 1).await.len(), 1);
    let _ = link;

    // A link created with a file the scanner could not check yet: its mail is held.
    let second = unique("partner2");
    app.signed_in("clerk2@stadt.example", Role::Staff).await;
    let csrf = app.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("title", "wartet")
        .text("recipients", second.clone())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"data".to_vec()).file_name("a.txt"),
        );
    let res = app
        .client
        .post(app.url("/links"))
        .headers(app.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        mails_to(&second).is_empty(),
        "not announced while the file is pending"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM outbox WHERE recipient = $1")
        .bind(&second)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "held");
}

#[tokio::test]
async fn bad_recipient_addresses_are_refused() {
    let app = spawn_app_with(TestOptions::default()).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    for bad in [
        "nobody",
        "a@b.example\r\nBcc: x@y.example",
        "x@y.example, <z@w.example>",
    ] {
        let res = app
            .api_post(
                &token,
                "/api/v1/links",
                json!({"kind": "download", "title": "x", "recipients": [bad]}),
            )
            .await;
        assert_eq!(res.status().as_u16(), 400, "{bad:?}");
        let e: serde_json::Value = res.json().await.unwrap();
        assert_eq!(e["error"]["code"], "recipients");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}
