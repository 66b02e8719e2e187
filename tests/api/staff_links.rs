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
    assert!(
        html.contains("virus.com") && html.contains("abgewiesen: Schadsoftware gefunden"),
        "the rejected file is named at once"
    );

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

#[tokio::test]
async fn staff_change_a_link_in_the_browser_and_a_new_password_ends_unlocks() {
    let app = spawn_app().await;
    let me = app.signed_in("clerk@stadt.example", Role::Staff).await;
    let token = bote::auth::api_token::issue(&app.db, &me, "t")
        .await
        .unwrap();
    let link = app
        .create_link(
            &token,
            serde_json::json!({"kind": "download", "title": "Alt", "password": "old-password"}),
        )
        .await;
    let id = link["id"].as_str().unwrap();
    let file = app.upload(&token, id, "a.txt", b"inhalt".to_vec()).await;
    let path = path_of(link["url"].as_str().unwrap());
    let partner = TestApp::client_for(&app);
    app.unlock(&partner, &path, "old-password").await;
    let file_url = app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap()));
    assert_eq!(
        partner
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    assert_eq!(
        app.get(&format!("/links/{id}/edit"))
            .await
            .status()
            .as_u16(),
        200
    );
    let res = app
        .post_form(
            &format!("/links/{id}/edit"),
            &[
                ("title", "Neu"),
                ("message", "Neue Nachricht"),
                ("expires_days", "3"),
                ("password_mode", "typed"),
                ("password", "new-password"),
                ("max_downloads", "5"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let got: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "Neu");
    assert_eq!(got["max_downloads"], 5);
    assert_eq!(
        partner
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404,
        "old unlock ended"
    );
    app.unlock(&partner, &path, "new-password").await;
    assert_eq!(
        partner
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    // Beyond the tenant's maximum expiry is refused and changes nothing.
    let res = app
        .post_form(
            &format!("/links/{id}/edit"),
            &[("title", "X"), ("message", ""), ("expires_days", "400")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let got: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "Neu");

    let actions = app.audit_actions().await;
    assert!(actions.contains(&("link.changed".into(), "success".into())));
    assert!(actions.contains(&("link.password_changed".into(), "success".into())));
}

#[tokio::test]
async fn staff_add_and_remove_files_of_a_link() {
    let app = spawn_app().await;
    let me = app.signed_in("clerk@stadt.example", Role::Staff).await;
    let token = bote::auth::api_token::issue(&app.db, &me, "t")
        .await
        .unwrap();
    let link = app
        .create_link(
            &token,
            serde_json::json!({"kind": "download", "title": "x"}),
        )
        .await;
    let id = link["id"].as_str().unwrap();
    let csrf = app.csrf().await;
    let form = Form::new()
        .text("csrf_token", csrf)
        .part("files", Part::bytes(b"one".to_vec()).file_name("eins.txt"))
        .part("files", Part::bytes(b"two".to_vec()).file_name("zwei.txt"));
    let res = app
        .client
        .post(app.url(&format!("/links/{id}/files")))
        .headers(app.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let got: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let files = got["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let first = files[0]["id"].as_str().unwrap();
    let res = app
        .post_form(&format!("/links/{id}/files/{first}/delete"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let got: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["files"].as_array().unwrap().len(), 1);
    let path = path_of(link["url"].as_str().unwrap());
    let res = new_client()
        .get(app.url(&format!("{path}/files/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404, "a removed file is gone");
}

#[tokio::test]
async fn api_changes_a_link_within_policy() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app.create_link(&token, serde_json::json!({"kind": "download", "title": "x", "password": "secret-one", "max_downloads": 2})).await;
    let id = link["id"].as_str().unwrap();
    let patch = |body: serde_json::Value| {
        let url = app.url(&format!("/api/v1/links/{id}"));
        let token = token.clone();
        async move {
            reqwest::Client::new()
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = patch(serde_json::json!({"message": "neu", "password": null, "max_downloads": null, "expires_in_days": 2})).await;
    assert_eq!(res.status().as_u16(), 200);
    let got: serde_json::Value = res.json().await.unwrap();
    assert_eq!(got["password"], false);
    assert_eq!(got["max_downloads"], serde_json::Value::Null);
    assert_eq!(got["message"], "neu");
    for (body, code) in [
        (
            serde_json::json!({"expires_in_days": 1000}),
            "expiry_too_late",
        ),
        (
            serde_json::json!({"password": "short"}),
            "link_password_short",
        ),
        (serde_json::json!({"colour": "red"}), "invalid_form"),
    ] {
        let res = patch(body.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], code);
    }
}

#[tokio::test]
async fn staff_ask_for_notices_on_the_create_and_edit_forms_and_see_them_on_the_link() {
    let app = spawn_app().await;
    app.signed_in("clerk@stadt.example", Role::Staff).await;
    let new_page = app.get("/links/new").await.text().await.unwrap();
    assert!(
        new_page.contains("name=\"notify_downloads\"")
            && new_page.contains("name=\"remind_expiry\"")
    );
    let new_upload = app.get("/links/new-upload").await.text().await.unwrap();
    assert!(
        new_upload.contains("name=\"remind_expiry\"") && !new_upload.contains("notify_downloads")
    );

    let csrf = app.csrf().await;
    let res = post_form(
        &app,
        form(&csrf)
            .text("notify_downloads", "1")
            .text("remind_expiry", "1"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let id: String = sqlx::query_scalar("SELECT id FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let flags = || async {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT notify_downloads, remind_expiry FROM links WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    assert_eq!(flags().await, (1, 1));
    let detail = app.get(&format!("/links/{id}")).await.text().await.unwrap();
    assert!(
        detail.contains("Mich per E-Mail über Downloads informieren")
            && detail.contains("Mich per E-Mail erinnern, bevor der Link abläuft"),
        "the detail page names both notices"
    );
    let edit = app
        .get(&format!("/links/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("name=\"notify_downloads\" value=\"1\" checked"));
    assert!(edit.contains("name=\"remind_expiry\" value=\"1\" checked"));

    // Unticked boxes switch the notices off.
    let res = app
        .post_form(
            &format!("/links/{id}/edit"),
            &[
                ("title", "Baupläne Rathaus"),
                ("message", ""),
                ("remind_expiry", "1"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(flags().await, (0, 1));

    let res = app
        .post_form(
            "/links/new-upload",
            &[
                ("title", "Nachweise"),
                ("expires_days", "7"),
                ("password_mode", "none"),
                ("remind_expiry", "1"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let (notify, remind): (i64, i64) =
        sqlx::query_as("SELECT notify_downloads, remind_expiry FROM links WHERE kind = 'upload'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((notify, remind), (0, 1));
}
