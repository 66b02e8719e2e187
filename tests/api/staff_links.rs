use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};

use crate::helpers::{eicar, new_client, path_of, spawn_app, TestApp};

fn form(csrf: &str) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("title", "Baupläne Rathaus")
        .text("message", "Bitte bis Freitag prüfen.")
        .text("expires_days", "7")
        .text("password_mode", "generate")
        .text("password", "")
        .text("max_downloads", "")
        .part(
            "files",
            Part::bytes(b"first file".to_vec()).file_name("Plan A.pdf"),
        )
        .part("files", Part::bytes(eicar()).file_name("virus.com"))
        .part(
            "files",
            Part::bytes(vec![7u8; 200_000]).file_name("Plan B.dwg"),
        )
}

async fn post_form(app: &TestApp, form: Form) -> reqwest::Response {
    app.client
        .post(app.url("/links"))
        .headers(app.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_create_a_link_with_files_in_the_browser() {
    let app = spawn_app().await;
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    assert_eq!(app.get("/links/new").await.status().as_u16(), 200);
    let csrf = app.csrf().await;
    let res = post_form(&app, form(&csrf)).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let url_start = html.find("id=\"link-url\" readonly value=\"").unwrap() + 30;
    let url = &html[url_start..url_start + html[url_start..].find('"').unwrap()];
    assert!(url.starts_with(&app.url("/s/")), "{url}");
    let pw_start = html.find("id=\"link-password\" readonly value=\"").unwrap() + 35;
    let password = &html[pw_start..pw_start + 19];
    assert_eq!(password.len(), 19, "generated password shown once");

    // The list and the detail page show the link, its files and their scan states.
    let list = app.get("/links").await.text().await.unwrap();
    assert!(list.contains("Baupläne Rathaus"));
    let id: String = sqlx::query_scalar("SELECT id FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let detail = app.get(&format!("/links/{id}")).await.text().await.unwrap();
    assert!(detail.contains("Plan A.pdf") && detail.contains("Plan B.dwg"));
    assert!(
        detail.contains("abgewiesen: Schadsoftware gefunden"),
        "infected file shown as rejected"
    );
    assert!(detail.contains(url), "the link can be copied again");
    assert!(detail.contains("link.created"), "history");

    // The partner unlocks with the generated password and sees only the clean files.
    let partner = TestApp::client_for(&app);
    let path = path_of(url);
    assert_eq!(
        app.unlock(&partner, &path, password)
            .await
            .status()
            .as_u16(),
        303
    );
    let page = partner
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Plan A.pdf") && page.contains("Plan B.dwg"));
    assert!(!page.contains("virus.com"));
}

#[tokio::test]
async fn multipart_form_without_csrf_stores_nothing() {
    let app = spawn_app().await;
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    let res = post_form(&app, form("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
    assert_eq!(res.status().as_u16(), 403);
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
    let blobs = std::fs::read_dir(app.data_dir().join("files/blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0);
}

#[tokio::test]
async fn invalid_form_leaves_no_blob_behind() {
    let app = spawn_app().await;
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    let csrf = app.csrf().await;
    let bad = Form::new()
        .text("csrf_token", csrf)
        .text("title", "")
        .part("files", Part::bytes(vec![1u8; 1000]).file_name("a.bin"));
    let res = post_form(&app, bad).await;
    assert_eq!(res.status().as_u16(), 400);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let blobs = std::fs::read_dir(app.data_dir().join("files/blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0);
}

#[tokio::test]
async fn staff_see_only_their_own_links_and_may_revoke_them() {
    let app = spawn_app().await;
    let (_, other_token) = app.api_user("other@stadt.example", Role::Staff).await;
    let theirs = app
        .create_link(
            &other_token,
            serde_json::json!({"kind": "download", "title": "Fremd"}),
        )
        .await;
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    let id = theirs["id"].as_str().unwrap();
    assert!(!app
        .get("/links")
        .await
        .text()
        .await
        .unwrap()
        .contains("Fremd"));
    assert_eq!(
        app.get(&format!("/links/{id}")).await.status().as_u16(),
        404
    );
    let res = app.post_form(&format!("/links/{id}/revoke"), &[]).await;
    assert_eq!(res.status().as_u16(), 404);

    let me = bote::db::users::by_email(
        &app.db,
        &bote::domain::email::EmailAddress::parse("clerk@stadt.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let my_token = bote::auth::api_token::issue(&app.db, &me, "t")
        .await
        .unwrap();
    let own = app
        .create_link(
            &my_token,
            serde_json::json!({"kind": "download", "title": "Eigen"}),
        )
        .await;
    let own_id = own["id"].as_str().unwrap();
    let res = app.post_form(&format!("/links/{own_id}/revoke"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let page = new_client()
        .get(own["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404, "revoked link is dead");
}
