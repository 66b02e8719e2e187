//! Accounts: invitations and password resets by mail (real SMTP sink), the admin's user list
//! (roles, disabling, links handed over), and who may do any of it.

use std::time::Duration;

use crate::mailbox::{mails_to, smtp_options, subject_of, unique, wait_for_mail};

use bote::domain::role::Role;
use serde_json::json;

use crate::helpers::{extract_csrf, new_client, spawn_app_with, TestApp, PASSWORD};

/// The one-time link in an account mail.
fn account_link(mail: &str) -> String {
    let flat = mail.replace("=\r\n", "").replace("=\n", "");
    let start = flat.find("/password/set/").expect("mail carries the link") + 14;
    flat[start..start + 43].to_string()
}

/// A fresh browser that opens a one-time link and posts the password form.
async fn set_password(app: &TestApp, token: &str, pw: &str, confirm: &str) -> reqwest::Response {
    let browser = new_client();
    let page = browser
        .get(app.url(&format!("/password/set/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200, "the link opens its page");
    let csrf = extract_csrf(&page.text().await.unwrap()).unwrap();
    browser
        .post(app.url(&format!("/password/set/{token}")))
        .headers(app.origin_header())
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", pw),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

/// A sign-in attempt from a fresh browser.
async fn login_status(app: &TestApp, email: &str, pw: &str) -> u16 {
    app.another_browser()
        .login(email, pw)
        .await
        .status()
        .as_u16()
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invited_colleague_sets_a_password_once_and_signs_in() {
    let app = spawn_app_with(smtp_options()).await;
    app.signed_in(&unique("admin"), Role::Admin).await;
    let colleague = unique("neu");
    let res = app
        .post_form(
            "/admin/users/invite",
            &[
                ("email", &colleague),
                ("name", "Neue <Kollegin>"),
                ("role", "staff"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let list = app.get("/admin/users").await.text().await.unwrap();
    assert!(
        list.contains("Neue &#60;Kollegin&#62;") && !list.contains("<Kollegin>"),
        "names are escaped"
    );
    assert!(list.contains(&colleague));

    let mails = wait_for_mail(&colleague, 1).await;
    assert_eq!(mails.len(), 1, "one invitation");
    assert_eq!(
        subject_of(&mails[0]),
        "Your account for the file exchange of Default"
    );
    let flat = mails[0].replace("=\r\n", "").replace("=\n", "");
    assert!(flat.contains(&format!("{}password/set/", app.url("/"))));
    let token = account_link(&mails[0]);
    // Before the password is set, the account cannot sign in.
    assert_eq!(login_status(&app, &colleague, PASSWORD).await, 401);

    // Weak passwords are refused and do not spend the link.
    for (pw, confirm) in [
        ("short", "short"),
        ("Passwort2024!", "Passwort2024!"),
        ("123456789012", "123456789012"),
        ("a long enough passphrase", "another passphrase"),
    ] {
        let res = set_password(&app, &token, pw, confirm).await;
        assert_eq!(res.status().as_u16(), 400, "{pw} is refused");
    }
    let res = set_password(
        &app,
        &token,
        "Sonnenblumen am Rathaus 7",
        "Sonnenblumen am Rathaus 7",
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        login_status(&app, &colleague, "Sonnenblumen am Rathaus 7").await,
        303
    );

    // The link is spent: it answers like an unknown one.
    let again = new_client()
        .get(app.url(&format!("/password/set/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("user.invited".into(), "success".into())));
    assert!(actions.contains(&("password.set".into(), "success".into())));
    assert!(actions.contains(&("password.link_refused".into(), "refused".into())));
    // The password itself is nowhere in the record or the outbox.
    let leaked: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM audit_events WHERE details LIKE '%Sonnenblumen%')
              + (SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%Sonnenblumen%')",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn a_reset_answers_the_same_for_unknown_addresses_and_ends_old_sessions() {
    let app = spawn_app_with(smtp_options()).await;
    let email = unique("vergessen");
    app.signed_in(&email, Role::Staff).await;
    assert_eq!(app.get("/links").await.status().as_u16(), 200);

    let ask = |address: String| {
        let app = &app;
        async move {
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
                .form(&[("csrf_token", csrf.as_str()), ("email", address.as_str())])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap().replace(&csrf, "");
            (status, body)
        }
    };
    let nobody = unique("niemand");
    let (s1, known) = ask(email.clone()).await;
    let (s2, unknown) = ask(nobody.clone()).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(
        known, unknown,
        "the answer does not tell whether an account exists"
    );
    let (s3, _) = ask("not an address\r\nBcc: x@evil.example".into()).await;
    assert_eq!(s3, 400);

    let mails = wait_for_mail(&email, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        subject_of(&mails[0]),
        "Neues Passwort für den Dateiaustausch",
        "the tenant's language"
    );
    // A second request moments later sends no second mail.
    ask(email.clone()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_to(&email).len(), 1);
    assert!(mails_to(&nobody).is_empty());

    let token = account_link(&mails[0]);
    let res = set_password(
        &app,
        &token,
        "Neuer Satz als Passwort",
        "Neuer Satz als Passwort",
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    // The session opened before the reset is gone; the old password no longer works.
    let res = app.get("/links").await;
    assert_eq!(res.status().as_u16(), 303, "sent to the login page");
    assert_eq!(login_status(&app, &email, PASSWORD).await, 401);
    assert_eq!(
        login_status(&app, &email, "Neuer Satz als Passwort").await,
        303
    );

    let outcomes: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, outcome, reason FROM audit_events WHERE action = 'password.reset_requested'
         ORDER BY occurred_at, seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .any(|(_, o, r)| o == "refused" && r.as_deref() == Some("no such account")));
    assert!(outcomes
        .iter()
        .any(|(_, o, r)| o == "refused" && r.as_deref() == Some("a link was sent moments ago")));
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app_with(smtp_options()).await;
    let admin = unique("admin");
    app.signed_in(&admin, Role::Admin).await;
    let email = unique("staff");
    let user = app.create_user(&email, Role::Staff).await;
    let res = app
        .post_form(&format!("/admin/users/{}/password-link", user.id), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let mails = wait_for_mail(&email, 1).await;
    let token = account_link(&mails[0]);
    sqlx::query("UPDATE account_tokens SET expires_at = 1")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = new_client()
        .get(app.url(&format!("/password/set/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        login_status(&app, &email, PASSWORD).await,
        303,
        "password unchanged"
    );
}

#[tokio::test]
async fn disabling_ends_an_open_session_and_a_token_at_the_next_request() {
    let app = spawn_app_with(smtp_options()).await;
    app.signed_in(&unique("admin"), Role::Admin).await;
    let email = unique("geht");
    let browser = crate::helpers::spawn_client_signed_in(&app, &email, Role::Staff).await;
    let user_id = user_id(&app, &email).await;
    let user = bote::db::users::by_id(&app.db, &user_id)
        .await
        .unwrap()
        .unwrap();
    let token = bote::auth::api_token::issue(&app.db, &user, "t")
        .await
        .unwrap();
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status().as_u16(),
        200
    );
    assert_eq!(
        browser
            .get(app.url("/links"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    let res = app
        .post_form(&format!("/admin/users/{user_id}/disable"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status().as_u16(),
        401
    );
    assert_eq!(
        browser
            .get(app.url("/links"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    assert_eq!(login_status(&app, &email, PASSWORD).await, 401);

    let res = app
        .post_form(&format!("/admin/users/{user_id}/enable"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(login_status(&app, &email, PASSWORD).await, 303);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("user.disabled".into(), "success".into())));
    assert!(actions.contains(&("user.enabled".into(), "success".into())));
}

#[tokio::test]
async fn a_role_change_applies_at_once_and_an_admin_cannot_lock_themselves_out() {
    let app = spawn_app_with(smtp_options()).await;
    let admin = app.signed_in(&unique("admin"), Role::Admin).await;
    let (clerk, token) = app.api_user(&unique("clerk"), Role::Staff).await;
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "A"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let res = app
        .post_form(
            &format!("/admin/users/{}/role", clerk.id),
            &[("role", "auditor")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "B"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 403, "an auditor creates no links");

    for (path, fields) in [
        (
            format!("/admin/users/{}/role", admin.id),
            vec![("role", "staff")],
        ),
        (format!("/admin/users/{}/disable", admin.id), vec![]),
    ] {
        let res = app.post_form(&path, &fields).await;
        assert_eq!(res.status().as_u16(), 409, "{path}");
    }
    let res = app
        .post_form(
            &format!("/admin/users/{}/role", clerk.id),
            &[("role", "operator")],
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        400,
        "a tenant admin makes no operators"
    );
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(&admin.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
    let changed: Vec<(String,)> =
        sqlx::query_as("SELECT details FROM audit_events WHERE action = 'user.role_changed'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(changed.len(), 1);
    assert!(
        changed[0].0.contains("\"from\":\"staff\"") && changed[0].0.contains("\"to\":\"auditor\"")
    );
}

#[tokio::test]
async fn links_of_a_departing_colleague_move_to_another_with_their_history() {
    let app = spawn_app_with(smtp_options()).await;
    app.signed_in(&unique("admin"), Role::Admin).await;
    let (leaving, token) = app.api_user(&unique("geht"), Role::Staff).await;
    let stays = app.create_user(&unique("bleibt"), Role::Staff).await;
    let auditor = app.create_user(&unique("pruef"), Role::Auditor).await;
    let a = app
        .create_link(&token, json!({"kind": "download", "title": "A"}))
        .await;
    app.create_link(&token, json!({"kind": "upload", "title": "B"}))
        .await;

    let res = app
        .post_form(
            &format!("/admin/users/{}/transfer", leaving.id),
            &[("to", &auditor.id)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409, "an auditor cannot own links");
    let res = app
        .post_form(
            &format!("/admin/users/{}/transfer", leaving.id),
            &[("to", &stays.id)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let owners: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT owner_id FROM links")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(owners, vec![(stays.id.clone(),)]);
    let page = app
        .get(&format!("/links/{}", a["id"].as_str().unwrap()))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("link.owner_changed"),
        "the link's history shows it"
    );
}

#[tokio::test]
async fn only_a_tenant_admin_reaches_the_user_list_and_another_tenant_ids_do_not_exist() {
    let app = spawn_app_with(smtp_options()).await;
    let other_tenant = bote::db::tenants::create(
        &app.db,
        &bote::domain::slug::TenantSlug::parse("nachbarort").unwrap(),
        "Nachbarort",
        "de",
    )
    .await
    .unwrap()
    .unwrap();
    let foreign_email = unique("fremd");
    let hash = bote::auth::password::hash(PASSWORD.into()).await.unwrap();
    let foreign = bote::db::users::create(
        &app.db,
        bote::db::users::NewUser {
            tenant_id: Some(&other_tenant.id),
            email: &bote::domain::email::EmailAddress::parse(&foreign_email).unwrap(),
            display_name: "Fremd",
            role: Role::Staff,
            password_hash: Some(&hash),
        },
    )
    .await
    .unwrap()
    .unwrap();

    for role in [Role::Staff, Role::Auditor] {
        let browser = crate::helpers::spawn_client_signed_in(&app, &unique("x"), role).await;
        let res = browser.get(app.url("/admin/users")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{role}");
    }
    app.signed_in(&unique("admin"), Role::Admin).await;
    assert_eq!(app.get("/admin/users").await.status().as_u16(), 200);
    assert_eq!(
        app.get("/admin/mail").await.status().as_u16(),
        200,
        "the outbox page"
    );
    let list = app.get("/admin/users").await.text().await.unwrap();
    assert!(!list.contains(&foreign_email), "no other tenant's accounts");
    for path in ["role", "disable", "enable", "password-link", "transfer"] {
        let res = app
            .post_form(
                &format!("/admin/users/{}/{path}", foreign.id),
                &[("role", "auditor"), ("to", &foreign.id)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
    let after = bote::db::users::by_id(&app.db, &foreign.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.role.as_str(), after.disabled), ("staff", 0));
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(sent, 0);
}
