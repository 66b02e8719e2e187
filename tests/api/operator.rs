//! The operator: creates, suspends and resumes tenants and sets their storage quota on their own
//! pages, never sees a tenant's contents; the quota holds on every upload path while the bytes
//! arrive.

use std::time::Duration;

use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{
    extract_csrf, new_client, path_of, spawn_app, spawn_client_signed_in, TestApp,
};

const MIB: usize = 1_048_576;
const UNKNOWN_TOKEN_PATH: &str = "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A browser signed in as the operator (no tenant).
async fn operator_client(app: &TestApp) -> reqwest::Client {
    spawn_client_signed_in(app, "betrieb@rechenzentrum.example", Role::Operator).await
}

/// Posts a form from `client` as our own page would: its CSRF token (taken from a page) and our
/// Origin.
async fn post_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    // A page every visitor gets (the login page sends the signed-in on).
    let html = client
        .get(app.url("/password/forgot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&html).expect("page carries a CSRF token");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(path))
        .headers(app.origin_header())
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn get_as(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A page without its per-request parts (CSRF token, the path in the language switch).
fn without_frame(html: &str) -> String {
    match (
        html.find("<form method=\"post\" action=\"/lang\""),
        html.find("</header>"),
    ) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    }
}

/// (actor_user_id, tenant_id, chain, details) of the records of one action, oldest first.
async fn records(
    app: &TestApp,
    action: &str,
) -> Vec<(Option<String>, Option<String>, String, String)> {
    sqlx::query_as(
        "SELECT actor_user_id, tenant_id, chain, details FROM audit_events WHERE action = $1
         ORDER BY occurred_at, seq",
    )
    .bind(action)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

async fn file_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Entries in blob storage (finished blobs and unfinished parts alike), after giving background
/// clean-up a moment.
async fn stored_blobs(app: &TestApp) -> usize {
    tokio::time::sleep(Duration::from_millis(300)).await;
    match std::fs::read_dir(app.data_dir().join("files/blobs")) {
        Ok(dir) => dir.count(),
        Err(_) => 0,
    }
}

async fn storage_used(app: &TestApp, tenant_id: &str) -> i64 {
    bote::db::usage::storage_used(&app.db, tenant_id)
        .await
        .unwrap()
}

async fn quota_of(app: &TestApp, tenant_id: &str) -> Option<i64> {
    bote::db::tenants::by_id(&app.db, tenant_id)
        .await
        .unwrap()
        .unwrap()
        .storage_quota_bytes
}

async fn suspended(app: &TestApp, tenant_id: &str) -> bool {
    bote::db::tenants::by_id(&app.db, tenant_id)
        .await
        .unwrap()
        .unwrap()
        .is_suspended()
}

#[tokio::test]
async fn the_operator_creates_a_tenant_on_the_page_and_bad_input_creates_nothing() {
    let app = spawn_app().await;
    let op = operator_client(&app).await;
    let operator: String = sqlx::query_scalar("SELECT id FROM users WHERE role = 'operator'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // The start page leads the operator to the tenants; the frame links there.
    let home = get_as(&app, &op, "/").await;
    assert_eq!(home.status().as_u16(), 303);
    assert_eq!(location(&home), "/operator");
    let page = get_as(&app, &op, "/operator").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("href=\"/operator\""), "nav link");
    assert!(
        !html.contains("href=\"/links\""),
        "no link to pages that refuse them"
    );
    assert!(html.contains("default"));

    let res = post_as(
        &app,
        &op,
        "/operator/tenants",
        &[
            ("slug", "musterhausen"),
            ("name", "Gemeinde Musterhausen"),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/operator?done=created");
    let tenant = bote::db::tenants::by_slug(&app.db, "musterhausen")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(tenant.name, "Gemeinde Musterhausen");
    assert_eq!(tenant.language, "en");
    assert!(!tenant.is_suspended());
    assert_eq!(tenant.storage_quota_bytes, None);
    let created = records(&app, "tenant.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0.as_deref(), Some(operator.as_str()), "actor");
    assert_eq!(created[0].2, "deployment", "the tenant has no chain yet");
    assert!(created[0].3.contains(&tenant.id));
    let html = get_as(&app, &op, "/operator?done=created")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Gemeinde Musterhausen") && html.contains("Die Kommune ist angelegt"));

    for (fields, status, message) in [
        (
            [("slug", "Bad Slug"), ("name", "X"), ("language", "de")],
            400,
            "Kurzname ist ungültig",
        ),
        (
            [("slug", "leer"), ("name", "  "), ("language", "de")],
            400,
            "Bitte geben Sie einen Namen an",
        ),
        (
            [("slug", "fremd"), ("name", "X"), ("language", "fr")],
            400,
            "Sprache muss de oder en sein",
        ),
        (
            [
                ("slug", "musterhausen"),
                ("name", "Noch eine"),
                ("language", "de"),
            ],
            409,
            "schon eine Kommune mit diesem Kurznamen",
        ),
    ] {
        let res = post_as(&app, &op, "/operator/tenants", &fields).await;
        assert_eq!(res.status().as_u16(), status, "{fields:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{fields:?}: {body}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 2, "default and musterhausen only");
    assert_eq!(records(&app, "tenant.created").await.len(), 1);
}

#[tokio::test]
async fn suspension_stops_links_sessions_and_tokens_and_resumption_restores_them() {
    let app = spawn_app().await;
    let tenant = app.default_tenant_id().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "Pläne"}))
        .await;
    let file = app
        .upload(
            &token,
            link["id"].as_str().unwrap(),
            "plan.txt",
            b"plan".to_vec(),
        )
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    let file_path = format!("{path}/files/{}", file["id"].as_str().unwrap());
    let staff = spawn_client_signed_in(&app, "kollegin@stadt.example", Role::Staff).await;
    let op = operator_client(&app).await;
    let partner = new_client();
    assert_eq!(get_as(&app, &partner, &path).await.status().as_u16(), 200);
    let unknown = get_as(&app, &partner, UNKNOWN_TOKEN_PATH).await;
    assert_eq!(unknown.status().as_u16(), 404);
    let unknown = without_frame(&unknown.text().await.unwrap());

    let res = post_as(
        &app,
        &op,
        &format!("/operator/tenants/{tenant}/suspend"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/operator?done=suspended");
    assert!(suspended(&app, &tenant).await);
    // The public link answers exactly like a link that never existed; so does its file.
    let res = get_as(&app, &partner, &path).await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(without_frame(&res.text().await.unwrap()), unknown);
    assert_eq!(
        get_as(&app, &partner, &file_path).await.status().as_u16(),
        404
    );
    // The staff's session and API token stop working at once.
    let res = get_as(&app, &staff, "/links").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/login");
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status().as_u16(),
        401
    );
    // Suspending twice changes nothing and records nothing more.
    let res = post_as(
        &app,
        &op,
        &format!("/operator/tenants/{tenant}/suspend"),
        &[],
    )
    .await;
    assert_eq!(location(&res), "/operator?done=unchanged");
    let html = get_as(&app, &op, "/operator").await.text().await.unwrap();
    assert!(html.contains("gesperrt") && html.contains("/resume"));

    let res = post_as(
        &app,
        &op,
        &format!("/operator/tenants/{tenant}/resume"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/operator?done=resumed");
    assert!(!suspended(&app, &tenant).await);
    assert_eq!(get_as(&app, &partner, &path).await.status().as_u16(), 200);
    assert_eq!(get_as(&app, &staff, "/links").await.status().as_u16(), 200);
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status().as_u16(),
        200
    );

    let operator: String = sqlx::query_scalar("SELECT id FROM users WHERE role = 'operator'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    for action in ["tenant.suspended", "tenant.resumed"] {
        let r = records(&app, action).await;
        assert_eq!(r.len(), 1, "{action}");
        assert_eq!(
            r[0].0.as_deref(),
            Some(operator.as_str()),
            "{action}: actor"
        );
        assert_eq!(r[0].1.as_deref(), Some(tenant.as_str()), "{action}: tenant");
        assert_eq!(r[0].2, tenant, "{action}: in the tenant's own chain");
    }
}

#[tokio::test]
async fn only_the_operator_reaches_the_operator_pages() {
    let app = spawn_app().await;
    let tenant = app.default_tenant_id().await;
    let anonymous = new_client();
    let res = get_as(&app, &anonymous, "/operator").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/login");
    let posts = [
        (
            "/operator/tenants".to_string(),
            vec![("slug", "neu"), ("name", "Neu"), ("language", "de")],
        ),
        (format!("/operator/tenants/{tenant}/suspend"), vec![]),
        (format!("/operator/tenants/{tenant}/resume"), vec![]),
        (
            format!("/operator/tenants/{tenant}/quota"),
            vec![("quota", "1M")],
        ),
    ];
    for (email, role) in [
        ("admin@stadt.example", Role::Admin),
        ("clerk@stadt.example", Role::Staff),
        ("pruefer@stadt.example", Role::Auditor),
    ] {
        let client = spawn_client_signed_in(&app, email, role).await;
        assert_eq!(
            get_as(&app, &client, "/operator").await.status().as_u16(),
            403,
            "{role}"
        );
        let html = get_as(&app, &client, "/").await.text().await.unwrap();
        assert!(!html.contains("href=\"/operator\""), "{role}: no nav link");
        for (path, fields) in &posts {
            let res = post_as(&app, &client, path, fields).await;
            assert_eq!(res.status().as_u16(), 403, "{role}: {path}");
        }
    }
    assert!(!suspended(&app, &tenant).await);
    assert_eq!(quota_of(&app, &tenant).await, None);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_operator_cannot_open_any_tenant_page_link_file_record_or_account() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "Vertraulich"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let file = app
        .upload(&token, id, "geheim.txt", b"geheim".to_vec())
        .await;
    let file_id = file["id"].as_str().unwrap();
    let op = operator_client(&app).await;
    for (path, status) in [
        ("/links".to_string(), 403),
        ("/links/new".to_string(), 403),
        (format!("/links/{id}"), 404),
        (format!("/links/{id}/edit"), 404),
        (format!("/links/{id}/files/{file_id}"), 404),
        (format!("/links/{id}/zip"), 404),
        ("/audit".to_string(), 403),
        ("/audit/export?format=csv".to_string(), 403),
        ("/admin/users".to_string(), 403),
        ("/admin/files".to_string(), 403),
        ("/admin/mail".to_string(), 403),
    ] {
        let res = get_as(&app, &op, &path).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("Vertraulich") && !body.contains("geheim"),
            "{path}"
        );
    }
    let res = post_as(&app, &op, &format!("/links/{id}/revoke"), &[]).await;
    assert_eq!(res.status().as_u16(), 404);
    let (_, op_token) = {
        let user = bote::db::users::by_email(
            &app.db,
            &bote::domain::email::EmailAddress::parse("betrieb@rechenzentrum.example").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        let token = bote::auth::api_token::issue(&app.db, &user, "ops")
            .await
            .unwrap();
        (user, token)
    };
    for (path, status) in [
        ("/api/v1/links".to_string(), 404),
        (format!("/api/v1/links/{id}"), 404),
        (format!("/api/v1/links/{id}/files/{file_id}"), 404),
        ("/api/v1/audit".to_string(), 403),
    ] {
        let res = app.api_get(&op_token, &path).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("Vertraulich") && !body.contains("geheim"),
            "{path}"
        );
    }
    let res = app
        .api_post(
            &op_token,
            "/api/v1/links",
            json!({"kind": "download", "title": "x"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
    // The link is untouched.
    let got: Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["state"], "active");
}

/// Sets the default tenant's quota through the operator's page.
async fn set_quota(app: &TestApp, quota: &str) -> String {
    let tenant = app.default_tenant_id().await;
    let op = operator_client(app).await;
    let res = post_as(
        app,
        &op,
        &format!("/operator/tenants/{tenant}/quota"),
        &[("quota", quota)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    tenant
}

#[tokio::test]
async fn the_quota_is_set_on_the_page_validated_and_recorded() {
    let app = spawn_app().await;
    let tenant = app.default_tenant_id().await;
    let op = operator_client(&app).await;
    let path = format!("/operator/tenants/{tenant}/quota");
    for bad in ["lots", "0", "-5", "1.5G", "99999999999T"] {
        let res = post_as(&app, &op, &path, &[("quota", bad)]).await;
        assert_eq!(res.status().as_u16(), 400, "{bad}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Kontingent ist ungültig"),
            "{bad}"
        );
    }
    let res = post_as(
        &app,
        &op,
        "/operator/tenants/not-a-tenant/quota",
        &[("quota", "1M")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = post_as(&app, &op, &path, &[("quota", "2 GiB")]).await;
    assert_eq!(location(&res), "/operator?done=quota");
    assert_eq!(quota_of(&app, &tenant).await, Some(2 << 30));
    let html = get_as(&app, &op, "/operator").await.text().await.unwrap();
    assert!(
        html.contains("0 B von 2.0 GiB") && html.contains("value=\"2G\""),
        "{html}"
    );
    let res = post_as(&app, &op, &path, &[("quota", "2G")]).await;
    assert_eq!(location(&res), "/operator?done=unchanged");
    let res = post_as(&app, &op, &path, &[("quota", "")]).await;
    assert_eq!(location(&res), "/operator?done=quota");
    assert_eq!(quota_of(&app, &tenant).await, None);
    let changes = records(&app, "tenant.quota_changed").await;
    assert_eq!(changes.len(), 2);
    assert!(changes[0].3.contains("\"from\":null") && changes[0].3.contains("\"to\":2147483648"));
    assert!(changes[1].3.contains("\"to\":null"));
    assert!(changes.iter().all(|c| c.2 == tenant && c.0.is_some()));
}

fn staff_form(csrf: &str, file: Vec<u8>) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("title", "Große Pläne")
        .text("expires_days", "7")
        .part("files", Part::bytes(file).file_name("plan.bin"))
}

#[tokio::test]
async fn staff_and_api_uploads_over_the_quota_are_cut_off_and_leave_nothing() {
    let app = spawn_app().await;
    let tenant = set_quota(&app, "1M").await;
    let me = app.signed_in("clerk@stadt.example", Role::Staff).await;
    let token = bote::auth::api_token::issue(&app.db, &me, "t")
        .await
        .unwrap();
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "Pläne"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let small = app.upload(&token, id, "klein.txt", vec![3u8; 1000]).await;
    assert_eq!(small["size"], 1000, "a small file fits");
    let used = storage_used(&app, &tenant).await;
    assert_eq!(used, 1000);
    let rows = file_rows(&app).await;
    let blobs = stored_blobs(&app).await;

    // The API: a JSON error in the caller's language, nothing stored.
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/links/{id}/files")))
        .query(&[("name", "gross.bin")])
        .bearer_auth(&token)
        .header("accept-language", "en")
        .body(vec![1u8; 2 * MIB])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "quota_exceeded");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("quota used up"));

    // The browser form that creates a link with its files: no link, no file.
    let csrf = app.csrf().await;
    let res = app
        .client
        .post(app.url("/links"))
        .headers(app.origin_header())
        .multipart(staff_form(&csrf, vec![1u8; 2 * MIB]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Kontingent ausgeschöpft"));
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(links, 1, "no second link");

    // Adding files to the link: the second file no longer fits beside the first of the request.
    let form = Form::new()
        .text("csrf_token", csrf.clone())
        .part("files", Part::bytes(vec![4u8; 600_000]).file_name("a.bin"))
        .part("files", Part::bytes(vec![5u8; 600_000]).file_name("b.bin"));
    let res = app
        .client
        .post(app.url(&format!("/links/{id}/files")))
        .headers(app.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    // The first file of that request fitted and was kept, the second one was not.
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM files WHERE deleted_at IS NULL ORDER BY created_at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(names, ["klein.txt", "a.bin"]);
    assert_eq!(file_rows(&app).await, rows + 1);
    assert_eq!(stored_blobs(&app).await, blobs + 1);
    assert_eq!(storage_used(&app, &tenant).await, used + 600_000);

    // Removing a file makes room again.
    let a: String = sqlx::query_scalar("SELECT id FROM files WHERE name = 'a.bin'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let res = app
        .post_form(&format!("/links/{id}/files/{a}/delete"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    app.upload(&token, id, "passt.bin", vec![6u8; 900_000])
        .await;
    assert_eq!(storage_used(&app, &tenant).await, used + 900_000);
}

#[tokio::test]
async fn a_partner_upload_over_the_quota_is_cut_off_recorded_and_leaves_nothing() {
    let app = spawn_app().await;
    let tenant = set_quota(&app, "1M").await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "upload", "title": "Unterlagen"}))
        .await;
    let path = path_of(link["url"].as_str().unwrap());
    let send = |files: Vec<(&'static str, Vec<u8>)>| {
        let app = &app;
        let path = path.clone();
        async move {
            let form = files.into_iter().fold(Form::new(), |f, (name, data)| {
                f.part("files", Part::bytes(data).file_name(name))
            });
            new_client()
                .post(app.url(&format!("{path}/files")))
                .header("accept", "application/json")
                .header("accept-language", "de")
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = send(vec![("klein.pdf", vec![7u8; 1000])]).await;
    assert_eq!(res.status().as_u16(), 201, "a small file fits");
    assert_eq!(storage_used(&app, &tenant).await, 1000);
    let blobs = stored_blobs(&app).await;

    // A small file first, then one over the quota: the whole submission is refused.
    let res = send(vec![
        ("ok.txt", vec![8u8; 500]),
        ("gross.bin", vec![9u8; 2 * MIB]),
    ])
    .await;
    assert_eq!(res.status().as_u16(), 413);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "upload_quota");
    assert_eq!(err["error"]["file"], "gross.bin");
    assert_eq!(
        err["error"]["limit"],
        Value::Null,
        "partners are not told the quota"
    );
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("keine weiteren Dateien annehmen"));
    assert_eq!(file_rows(&app).await, 1);
    let submissions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(submissions, 1);
    assert_eq!(
        stored_blobs(&app).await,
        blobs,
        "neither file stayed in storage"
    );
    assert_eq!(storage_used(&app, &tenant).await, 1000);
    let refused: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT reason, details FROM audit_events WHERE action = 'upload.refused'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0.as_deref(), Some("storage quota"));
    assert!(refused[0].1.contains("gross.bin") && refused[0].1.contains("error.upload_quota"));
}

#[tokio::test]
async fn the_admin_home_page_shows_storage_against_the_quota() {
    let app = spawn_app().await;
    let admin = spawn_client_signed_in(&app, "admin@stadt.example", Role::Admin).await;
    let html = get_as(&app, &admin, "/").await.text().await.unwrap();
    assert!(html.contains("0 B belegt (kein Kontingent)"), "{html}");
    set_quota(&app, "2M").await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "Pläne"}))
        .await;
    app.upload(
        &token,
        link["id"].as_str().unwrap(),
        "half.bin",
        vec![1u8; MIB],
    )
    .await;
    let html = get_as(&app, &admin, "/").await.text().await.unwrap();
    assert!(html.contains("1.0 MiB von 2.0 MiB belegt (50 %)"), "{html}");
    // Staff do not see the tenant's storage.
    let clerk = spawn_client_signed_in(&app, "kollegin@stadt.example", Role::Staff).await;
    let html = get_as(&app, &clerk, "/").await.text().await.unwrap();
    assert!(!html.contains("MiB"), "{html}");
}

#[tokio::test]
async fn the_operator_invites_a_tenants_first_admin_without_any_access_to_the_tenant() {
    let app = spawn_app().await;
    let op = operator_client(&app).await;
    let tenant = bote::db::tenants::create(
        &app.db,
        &bote::domain::slug::TenantSlug::parse("musterhausen").unwrap(),
        "Musterhausen",
        "de",
    )
    .await
    .unwrap()
    .unwrap();
    let path = format!("/operator/tenants/{}/invite-admin", tenant.id);
    let res = post_as(
        &app,
        &op,
        &path,
        &[("email", "chefin@musterhausen.example"), ("name", "Chefin")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    let (role, tenant_id, hash): (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT role, tenant_id, password_hash FROM users WHERE email = 'chefin@musterhausen.example'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (role.as_str(), tenant_id.as_deref()),
        ("admin", Some(tenant.id.as_str()))
    );
    assert!(hash.is_none(), "the admin chooses the password");
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, kind FROM outbox WHERE tenant_id = $1")
            .bind(&tenant.id)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        mails,
        vec![(
            "chefin@musterhausen.example".to_string(),
            "invitation".to_string()
        )]
    );
    // Bad input and unknown tenants change nothing; nobody else may do it.
    let res = post_as(&app, &op, &path, &[("email", "kaputt"), ("name", "X")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let unknown = format!("/operator/tenants/{}/invite-admin", uuid::Uuid::new_v4());
    let res = post_as(
        &app,
        &op,
        &unknown,
        &[("email", "x@y.example"), ("name", "X")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
    let admin = spawn_client_signed_in(&app, "admin@stadt.example", Role::Admin).await;
    let res = post_as(
        &app,
        &admin,
        &path,
        &[("email", "y@y.example"), ("name", "Y")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1")
        .bind(&tenant.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}
