//! Mails against the real SMTP server started by scripts/services (aiosmtpd).

use std::time::Duration;

use bote::domain::role::Role;
use serde_json::json;

use crate::helpers::{eicar, path_of, spawn_app, spawn_app_with, TestApp, TestOptions};
use crate::mailbox::{mails_to, smtp_options, unique, wait_for_mail};

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

/// The text of a mail with quoted-printable undone (soft line breaks and `=XX` bytes).
fn decoded(mail: &str) -> String {
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = flat.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The plain-text part of a decoded mail (before the HTML alternative).
fn text_part(mail: &str) -> String {
    let text = decoded(mail);
    let start = text.find("Content-Type: text/plain").unwrap_or(0);
    let end = text.find("Content-Type: text/html").unwrap_or(text.len());
    text[start..end].to_string()
}

async fn wait_for_mails(address: &str, n: usize, seconds: u64) -> Vec<String> {
    for _ in 0..seconds * 10 {
        let got = mails_to(address);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mails_to(address)
}

/// A partner downloads one file of a link; the whole body is read, so the transfer completes.
async fn partner_download(app: &TestApp, partner: &reqwest::Client, path: &str) {
    let res = partner.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    res.bytes().await.unwrap();
}

async fn api_patch(app: &TestApp, token: &str, id: &str, body: serde_json::Value) -> u16 {
    reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/links/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn downloads_are_mailed_to_the_owner_in_one_batch_in_their_language_without_the_password() {
    let app = spawn_app_with(smtp_options().set("BOTE_DOWNLOAD_NOTICE_DELAY", "3s")).await;
    let owner_email = unique("owner");
    let quiet_email = unique("quiet");
    let (owner, token) = app.api_user(&owner_email, Role::Staff).await;
    bote::db::users::set_language(&app.db, &owner.id, "en")
        .await
        .unwrap();
    let (_, quiet_token) = app.api_user(&quiet_email, Role::Staff).await;
    let password = "notice-never-sees-this";
    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "Akte 4711", "password": password,
                   "notify_downloads": true}),
        )
        .await;
    assert_eq!(link["notify_downloads"], true);
    assert_eq!(link["remind_expiry"], false);
    let id = link["id"].as_str().unwrap();
    let file = app.upload(&token, id, "Plan.pdf", b"plan".to_vec()).await;
    let path = path_of(link["url"].as_str().unwrap());
    let file_path = format!("{path}/files/{}", file["id"].as_str().unwrap());
    let quiet = app
        .create_link(&quiet_token, json!({"kind": "download", "title": "Ruhig"}))
        .await;
    let quiet_file = app
        .upload(
            &quiet_token,
            quiet["id"].as_str().unwrap(),
            "q.pdf",
            b"q".to_vec(),
        )
        .await;
    let quiet_path = format!(
        "{}/files/{}",
        path_of(quiet["url"].as_str().unwrap()),
        quiet_file["id"].as_str().unwrap()
    );

    // Five downloads within the delay: four of the file, one ZIP of all files.
    let partner = TestApp::client_for(&app);
    app.unlock(&partner, &path, password).await;
    for _ in 0..4 {
        partner_download(&app, &partner, &file_path).await;
    }
    partner_download(&app, &partner, &format!("{path}/zip")).await;
    for _ in 0..2 {
        partner_download(&app, &partner, &quiet_path).await;
    }

    let mails = wait_for_mails(&owner_email, 1, 20).await;
    assert_eq!(mails.len(), 1, "one mail for the batch");
    // Longer than the delay and a few ticks: the batch stays one mail.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mails = mails_to(&owner_email);
    assert_eq!(mails.len(), 1, "still one mail for five downloads");
    let m = &mails[0];
    assert!(
        m.contains("Subject: Akte 4711: downloaded 5 time(s)"),
        "{m}"
    );
    let text = text_part(m);
    assert!(
        text.contains("Your link \"Akte 4711\" was downloaded 5 time(s) since the previous notice"),
        "{text}"
    );
    assert_eq!(
        text.matches("Plan.pdf (completed), 127.0.0.1").count(),
        4,
        "{text}"
    );
    assert_eq!(
        text.matches("all files as ZIP (completed), 127.0.0.1")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/links/{id}", app.address)),
        "{text}"
    );
    assert!(!decoded(m).contains(password), "never the password");

    // A later download is a new batch with only itself.
    partner_download(&app, &partner, &file_path).await;
    let mails = wait_for_mails(&owner_email, 2, 20).await;
    assert_eq!(mails.len(), 2, "a second mail for the later download");
    let second = mails
        .iter()
        .find(|m| m.contains("Subject: Akte 4711: downloaded 1 time(s)"))
        .expect("the second notice counts one download");
    let text = text_part(second);
    assert_eq!(text.matches("(completed)").count(), 1, "{text}");
    assert!(!decoded(second).contains(password), "never the password");

    assert!(mails_to(&quiet_email).is_empty(), "no opt-in, no mail");
    let due: Option<i64> =
        sqlx::query_scalar("SELECT download_notice_due_at FROM links WHERE id = $1")
            .bind(quiet["id"].as_str().unwrap())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(due, None, "no batch is started without the opt-in");
}

#[tokio::test]
async fn expiry_reminder_comes_once_within_the_lead_time_and_again_for_a_new_expiry() {
    let app = spawn_app_with(smtp_options().set("BOTE_EXPIRY_REMINDER_LEAD", "3d")).await;
    let soon_email = unique("soon");
    let upload_email = unique("upload");
    let later_email = unique("later");
    let none_email = unique("none");
    let disabled_email = unique("disabled");
    let (_, soon_token) = app.api_user(&soon_email, Role::Staff).await;
    let (_, upload_token) = app.api_user(&upload_email, Role::Staff).await;
    let (_, later_token) = app.api_user(&later_email, Role::Staff).await;
    let (_, none_token) = app.api_user(&none_email, Role::Staff).await;
    let (disabled, disabled_token) = app.api_user(&disabled_email, Role::Staff).await;
    let password = "reminder-never-sees-this";

    // Downloaded twice before the owner asks for the reminder.
    let soon = app
        .create_link(
            &soon_token,
            json!({"kind": "download", "title": "Frist", "expires_in_days": 1,
                   "password": password}),
        )
        .await;
    let soon_id = soon["id"].as_str().unwrap();
    let file = app
        .upload(&soon_token, soon_id, "a.pdf", b"a".to_vec())
        .await;
    let path = path_of(soon["url"].as_str().unwrap());
    let partner = TestApp::client_for(&app);
    app.unlock(&partner, &path, password).await;
    for _ in 0..2 {
        partner_download(
            &app,
            &partner,
            &format!("{path}/files/{}", file["id"].as_str().unwrap()),
        )
        .await;
    }
    assert_eq!(
        api_patch(&app, &soon_token, soon_id, json!({"remind_expiry": true})).await,
        200
    );

    let upload = app
        .create_link(
            &upload_token,
            json!({"kind": "upload", "title": "Nachweise", "expires_in_days": 2,
                   "remind_expiry": true}),
        )
        .await;
    assert_eq!(upload["remind_expiry"], true);
    let upload_id = upload["id"].as_str().unwrap();
    app.create_link(
        &later_token,
        json!({"kind": "download", "title": "Später", "expires_in_days": 5,
               "remind_expiry": true}),
    )
    .await;
    app.create_link(
        &none_token,
        json!({"kind": "download", "title": "Ohne", "expires_in_days": 1}),
    )
    .await;
    app.create_link(
        &disabled_token,
        json!({"kind": "download", "title": "Gesperrt", "expires_in_days": 1,
               "remind_expiry": true}),
    )
    .await;
    bote::db::users::disable(&app.db, &disabled.id)
        .await
        .unwrap();

    let mails = wait_for_mails(&soon_email, 1, 20).await;
    assert_eq!(mails.len(), 1);
    let text = text_part(&mails[0]);
    assert!(
        text.contains("Link läuft bald ab: Frist")
            && text.contains("Ihr Link „Frist“ läuft am ")
            && text.contains("Bisher wurde er 2-mal heruntergeladen."),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/links/{soon_id}", app.address)),
        "{text}"
    );
    assert!(!decoded(&mails[0]).contains(password), "never the password");
    let mails = wait_for_mails(&upload_email, 1, 20).await;
    assert_eq!(mails.len(), 1);
    assert!(
        text_part(&mails[0]).contains("Bisher sind darüber 0 Datei(en) eingegangen."),
        "{}",
        text_part(&mails[0])
    );

    // A couple of job ticks later: still one reminder each, none for the others.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(mails_to(&soon_email).len(), 1, "reminded once");
    assert_eq!(mails_to(&upload_email).len(), 1, "reminded once");
    assert!(mails_to(&later_email).is_empty(), "outside the lead time");
    assert!(mails_to(&none_email).is_empty(), "no opt-in");
    assert!(mails_to(&disabled_email).is_empty(), "disabled owner");

    // A new expiry gets a reminder of its own: changed, or reopened.
    assert_eq!(
        api_patch(&app, &soon_token, soon_id, json!({"expires_in_days": 2})).await,
        200
    );
    let res = app
        .api_post(
            &upload_token,
            &format!("/api/v1/links/{upload_id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .api_post(
            &upload_token,
            &format!("/api/v1/links/{upload_id}/reopen"),
            json!({"expires_in_days": 1}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(wait_for_mails(&soon_email, 2, 20).await.len(), 2);
    assert_eq!(wait_for_mails(&upload_email, 2, 20).await.len(), 2);
    for m in mails_to(&soon_email) {
        assert!(!decoded(&m).contains(password), "never the password");
    }
}

#[tokio::test]
async fn notice_settings_are_shown_changed_audited_and_bad_values_refused() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "x", "notify_downloads": true}),
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        400,
        "download notices on an upload link"
    );
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "download", "title": "x", "remind_expiry": "yes"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400, "not a boolean");

    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "x", "remind_expiry": true}),
        )
        .await;
    let id = link["id"].as_str().unwrap();
    assert_eq!(link["notify_downloads"], false);
    assert_eq!(link["remind_expiry"], true);
    assert_eq!(
        api_patch(&app, &token, id, json!({"notify_downloads": 1})).await,
        400
    );
    let before: i64 = sqlx::query_scalar(
        "SELECT c.last_seq FROM audit_chains c JOIN links l ON l.tenant_id = c.chain
         WHERE l.id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        api_patch(
            &app,
            &token,
            id,
            json!({"notify_downloads": true, "remind_expiry": false})
        )
        .await,
        200
    );
    let watermark: i64 = sqlx::query_scalar("SELECT download_notice_seq FROM links WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(
        watermark >= before && before > 0,
        "switched on later, notices start after what the record already holds"
    );
    let shown: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["notify_downloads"], true);
    assert_eq!(shown["remind_expiry"], false);

    let upload = app
        .create_link(&token, json!({"kind": "upload", "title": "u"}))
        .await;
    assert!(upload.get("notify_downloads").is_none());
    assert_eq!(
        api_patch(
            &app,
            &token,
            upload["id"].as_str().unwrap(),
            json!({"notify_downloads": true})
        )
        .await,
        400
    );

    let details: Vec<(String, String)> =
        sqlx::query_as("SELECT action, details FROM audit_events WHERE link_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let created: serde_json::Value = serde_json::from_str(&details[0].1).unwrap();
    assert_eq!(details[0].0, "link.created");
    assert_eq!(created["notify_downloads"], false);
    assert_eq!(created["remind_expiry"], true);
    let changed = details
        .iter()
        .find(|(a, _)| a == "link.changed")
        .expect("link.changed");
    let fields: serde_json::Value = serde_json::from_str(&changed.1).unwrap();
    assert_eq!(
        fields["fields"],
        json!(["notify_downloads", "remind_expiry"])
    );
}

#[tokio::test]
async fn two_instances_deliver_each_mail_exactly_once() {
    let one = spawn_app_with(smtp_options()).await;
    let two = one.second_instance().await;
    let tenant = one.default_tenant_id().await;
    let prefix = uuid::Uuid::new_v4().simple().to_string();
    let recipients: Vec<String> = (0..30)
        .map(|i| format!("twice-{prefix}-{i}@stadt.example"))
        .collect();
    let mut conn = one.db.pool.acquire().await.unwrap();
    for to in &recipients {
        let mail = bote::mail::outbox::NewMail {
            tenant_id: Some(tenant.clone()),
            kind: "test",
            recipient: to.clone(),
            from_name: "Stadt".into(),
            subject: "Einmal".into(),
            body_text: "Einmal, nicht zweimal.".into(),
            body_html: "<p>Einmal</p>".into(),
            held_for_link: None,
        };
        bote::mail::outbox::enqueue(&mut conn, &mail).await.unwrap();
    }
    drop(conn);
    // Both instances' outbox jobs race for the same rows.
    for _ in 0..150 {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")
            .fetch_one(&one.db.pool)
            .await
            .unwrap();
        if sent == 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more ticks of both jobs: nothing is sent twice.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for to in &recipients {
        assert_eq!(mails_to(to).len(), 1, "{to}");
    }
    drop(two);
}

#[tokio::test]
async fn a_hostile_file_name_cannot_add_headers_to_the_owners_notice() {
    let app = spawn_app_with(smtp_options()).await;
    let owner = unique("owner");
    let evil = unique("evil");
    let (_, token) = app.api_user(&owner, Role::Staff).await;
    let link = app
        .create_link(
            &token,
            json!({"kind": "upload", "title": "Eingang", "notify_uploads": true}),
        )
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    let name = format!("plan.txt\r\nBcc: {evil}\r\nSubject: gekapert");
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
         Content-Type: text/plain\r\n\r\nInhalt\r\n--{boundary}--\r\n"
    );
    let res = reqwest::Client::new()
        .post(app.url(&format!("{path}/files")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().as_u16() == 400);
    let mut attempt = bote::db::files::total_bytes(&app.db, link["id"].as_str().unwrap())
        .await
        .unwrap();
    if attempt == 0 {
        // The multipart parser refused the header outright: the name never got in. Send it the
        // way a browser would (the name percent-encoded in filename*).
        let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename*=UTF-8''{encoded}\r\n\
             Content-Type: text/plain\r\n\r\nInhalt\r\n--{boundary}--\r\n"
        );
        let res = reqwest::Client::new()
            .post(app.url(&format!("{path}/files")))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        attempt = 1;
    }
    assert!(attempt > 0);
    let mails = wait_for_mail(&owner, 1).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    let headers = &m[..m.find("\r\n\r\n").or_else(|| m.find("\n\n")).unwrap()];
    assert!(
        !headers.lines().any(|l| l.starts_with("Bcc:")),
        "no header added: {headers}"
    );
    assert!(!headers.contains("gekapert"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(mails_to(&evil).is_empty(), "nobody else got it");
}
