use std::time::{Duration, Instant};

use bote::domain::role::Role;

use crate::helpers::{slow_hash, spawn_app, spawn_app_with, TestOptions, PASSWORD};

#[tokio::test]
async fn login_with_right_password_opens_the_overview() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Admin).await;

    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("bote_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));

    let page = app.get("/").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("anna@stadt.example"));

    let actions = app.audit_actions().await;
    assert!(actions.contains(&("login.success".into(), "success".into())));
}

#[tokio::test]
async fn login_follows_a_local_next_but_never_another_site() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let res = app
        .post_form(
            "/login",
            &[
                ("email", "anna@stadt.example"),
                ("password", PASSWORD),
                ("next", "//evil.example/phish"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn overview_needs_login() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn wrong_password_is_rejected_and_recorded() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let res = app.login("anna@stadt.example", "not the password").await;
    assert_eq!(res.status().as_u16(), 401);
    let html = res.text().await.unwrap();
    assert!(html.contains("E-Mail-Adresse oder Passwort ist falsch."));
    assert_eq!(app.get("/").await.status().as_u16(), 303, "not signed in");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("login.failure".into(), "failure".into())));
}

#[tokio::test]
async fn unknown_account_looks_and_takes_the_same_as_wrong_password() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;

    let mut wrong = Duration::ZERO;
    let mut unknown = Duration::ZERO;
    let mut bodies = Vec::new();
    for i in 0..2 {
        let t = Instant::now();
        let a = app.login("anna@stadt.example", &format!("wrong {i}")).await;
        wrong += t.elapsed();
        let t = Instant::now();
        let b = app
            .login(&format!("nobody{i}@stadt.example"), "wrong")
            .await;
        unknown += t.elapsed();
        assert_eq!(a.status(), b.status());
        bodies.push((a.text().await.unwrap(), b.text().await.unwrap()));
    }
    for (a, b) in &bodies {
        let msg = |s: &str| s.contains("E-Mail-Adresse oder Passwort ist falsch.");
        assert!(msg(a) && msg(b));
    }
    // Both verify an argon2id hash; the unknown account must not be markedly faster.
    assert!(
        unknown.as_secs_f64() > wrong.as_secs_f64() * 0.5,
        "unknown {unknown:?} vs wrong {wrong:?}"
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_after_a_restart() {
    let app = spawn_app_with(TestOptions::default().set("BOTE_LOGIN_MAX_FAILURES", "3")).await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            app.login("anna@stadt.example", "wrong")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 429]);

    // The right password is refused while the lock holds.
    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.text().await.unwrap().contains("vorübergehend gesperrt"));

    let app = app.restart().await;
    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429, "the lock survives a restart");

    let actions = app.audit_actions().await;
    assert!(actions.contains(&("login.lockout".into(), "refused".into())));
}

#[tokio::test]
async fn lock_expires_after_the_lockout_period() {
    let app = spawn_app_with(
        TestOptions::default()
            .set("BOTE_LOGIN_MAX_FAILURES", "2")
            .set("BOTE_LOGIN_LOCKOUT", "2s"),
    )
    .await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    app.login("anna@stadt.example", "wrong").await;
    app.login("anna@stadt.example", "wrong").await;
    assert_eq!(
        app.login("anna@stadt.example", PASSWORD)
            .await
            .status()
            .as_u16(),
        429
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        app.login("anna@stadt.example", PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn one_address_trying_many_accounts_gets_locked() {
    let app = spawn_app_with(
        TestOptions::default()
            .set("BOTE_LOGIN_MAX_FAILURES", "50")
            .set("BOTE_LOGIN_MAX_FAILURES_PER_ADDRESS", "4"),
    )
    .await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    for i in 0..4 {
        app.login(&format!("guess{i}@stadt.example"), "x").await;
    }
    // Even a valid login from the same address is refused now.
    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429);
}

#[tokio::test]
async fn disabled_account_cannot_log_in() {
    let app = spawn_app().await;
    let user = app.create_user("anna@stadt.example", Role::Staff).await;
    bote::db::users::disable(&app.db, &user.id).await.unwrap();
    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn login_form_with_missing_fields_is_a_clear_400() {
    let app = spawn_app().await;
    let res = app.post_form("/login", &[("email", "x@y.example")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("Das Formular war unvollständig"));
}

/// A wrong password counts and is recorded even when the client resets the connection before the
/// answer (actix then drops the request's future): otherwise a guesser who hangs up after each
/// try would leave no trace in the record and no count towards the lockout.
#[tokio::test]
async fn a_failed_login_counts_even_when_the_client_hangs_up() {
    let app = spawn_app().await;
    let user = app.create_user("anna@stadt.example", Role::Staff).await;
    // The hang-up surely comes while the server checks the password.
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(slow_hash(PASSWORD))
        .bind(&user.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    app.post_form_then_hang_up(
        "/login",
        &[("email", "anna@stadt.example"), ("password", "guess")],
        // Nothing shows that the check has begun; the slow hash takes seconds, a second is
        // enough for the server to have read the request.
        tokio::time::sleep(Duration::from_secs(1)),
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let failures = loop {
        let failures: Vec<i64> = sqlx::query_scalar("SELECT failures FROM login_throttle")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        let recorded = app
            .audit_actions()
            .await
            .contains(&("login.failure".into(), "failure".into()));
        if (recorded && !failures.is_empty()) || Instant::now() > deadline {
            assert!(recorded, "the failed try is recorded");
            break failures;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        failures,
        vec![1, 1],
        "counted for the account and the address"
    );
}
