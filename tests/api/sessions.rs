use std::time::Duration;

use bote::domain::role::Role;

use crate::helpers::{new_client, spawn_app, spawn_app_with, TestOptions, PASSWORD};

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let res = app.login("anna@stadt.example", PASSWORD).await;
    let raw = session_cookie_of(&res).expect("session cookie");
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored.contains(&raw),
        "the database holds only a hash of the id"
    );

    let res = app.post_form("/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.get("/").await.status().as_u16(), 303);

    // Replaying the old cookie does not bring the session back.
    let res = new_client()
        .get(app.url("/"))
        .header("cookie", format!("bote_session={raw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert!(app
        .audit_actions()
        .await
        .contains(&("logout".into(), "success".into())));
}

fn session_cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all("set-cookie").iter().find_map(|v| {
        v.to_str()
            .ok()?
            .strip_prefix("bote_session=")
            .map(|s| s.split(';').next().unwrap_or_default().to_string())
    })
}

#[tokio::test]
async fn each_login_gets_a_new_session_id() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    let first: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let res = app.login("anna@stadt.example", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 303);
    let second: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "the earlier session of this browser ended");
    assert_ne!(first, second);
}

#[tokio::test]
async fn idle_session_expires() {
    let app = spawn_app_with(TestOptions::default().set("BOTE_SESSION_IDLE_TIMEOUT", "3s")).await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    // Activity every 1.5 s keeps the session alive beyond the idle timeout...
    for _ in 0..3 {
        assert_eq!(
            app.get("/").await.status().as_u16(),
            200,
            "activity keeps it alive"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    assert_eq!(app.get("/").await.status().as_u16(), 200);
    // ...and a pause longer than it ends the session.
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert_eq!(app.get("/").await.status().as_u16(), 303, "idle too long");
    assert!(app
        .audit_actions()
        .await
        .contains(&("session.expired".into(), "success".into())));
}

/// Every expired session a request comes back with leaves exactly one `session.expired`, also
/// when many arrive at once. (A page's extractors look the session up side by side, and actix
/// drops the others as soon as one refuses: the end used to be recorded inside the lookup that
/// got dropped, so the record was sometimes lost.)
#[tokio::test]
async fn each_expired_session_is_recorded_once_even_when_requests_race() {
    let app = spawn_app_with(TestOptions::default().set("BOTE_SESSION_IDLE_TIMEOUT", "1s")).await;
    let mut browsers = Vec::new();
    for i in 0..12 {
        let browser = app.another_browser();
        browser
            .signed_in(&format!("person{i}@stadt.example"), Role::Staff)
            .await;
        browsers.push(browser);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let statuses = futures_util::future::join_all(
        browsers
            .iter()
            .map(|b| async { b.get("/").await.status().as_u16() }),
    )
    .await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'session.expired'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    // Recorded before the answer; a moment more shows nothing comes late or twice.
    assert_eq!(count().await, 12, "one record per session at the answer");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count().await, 12, "and no second one");
}

/// A session nobody comes back to still leaves `session.expired`: the cleanup job removes it
/// and records its end (no client: no request came). A request that arrives afterwards finds
/// no session and records nothing twice; a live session is left alone.
#[tokio::test]
async fn the_cleanup_records_the_end_of_a_session_nobody_came_back_to() {
    use bote::auth::session::{end_expired, Limits};
    let app = spawn_app().await;
    let gone = app.signed_in("anna@stadt.example", Role::Staff).await;
    let last_seen: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let live = app.another_browser();
    live.signed_in("ben@stadt.example", Role::Staff).await;
    // The cleanup as it runs just over a second after Anna's last request, with a one-second
    // idle limit: Ben signed in after her (a login takes longer than a millisecond).
    let limits = Limits {
        idle: Duration::from_secs(1),
        max_age: Duration::from_secs(12 * 3600),
    };
    let ended = end_expired(&app.db, limits, last_seen + 1001)
        .await
        .unwrap();
    assert_eq!(ended, 1, "only the idle session");
    let records: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT actor_user_id, reason, client_addr FROM audit_events
         WHERE action = 'session.expired'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        records,
        [(Some(gone.id.clone()), Some("idle timeout".into()), None)]
    );
    assert_eq!(
        live.get("/").await.status().as_u16(),
        200,
        "live session kept"
    );

    assert_eq!(app.get("/").await.status().as_u16(), 303, "signed out");
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'session.expired'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(n, 1, "recorded once");
}

#[tokio::test]
async fn session_ends_at_the_absolute_limit_despite_activity() {
    let app = spawn_app_with(
        TestOptions::default()
            .set("BOTE_SESSION_IDLE_TIMEOUT", "1h")
            .set("BOTE_SESSION_MAX_AGE", "5s"),
    )
    .await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    let signed_in = std::time::Instant::now();
    while signed_in.elapsed() < Duration::from_secs(3) {
        assert_eq!(app.get("/").await.status().as_u16(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(6).saturating_sub(signed_in.elapsed())).await;
    assert_eq!(app.get("/").await.status().as_u16(), 303);
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_and_token_at_once() {
    let app = spawn_app().await;
    let user = app.signed_in("anna@stadt.example", Role::Staff).await;
    let token = bote::auth::api_token::issue(&app.db, &user, "script")
        .await
        .unwrap();
    let api = |t: String| {
        let app_url = app.url("/api/v1/me");
        async move {
            reqwest::Client::new()
                .get(app_url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(app.get("/").await.status().as_u16(), 200);
    assert_eq!(api(token.clone()).await, 200);

    bote::db::users::disable(&app.db, &user.id).await.unwrap();

    assert_eq!(app.get("/").await.status().as_u16(), 303);
    assert_eq!(api(token).await, 401);
}

#[tokio::test]
async fn garbage_session_cookie_is_treated_as_signed_out() {
    let app = spawn_app().await;
    for junk in ["x", "%%%", &"A".repeat(43), &"ü".repeat(10)] {
        let res = new_client()
            .get(app.url("/"))
            .header("cookie", format!("bote_session={junk}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{junk}");
    }
}
