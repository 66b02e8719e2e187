use bote::domain::role::Role;

use crate::helpers::{new_client, spawn_app, spawn_app_with, TestOptions, PASSWORD};

#[tokio::test]
async fn form_without_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    app.csrf().await; // the browser has a CSRF cookie, but the form lacks the token
    let res = app
        .client
        .post(app.url("/login"))
        .headers(app.origin_header())
        .form(&[("email", "anna@stadt.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let res = app
        .client
        .post(app.url("/login"))
        .headers(app.origin_header())
        .form(&[
            ("csrf_token", "A".repeat(43).as_str()),
            ("email", "anna@stadt.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Das Formular ist abgelaufen"));
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0, "no session was created");
}

#[tokio::test]
async fn token_from_another_browser_is_refused() {
    let app = spawn_app().await;
    app.create_user("anna@stadt.example", Role::Staff).await;
    let attacker = app.csrf().await;
    let victim = new_client();
    victim.get(app.url("/login")).send().await.unwrap();
    let res = victim
        .post(app.url("/login"))
        .headers(app.origin_header())
        .form(&[
            ("csrf_token", attacker.as_str()),
            ("email", "anna@stadt.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn post_from_another_origin_is_refused() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    let token = app.csrf().await;
    let res = app
        .client
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.get("/").await.status().as_u16(), 200, "still signed in");

    let res = app
        .client
        .post(app.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn every_response_carries_the_protective_headers() {
    let app = spawn_app().await;
    for path in ["/login", "/nope", "/healthz", "/static/bote.css"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"), "{path}");
        for part in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {part}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "plain http");
    }
    assert_eq!(
        app.get("/login").await.headers()["cache-control"],
        "no-store"
    );
}

#[tokio::test]
async fn https_base_url_turns_on_hsts_and_secure_cookies() {
    let app = spawn_app_with(
        TestOptions::default().set("BOTE_BASE_URL", "https://dateien.stadt.example/"),
    )
    .await;
    let res = app.get("/login").await;
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn pages_have_no_inline_script_or_style() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", Role::Admin).await;
    for path in ["/", "/login", "/does-not-exist"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}");
        assert!(!html.contains("style=\""), "{path}");
        assert!(!html.contains("<style"), "{path}");
        assert!(
            !has_event_handler(&html),
            "{path}: no inline event handlers"
        );
    }
}

fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name_len = rest.chars().take_while(|c| c.is_ascii_lowercase()).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[tokio::test]
async fn audit_records_never_contain_passwords() {
    let app = spawn_app().await;
    let res = app.login("anna@stadt.example", "hunter2-secret").await;
    assert_eq!(res.status().as_u16(), 401);
    let rows: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_events")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(
        rows.iter().all(|d| !d.contains("hunter2")),
        "audit holds no password"
    );
}
