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
