use bote::domain::role::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn bearer_token_authenticates_the_api() {
    let app = spawn_app().await;
    let user = app.create_user("anna@stadt.example", Role::Staff).await;
    let token = bote::auth::api_token::issue(&app.db, &user, "script")
        .await
        .unwrap();
    assert!(token.starts_with("bote_"));

    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["email"], "anna@stadt.example");

    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(!stored.contains(&token), "only the hash is stored");
}

#[tokio::test]
async fn wrong_or_malformed_tokens_are_refused_and_recorded() {
    let app = spawn_app().await;
    for header in [
        "Bearer bote_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer nonsense",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer ",
    ] {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{header}");
    }
    let refused = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == &("token.used".to_string(), "refused".to_string()))
        .count();
    assert_eq!(refused, 4, "{:?}", app.audit_actions().await);
}

/// The token is checked before the body: a caller without a valid token learns nothing about
/// what its body got wrong, and every such call is recorded. (The body extractor used to answer
/// 400 first and actix dropped the token check, record and all.)
#[tokio::test]
async fn a_bad_token_is_refused_before_the_body_is_looked_at() {
    let app = spawn_app().await;
    let unknown = format!("bote_{}", "A".repeat(43));
    let bodies = [
        "{",
        "{}",
        r#"{"kind": "download", "title": 7}"#,
        r#"{"kind": "download", "title": "x"}"#,
    ];
    for body in bodies {
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/links"))
            .bearer_auth(&unknown)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{body}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"]["code"], "unauthorized", "{body}");
    }
    let refused: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'token.used' AND outcome = 'refused'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(refused.len(), bodies.len(), "{refused:?}");
    assert!(
        refused.iter().all(|d| d.contains("/api/v1/links")),
        "{refused:?}"
    );
    assert!(app
        .audit_actions()
        .await
        .iter()
        .all(|(a, _)| a == "token.used"));
}

#[tokio::test]
async fn session_cookie_does_not_authenticate_the_api() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    assert_eq!(app.get("/api/v1/me").await.status().as_u16(), 401);
}

#[tokio::test]
async fn staff_make_and_revoke_their_own_tokens_on_the_page() {
    let app = crate::helpers::spawn_app().await;
    app.signed_in("clerk@stadt.example", bote::domain::role::Role::Staff)
        .await;
    let res = app
        .post_form("/account/tokens", &[("name", "Scanner-Skript")])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let start = html
        .find("id=\"new-token\" type=\"text\" readonly value=\"")
        .unwrap()
        + 43;
    let token = &html[start..start + html[start..].find('"').unwrap()];
    assert!(token.starts_with("bote_"), "{token}");
    assert_eq!(
        app.api_get(token, "/api/v1/me").await.status().as_u16(),
        200
    );
    // The list never shows the token again.
    let list = app.get("/account/tokens").await.text().await.unwrap();
    assert!(list.contains("Scanner-Skript") && !list.contains(token));
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM api_tokens WHERE name = 'Scanner-Skript'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();

    // Another account cannot revoke it (its id does not exist for them).
    let other = crate::helpers::spawn_app_client_as(
        &app,
        "other@stadt.example",
        bote::domain::role::Role::Admin,
    )
    .await;
    let res = other
        .post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        app.api_get(token, "/api/v1/me").await.status().as_u16(),
        200
    );

    let res = app
        .post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.api_get(token, "/api/v1/me").await.status().as_u16(),
        401
    );
    let res = app.post_form("/account/tokens", &[("name", "")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("token.created".into(), "success".into())));
    assert!(actions.contains(&("token.revoked".into(), "success".into())));
}
