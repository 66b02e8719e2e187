use bote::domain::role::Role;

use crate::helpers::{new_client, spawn_app};

#[tokio::test]
async fn language_follows_accept_language() {
    let app = spawn_app().await;
    let en = new_client()
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Sign in"));
    let de = new_client()
        .get(app.url("/login"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(de.contains("<html lang=\"de\">"));
    assert!(de.contains("Anmelden"));
}

#[tokio::test]
async fn language_switch_is_remembered() {
    let app = spawn_app().await;
    let res = app
        .post_form("/lang", &[("lang", "en"), ("next", "/login?x=1")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/login?x=1");
    // The cookie now wins over the browser's German preference.
    let html = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    // Error pages follow the choice too.
    let html = app.get("/missing").await.text().await.unwrap();
    assert!(html.contains("This page does not exist."));
}

#[tokio::test]
async fn signed_in_staff_can_work_in_both_languages() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", Role::Staff).await;
    let de = app.get("/").await.text().await.unwrap();
    assert!(de.contains("Übersicht") && de.contains("Abmelden"));
    app.post_form("/lang", &[("lang", "en"), ("next", "/")])
        .await;
    let en = app.get("/").await.text().await.unwrap();
    assert!(en.contains("Overview") && en.contains("Sign out"));
    // The choice is stored on the account, too.
    let lang: Option<String> = sqlx::query_scalar("SELECT language FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("en"));
}

#[tokio::test]
async fn unknown_language_is_a_clear_error() {
    let app = spawn_app().await;
    let res = app.post_form("/lang", &[("lang", "xx")]).await;
    assert_eq!(res.status().as_u16(), 400);
}
