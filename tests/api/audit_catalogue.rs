//! Every action in the audit catalogue (docs/audit-events.md) leaves a record: one walk through
//! each documented flow against the real application (pages, API, public links, background jobs
//! and the command line, with the real scanner and SMTP sink), then every documented action must
//! be in `audit_events`, no undocumented one may be, and every chain must still verify.
//!
//! The catalogue is read at test time: an action documented without a flow here fails the test.

use std::collections::BTreeSet;
use std::time::Duration;

use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{
    bote_bin, eicar, extract_csrf, new_client, path_of, spawn_app_with, TestApp, TestOptions,
    PASSWORD,
};

/// The actions the catalogue documents: the backticked names in the first column of its table
/// (a row may name several, like `user.disabled`, `user.enabled`).
fn catalogue() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit-events.md");
    let text = std::fs::read_to_string(path).expect("docs/audit-events.md");
    let mut actions = BTreeSet::new();
    for line in text.lines() {
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let first = row.split('|').next().unwrap_or_default();
        // Odd pieces between backticks are the names.
        for name in first.split('`').skip(1).step_by(2) {
            actions.insert(name.trim().to_string());
        }
    }
    actions
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@stadt.example", uuid::Uuid::new_v4().simple())
}

fn smtp_sink() -> String {
    std::env::var("BOTE_TEST_SMTP_URL").expect("run through scripts/test (BOTE_TEST_SMTP_URL)")
}

async fn count(app: &TestApp, action: &str, outcome: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1 AND outcome = $2")
        .bind(action)
        .bind(outcome)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Waits for a record written apart from the request (when a body ends, by a job, after the
/// answer of a reset request).
async fn wait_for(app: &TestApp, action: &str, outcome: &str) {
    for _ in 0..300 {
        if count(app, action, outcome).await > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {action} ({outcome}) record after 30 s");
}

/// Waits for a transfer by staff (actor user) to be recorded.
async fn wait_for_staff(app: &TestApp, action: &str) {
    for _ in 0..300 {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND actor_kind = 'user'",
        )
        .bind(action)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if n > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {action} record by staff after 30 s");
}

async fn scalar(app: &TestApp, sql: &str, bind: &str) -> String {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql} ({bind}): {e}"))
}

async fn user_id(app: &TestApp, email: &str) -> String {
    scalar(app, "SELECT id FROM users WHERE email = $1", email).await
}

async fn tenant_id(app: &TestApp, slug: &str) -> String {
    scalar(app, "SELECT id FROM tenants WHERE slug = $1", slug).await
}

fn status(res: &reqwest::Response) -> u16 {
    res.status().as_u16()
}

/// Runs the `bote` binary against this instance's database and data folder.
async fn cli(app: &TestApp, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(bote_bin());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("BOTE_")) {
        cmd.env_remove(key);
    }
    for (key, value) in app.env_for_restart() {
        if key == "BOTE_DATABASE_URL" || key == "BOTE_DATA_DIR" {
            cmd.env(key, value);
        }
    }
    cmd.args(args)
        .current_dir(app.data_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let stdin = stdin.to_string();
    let shown = format!("bote {}", args.join(" "));
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{shown}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Mails the SMTP sink received for this address.
fn mails_to(address: &str) -> Vec<String> {
    let dir = std::env::var("BOTE_TEST_MAIL_DIR").expect("BOTE_TEST_MAIL_DIR");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter(|text| {
            text.lines()
                .any(|l| l.trim() == format!("X-Envelope-To: {address}"))
        })
        .collect()
}

async fn wait_for_mail(address: &str) -> String {
    for _ in 0..150 {
        if let Some(mail) = mails_to(address).pop() {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail to {address}");
}

/// The token of the one-time link in an invitation or reset mail.
fn account_token(mail: &str) -> String {
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    let start = flat.find("/password/set/").expect("mail carries the link") + 14;
    flat[start..start + 43].to_string()
}

/// A partner's browser asks for a reset link.
async fn forgot_password(app: &TestApp, email: &str) -> u16 {
    let browser = new_client();
    let html = browser
        .get(app.url("/password/forgot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&html).unwrap();
    let res = browser
        .post(app.url("/password/forgot"))
        .headers(app.origin_header())
        .form(&[("csrf_token", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    status(&res)
}

async fn file_id(app: &TestApp, link_id: &str, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM files WHERE link_id = $1 AND name = $2")
        .bind(link_id)
        .bind(name)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

fn id_of(link: &Value) -> String {
    link["id"].as_str().unwrap().to_string()
}

fn public_path(link: &Value) -> String {
    path_of(link["url"].as_str().unwrap())
}

/// A partner's upload as a script sends it (no cookies).
async fn script_upload(app: &TestApp, path: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let form = files.iter().fold(Form::new(), |f, (name, data)| {
        f.part(
            "files",
            Part::bytes(data.clone()).file_name(name.to_string()),
        )
    });
    new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The flows, in the order the walk takes them

/// First instance: the mail relay is down (one attempt, then a mail is given up) and sessions
/// end after two idle seconds.
async fn start_with_the_relay_down() -> TestApp {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spawn_app_with(
        TestOptions::default()
            .set(
                "BOTE_SMTP_URL",
                &format!("smtp://127.0.0.1:{closed}?tls=none"),
            )
            .set("BOTE_MAIL_MAX_ATTEMPTS", "1")
            .set("BOTE_SESSION_IDLE_TIMEOUT", "2s")
            .set("BOTE_LOGIN_MAX_FAILURES", "3")
            .set("BOTE_MAIL_FROM", "bote@stadt.example"),
    )
    .await
}

/// `session.expired`: a request after the idle limit.
async fn a_session_expires(app: &TestApp) {
    let browser = app.another_browser();
    browser.signed_in(&unique("kurz"), Role::Staff).await;
    assert_eq!(status(&browser.get("/").await), 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(status(&browser.get("/").await), 303, "idle too long");
    wait_for(app, "session.expired", "success").await;
}

/// `password.reset_requested`: a colleague asks for a reset link; the mail cannot be delivered
/// and is given up (it is sent again by an admin below). Returns the colleague's address.
async fn a_reset_mail_is_given_up(app: &TestApp) -> String {
    let email = unique("vergessen");
    app.create_user(&email, Role::Staff).await;
    assert_eq!(forgot_password(app, &email).await, 200);
    assert_eq!(forgot_password(app, &unique("niemand")).await, 200);
    wait_for(app, "password.reset_requested", "success").await;
    wait_for(app, "password.reset_requested", "refused").await;
    for _ in 0..150 {
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM outbox WHERE recipient = $1")
                .bind(&email)
                .fetch_optional(&app.db.pool)
                .await
                .unwrap();
        if state.as_deref() == Some("failed") {
            return email;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the reset mail was not given up");
}

/// Bote restarts with the relay (the SMTP sink) back and ordinary session limits.
async fn restart_with_the_relay_back(app: TestApp) -> TestApp {
    let mut env = app.env_for_restart();
    env.retain(|(k, _)| {
        !matches!(
            k.as_str(),
            "BOTE_SMTP_URL" | "BOTE_MAIL_MAX_ATTEMPTS" | "BOTE_SESSION_IDLE_TIMEOUT"
        )
    });
    env.push(("BOTE_SMTP_URL".into(), smtp_sink()));
    app.restart_with(env).await
}

/// `user.created` and `token.created`: `bote user add` and `bote token create` make the clerk
/// who owns the links below. Returns the clerk's address and API token.
async fn the_command_line_adds_a_clerk_with_a_token(app: &TestApp) -> (String, String) {
    let clerk = unique("clerk");
    cli(
        app,
        &[
            "user",
            "add",
            "--email",
            &clerk,
            "--role",
            "staff",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await;
    let out = cli(
        app,
        &[
            "token",
            "create",
            "--email",
            &clerk,
            "--name",
            "Fachverfahren",
        ],
        "",
    )
    .await;
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("bote_"), "{out}");
    assert_eq!(status(&app.api_get(&token, "/api/v1/me").await), 200);
    (clerk, token)
}

/// `login.success`, `login.failure`, `login.lockout`, `logout`: the admin signs in (this app's
/// own browser); wrong passwords fail and then lock an account; a colleague signs out.
async fn logins_and_logout(app: &TestApp) {
    app.signed_in(&unique("admin"), Role::Admin).await;
    let target = unique("ziel");
    app.create_user(&target, Role::Staff).await;
    let guesser = app.another_browser();
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(status(&guesser.login(&target, &format!("guess {i}")).await));
    }
    assert_eq!(statuses, [401, 401, 429], "the third failure locks");
    let leaving = app.another_browser();
    leaving.signed_in(&unique("feierabend"), Role::Staff).await;
    assert_eq!(status(&leaving.post_form("/logout", &[]).await), 303);
}

/// `token.used`: an API call with a token nobody issued.
async fn an_unknown_token_is_refused(app: &TestApp) {
    let res = app
        .api_get(
            "bote_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/api/v1/me",
        )
        .await;
    assert_eq!(status(&res), 401);
}

/// `token.created` by an account and `token.revoked`: the *API tokens* page.
async fn a_token_is_made_and_revoked_on_the_page(staff: &TestApp) {
    let res = staff
        .post_form("/account/tokens", &[("name", "Auf der Seite")])
        .await;
    assert_eq!(status(&res), 200);
    let id: String = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'Auf der Seite'")
        .fetch_one(&staff.db.pool)
        .await
        .unwrap();
    let res = staff
        .post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(status(&res), 303);
}

/// `user.invited`, `user.role_changed`, `user.disabled`, `user.enabled`,
/// `user.password_link_sent`, `user.links_transferred`, `link.owner_changed`: the admin's user
/// list.
async fn the_admin_manages_accounts(app: &TestApp, clerk: &str) {
    let colleague = unique("neu");
    let res = app
        .post_form(
            "/admin/users/invite",
            &[
                ("email", &colleague),
                ("name", "Neue Kollegin"),
                ("role", "staff"),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(status(&res), 303);
    let id = user_id(app, &colleague).await;
    for (path, fields) in [
        ("role", vec![("role", "auditor")]),
        ("disable", vec![]),
        ("enable", vec![]),
        ("password-link", vec![]),
    ] {
        let res = app
            .post_form(&format!("/admin/users/{id}/{path}"), &fields)
            .await;
        assert_eq!(status(&res), 303, "{path}");
    }

    let (leaving, token) = app.api_user(&unique("geht"), Role::Staff).await;
    app.create_link(&token, json!({"kind": "download", "title": "Übergabe"}))
        .await;
    let to = user_id(app, clerk).await;
    let res = app
        .post_form(
            &format!("/admin/users/{}/transfer", leaving.id),
            &[("to", &to)],
        )
        .await;
    assert_eq!(status(&res), 303);
}

/// `mail.retried`, `password.set`, `password.link_refused`: the admin sends the given-up reset
/// mail again; it arrives, the colleague sets a password with its link, and the spent link is
/// refused afterwards.
async fn the_given_up_mail_is_sent_again_and_used(app: &TestApp, email: &str) {
    let mail_id = scalar(
        app,
        "SELECT id FROM outbox WHERE recipient = $1 AND state = 'failed'",
        email,
    )
    .await;
    let page = app.get("/admin/mail").await.text().await.unwrap();
    assert!(page.contains(&mail_id), "the outbox page lists it");
    let res = app
        .post_form(&format!("/admin/mail/{mail_id}/retry"), &[])
        .await;
    assert_eq!(status(&res), 303);
    let token = account_token(&wait_for_mail(email).await);

    let browser = new_client();
    let page = browser
        .get(app.url(&format!("/password/set/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&page), 200);
    let csrf = extract_csrf(&page.text().await.unwrap()).unwrap();
    let new_password = "Sonnenblumen am Rathaus 7";
    let res = browser
        .post(app.url(&format!("/password/set/{token}")))
        .headers(app.origin_header())
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", new_password),
            ("confirm", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 200);
    let again = new_client()
        .get(app.url(&format!("/password/set/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&again), 404, "spent");
}

/// `policy.changed` (page): the admin saves the tenant's rules with a longer maximum expiry.
async fn the_admin_changes_the_rules(app: &TestApp) {
    let res = app
        .post_form(
            "/admin/policy",
            &[
                ("link_default_days", "7"),
                ("link_max_days", "60"),
                ("link_password_min_len", "8"),
                ("max_file_size", ""),
                ("max_link_size", ""),
                ("file_retention_days", "0"),
                ("unscannable", "hold"),
                ("scanner_down", "accept"),
                ("audit_retention_days", "0"),
                ("client_addresses", "full"),
                ("staff_upload_links", "1"),
            ],
        )
        .await;
    assert_eq!(status(&res), 303);
}

/// `tenant.created`, `tenant.suspended`, `tenant.resumed`, `tenant.quota_changed`: the operator's
/// pages. A second new tenant, `archiv`, is used for audit retention at the end.
async fn the_operator_manages_tenants(app: &TestApp) {
    let op = app.another_browser();
    op.signed_in(&unique("betrieb"), Role::Operator).await;
    for (slug, name) in [("nachbarort", "Nachbarort"), ("archiv", "Archiv")] {
        let res = op
            .post_form(
                "/operator/tenants",
                &[("slug", slug), ("name", name), ("language", "de")],
            )
            .await;
        assert_eq!(status(&res), 303, "{slug}");
    }
    let id = tenant_id(app, "nachbarort").await;
    for (path, fields) in [
        ("suspend", vec![]),
        ("resume", vec![]),
        ("quota", vec![("quota", "1G")]),
    ] {
        let res = op
            .post_form(&format!("/operator/tenants/{id}/{path}"), &fields)
            .await;
        assert_eq!(status(&res), 303, "{path}");
    }
}

/// `link.created`, `file.uploaded` (staff), `file.scanned` (clean and infected), `link.mailed`,
/// `link.changed`, `link.password_changed`, `link.opened`, `link.unlock` (wrong and right),
/// `file.downloaded`, `file.head`, `file.range_refused`, `zip.downloaded`, `file.deleted`
/// (staff), `link.revoked`, `link.opened` refused: a download link from the staff pages to a
/// partner.
async fn a_download_link_from_the_pages_to_a_partner(app: &TestApp, staff: &TestApp) {
    let recipient = unique("partner");
    let form = Form::new()
        .text("csrf_token", staff.csrf().await)
        .text("title", "Baupläne Rathaus")
        .text("message", "Guten Tag, anbei die Pläne.")
        .text("expires_days", "7")
        .text("password_mode", "typed")
        .text("password", "erstes-Passwort-1")
        .text("recipients", recipient.clone())
        .part(
            "files",
            Part::bytes(b"Grundriss".to_vec()).file_name("plan.pdf"),
        )
        .part("files", Part::bytes(eicar()).file_name("virus.com"));
    let res = staff
        .client
        .post(staff.url("/links"))
        .headers(staff.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 200);
    let html = res.text().await.unwrap();
    let start = html.find("id=\"link-url\" readonly value=\"").unwrap() + 30;
    let path = path_of(&html[start..start + html[start..].find('"').unwrap()]);
    let id = scalar(
        app,
        "SELECT id FROM links WHERE title = $1",
        "Baupläne Rathaus",
    )
    .await;
    wait_for_mail(&recipient).await;

    let res = staff
        .post_form(
            &format!("/links/{id}/edit"),
            &[
                ("title", "Baupläne Rathaus, Stand Mai"),
                ("message", "Guten Tag, anbei die Pläne."),
                ("expires_days", "7"),
                ("password_mode", "typed"),
                ("password", "zweites-Passwort-2"),
            ],
        )
        .await;
    assert_eq!(status(&res), 303);

    let partner = new_client();
    assert_eq!(
        status(&partner.get(app.url(&path)).send().await.unwrap()),
        200
    );
    assert_eq!(
        status(&app.unlock(&partner, &path, "erstes-Passwort-1").await),
        401,
        "the old password"
    );
    assert_eq!(
        status(&app.unlock(&partner, &path, "zweites-Passwort-2").await),
        303
    );
    let plan = file_id(app, &id, "plan.pdf").await;
    let file_url = app.url(&format!("{path}/files/{plan}"));
    let res = partner.get(&file_url).send().await.unwrap();
    assert_eq!(status(&res), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"Grundriss");
    assert_eq!(status(&partner.head(&file_url).send().await.unwrap()), 200);
    let res = partner
        .get(&file_url)
        .header("range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 416);
    let res = partner
        .get(app.url(&format!("{path}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 200);
    res.bytes().await.unwrap();
    wait_for(app, "file.downloaded", "success").await;
    wait_for(app, "zip.downloaded", "success").await;

    let res = staff
        .post_form(&format!("/links/{id}/files/{plan}/delete"), &[])
        .await;
    assert_eq!(status(&res), 303);
    assert_eq!(
        status(&staff.post_form(&format!("/links/{id}/revoke"), &[]).await),
        303
    );
    assert_eq!(
        status(&new_client().get(app.url(&path)).send().await.unwrap()),
        404,
        "revoked"
    );
}

/// `link.locked`: ten wrong passwords at once lock a link (its owner is mailed).
async fn wrong_passwords_lock_a_link(app: &TestApp, token: &str) {
    let link = app
        .create_link(
            token,
            json!({"kind": "download", "title": "Personalakte", "password": "richtiges-Passwort"}),
        )
        .await;
    let path = public_path(&link);
    let guesses = (0..10).map(|i| {
        let path = path.clone();
        async move {
            status(
                &app.unlock(&new_client(), &path, &format!("geraten-{i}"))
                    .await,
            )
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(statuses.contains(&429), "{statuses:?}");
    wait_for(app, "link.locked", "refused").await;
}

/// `file.released`, `file.deleted` (admin), `file.downloaded` aborted: two files too large for
/// the scanner are held; the admin releases one and deletes the other; a partner starts the
/// released one and stops after the first bytes. A small clean file stays for the rescan.
async fn held_files_are_released_or_deleted(app: &TestApp, token: &str) {
    let scanner_max: usize = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .expect("run through scripts/test")
        .parse()
        .unwrap();
    let link = app
        .create_link(token, json!({"kind": "download", "title": "Vermessung"}))
        .await;
    let id = id_of(&link);
    // Larger than any socket buffers between here and the server, so stopping early is seen.
    let big = app
        .upload(token, &id, "vermessung.bin", vec![3u8; 3 * scanner_max])
        .await;
    let other = app
        .upload(token, &id, "zweitschrift.bin", vec![4u8; scanner_max + 10])
        .await;
    assert_eq!(big["scan"], "unscannable", "{big}");
    assert_eq!(other["scan"], "unscannable", "{other}");
    let clean = app
        .upload(token, &id, "anschreiben.txt", b"Sehr geehrte".to_vec())
        .await;
    assert_eq!(clean["scan"], "clean", "{clean}");

    let big_id = big["id"].as_str().unwrap();
    let res = app
        .post_form(
            &format!("/admin/files/{big_id}/release"),
            &[("reason", "Vermessungsdaten, von Hand geprüft")],
        )
        .await;
    assert_eq!(status(&res), 303);
    let res = app
        .post_form(
            &format!("/admin/files/{}/delete", other["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(status(&res), 303);

    let mut res = new_client()
        .get(app.url(&format!("{}/files/{big_id}", public_path(&link))))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 200);
    assert!(res.chunk().await.unwrap().is_some(), "the first bytes");
    drop(res);
    wait_for(app, "file.downloaded", "failure").await;
}

/// `link.opened`, `file.uploaded` (partner), `file.scanned`, `submission.received`,
/// `receipt.viewed` (own and stranger), `file.downloaded` and `zip.downloaded` by staff,
/// `link.closed` (staff and single use), `upload.refused`, `link.reopened`: an upload link.
async fn an_upload_link_receives_files(app: &TestApp, staff: &TestApp, token: &str) {
    let link = app
        .create_link(
            token,
            json!({"kind": "upload", "title": "Bauantrag Müller"}),
        )
        .await;
    let (id, path) = (id_of(&link), public_path(&link));
    let partner = new_client();
    let page = partner
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = Form::new()
        .text("csrf_token", extract_csrf(&page).unwrap())
        .text("sender_name", "Anna Architektin")
        .text("sender_email", "anna@example.org")
        .part(
            "files",
            Part::bytes(b"Antrag".to_vec()).file_name("antrag.txt"),
        );
    let res = partner
        .post(app.url(&format!("{path}/files")))
        .headers(app.origin_header())
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&res), 303);
    let receipt = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        status(&partner.get(app.url(&receipt)).send().await.unwrap()),
        200
    );
    assert_eq!(
        status(&new_client().get(app.url(&receipt)).send().await.unwrap()),
        404,
        "not without the sender's cookie"
    );

    let received = file_id(app, &id, "antrag.txt").await;
    for what in [format!("files/{received}"), "zip".to_string()] {
        let res = staff.get(&format!("/links/{id}/{what}")).await;
        assert_eq!(status(&res), 200, "{what}");
        res.bytes().await.unwrap();
    }

    assert_eq!(
        status(&staff.post_form(&format!("/links/{id}/close"), &[]).await),
        303
    );
    let res = script_upload(app, &path, &[("spaet.txt", b"zu spaet".to_vec())]).await;
    assert_eq!(status(&res), 404, "closed");
    let res = staff
        .post_form(&format!("/links/{id}/reopen"), &[("days", "7")])
        .await;
    assert_eq!(status(&res), 303);

    let once = app
        .create_link(
            token,
            json!({"kind": "upload", "title": "Einmalig", "single_use": true}),
        )
        .await;
    let res = script_upload(
        app,
        &public_path(&once),
        &[
            ("nachweis.txt", b"Nachweis".to_vec()),
            ("virus.com", eicar()),
        ],
    )
    .await;
    assert_eq!(status(&res), 201);
    wait_for_staff(app, "file.downloaded").await;
    wait_for_staff(app, "zip.downloaded").await;
}

/// `audit.exported`, `audit.verified`: the admin on the audit page.
async fn the_audit_page_exports_and_verifies(app: &TestApp) {
    let res = app.get("/audit/export?format=csv").await;
    assert_eq!(status(&res), 200);
    res.bytes().await.unwrap();
    let res = app.post_form("/audit/verify", &[]).await;
    assert_eq!(status(&res), 200);
    assert!(res.text().await.unwrap().contains("notice ok"), "intact");
}

/// `policy.changed` (command line): the `archiv` tenant keeps its audit records one day.
async fn the_command_line_sets_a_retention(app: &TestApp) {
    cli(
        app,
        &[
            "tenant",
            "policy",
            "--slug",
            "archiv",
            "--audit-retention-days",
            "1",
        ],
        "",
    )
    .await;
}

/// `file.rescanned`, `link.purged`: Bote restarts with a periodic rescan (every second); its jobs
/// run once at start: the rescan scans the clean files again, the purge removes the revoked
/// link's files.
async fn restart_with_a_rescan(app: TestApp) -> TestApp {
    // Every file's last scan is over the interval old when the new instance starts.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut env = app.env_for_restart();
    env.push(("BOTE_RESCAN_INTERVAL".into(), "1s".into()));
    let app = app.restart_with(env).await;
    wait_for(&app, "file.rescanned", "success").await;
    wait_for(&app, "link.purged", "success").await;
    app
}

/// `audit.retention`: the retention job as it runs two days from now removes the `archiv`
/// tenant's records (it keeps them one day) through a checkpoint.
async fn audit_retention_runs(app: &TestApp) {
    let archiv = tenant_id(app, "archiv").await;
    let two_days = 2 * 86_400_000;
    let removed =
        bote::audit::retention::run_once(&app.db, bote::domain::time::now_ms() + two_days)
            .await
            .unwrap();
    assert_eq!(
        removed.iter().map(|r| r.chain.as_str()).collect::<Vec<_>>(),
        [archiv.as_str()],
        "only the tenant that keeps its record for a limited time"
    );
}

#[tokio::test]
async fn every_action_in_the_catalogue_leaves_a_record() {
    let documented = catalogue();
    assert!(
        documented.len() > 40 && documented.contains("login.success"),
        "the catalogue table was not read: {documented:?}"
    );

    let app = start_with_the_relay_down().await;
    a_session_expires(&app).await;
    let forgetful = a_reset_mail_is_given_up(&app).await;

    let app = restart_with_the_relay_back(app).await;
    let (clerk, token) = the_command_line_adds_a_clerk_with_a_token(&app).await;
    logins_and_logout(&app).await;
    an_unknown_token_is_refused(&app).await;
    the_admin_manages_accounts(&app, &clerk).await;
    the_given_up_mail_is_sent_again_and_used(&app, &forgetful).await;
    the_admin_changes_the_rules(&app).await;
    the_operator_manages_tenants(&app).await;
    let staff = app.another_browser();
    assert_eq!(status(&staff.login(&clerk, PASSWORD).await), 303);
    a_token_is_made_and_revoked_on_the_page(&staff).await;
    a_download_link_from_the_pages_to_a_partner(&app, &staff).await;
    wrong_passwords_lock_a_link(&app, &token).await;
    held_files_are_released_or_deleted(&app, &token).await;
    an_upload_link_receives_files(&app, &staff, &token).await;
    the_audit_page_exports_and_verifies(&app).await;
    the_command_line_sets_a_retention(&app).await;

    let app = restart_with_a_rescan(app).await;
    audit_retention_runs(&app).await;

    let recorded: BTreeSet<String> =
        sqlx::query_scalar::<_, String>("SELECT DISTINCT action FROM audit_events")
            .fetch_all(&app.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let missing: Vec<&String> = documented.difference(&recorded).collect();
    assert!(
        missing.is_empty(),
        "documented in docs/audit-events.md but never recorded by the walk: {missing:?}"
    );
    let undocumented: Vec<&String> = recorded.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "recorded but missing in docs/audit-events.md: {undocumented:?}"
    );

    let report = bote::audit::verify::verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(
        report.chains >= 4,
        "deployment, default, nachbarort, archiv"
    );
}
