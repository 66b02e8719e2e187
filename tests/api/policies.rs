//! A tenant's rules: set by its admin on the policy page (recorded), and each one refused when
//! staff or partners try to exceed it, through the pages and through the API.

use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{new_client, path_of, spawn_app, TestApp};

/// The policy form as the page posts it, with these fields changed.
fn policy_fields(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("link_default_days", "7"),
        ("link_max_days", "30"),
        ("link_password_min_len", "8"),
        ("max_file_size", ""),
        ("max_link_size", ""),
        ("file_retention_days", "0"),
        ("unscannable", "hold"),
        ("scanner_down", "accept"),
        ("audit_retention_days", "0"),
        ("client_addresses", "full"),
        ("staff_upload_links", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        fields.retain(|(name, _)| name != k);
        if !v.is_empty() || k.starts_with("max_") {
            fields.push((k.to_string(), v.to_string()));
        }
    }
    fields
}

/// An admin (this client) sets the rules through the page.
async fn set_rules(app: &TestApp, changes: &[(&str, &str)]) -> reqwest::Response {
    let fields = policy_fields(changes);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form("/admin/policy", &refs).await
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    app.signed_in("admin@stadt.example", Role::Admin).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    (app, token)
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

async fn api_upload(
    app: &TestApp,
    token: &str,
    link_id: &str,
    name: &str,
    data: Vec<u8>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/links/{link_id}/files")))
        .query(&[("name", name)])
        .bearer_auth(token)
        .body(data)
        .send()
        .await
        .unwrap()
}

/// A staff browser posting the create-link form with one file.
async fn page_create(
    app: &TestApp,
    staff: &TestApp,
    password_mode: &str,
    password: &str,
    file: (&str, Vec<u8>),
) -> reqwest::Response {
    let _ = app;
    let csrf = staff.csrf().await;
    let form = Form::new()
        .text("csrf_token", csrf)
        .text("title", "Pläne")
        .text("expires_days", "7")
        .text("password_mode", password_mode.to_string())
        .text("password", password.to_string())
        .part("files", Part::bytes(file.1).file_name(file.0.to_string()));
    staff
        .client
        .post(staff.url("/links"))
        .headers(staff.origin_header())
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

fn zip_bytes() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    z.start_file("a.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, b"hallo").unwrap();
    z.finish().unwrap();
    buf.into_inner()
}

#[tokio::test]
async fn the_admin_changes_rules_on_the_page_and_each_change_is_recorded() {
    let (app, _) = setup().await;
    let page = app.get("/admin/policy").await;
    assert_eq!(page.status().as_u16(), 200);
    let res = set_rules(
        &app,
        &[
            ("link_max_days", "14"),
            ("max_file_size", "5M"),
            ("blocked_archive", "1"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    let page = app.get("/admin/policy?saved=1").await.text().await.unwrap();
    assert!(page.contains("value=\"14\"") && page.contains("value=\"5M\""));
    let details: Vec<(String,)> =
        sqlx::query_as("SELECT details FROM audit_events WHERE action = 'policy.changed'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(details.len(), 1);
    let d: Value = serde_json::from_str(&details[0].0).unwrap();
    assert_eq!(d["link_max_days"], json!({"from": 30, "to": 14}));
    assert_eq!(
        d["max_file_bytes"],
        json!({"from": null, "to": 5 * 1024 * 1024})
    );
    assert_eq!(d["blocked_types"], json!({"from": null, "to": "archive"}));
    assert!(d.get("link_default_days").is_none(), "only what changed");

    // Bad input changes nothing and says why.
    for bad in [
        vec![("link_default_days", "20"), ("link_max_days", "10")],
        vec![("max_file_size", "viel")],
        vec![("link_password_min_len", "3")],
        vec![("client_addresses", "everything")],
    ] {
        let res = set_rules(&app, &bad).await;
        assert_eq!(res.status().as_u16(), 400, "{bad:?}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'policy.changed'"
        )
        .await,
        1
    );
    let max_days: i64 = count(
        &app,
        "SELECT link_max_days FROM tenants WHERE slug = 'default'",
    )
    .await;
    assert_eq!(max_days, 14);

    // Staff and auditors cannot reach the page.
    for role in [Role::Staff, Role::Auditor] {
        let browser =
            crate::helpers::spawn_client_signed_in(&app, &format!("{role}@stadt.example"), role)
                .await;
        let res = browser.get(app.url("/admin/policy")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
    }
}

#[tokio::test]
async fn a_required_password_of_the_tenants_length_is_enforced_on_page_and_api() {
    let (app, token) = setup().await;
    assert_eq!(
        set_rules(
            &app,
            &[
                ("link_password_required", "1"),
                ("link_password_min_len", "14")
            ]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    // API: none, too short, common.
    for (body, code) in [
        (
            json!({"kind": "download", "title": "A"}),
            "link_password_required",
        ),
        (
            json!({"kind": "upload", "title": "A"}),
            "link_password_required",
        ),
        (
            json!({"kind": "download", "title": "A", "password": "kurz-aber-8"}),
            "link_password_short",
        ),
        (
            json!({"kind": "download", "title": "A", "password": "Passwort123456"}),
            "password_common",
        ),
    ] {
        let res = app.api_post(&token, "/api/v1/links", body.clone()).await;
        assert_eq!(error_code(res).await, (400, code.to_string()), "{body}");
    }
    let ok = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "A", "password": "Gartenzaun am Rathaus"}),
        )
        .await;
    let id = ok["id"].as_str().unwrap();
    // Removing the password is refused too.
    let res = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/links/{id}")))
        .bearer_auth(&token)
        .json(&json!({"password": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (400, "link_password_required".to_string())
    );
    // Page: the form offers no "no password", and posting it anyway is refused; a generated one
    // is long enough.
    let staff = crate::helpers::spawn_app_client_as(&app, "page@stadt.example", Role::Staff).await;
    let form = staff.get("/links/new").await.text().await.unwrap();
    assert!(!form.contains("value=\"none\""));
    let res = page_create(&app, &staff, "none", "", ("plan.txt", b"plan".to_vec())).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = page_create(
        &app,
        &staff,
        "typed",
        "kurz-aber-8",
        ("plan.txt", b"plan".to_vec()),
    )
    .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = page_create(&app, &staff, "generate", "", ("plan.txt", b"plan".to_vec())).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM links").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM links WHERE password_hash IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn file_size_and_link_total_are_enforced_for_staff_and_partners() {
    let (app, token) = setup().await;
    assert_eq!(
        set_rules(&app, &[("max_file_size", "1M"), ("max_link_size", "1536K")])
            .await
            .status()
            .as_u16(),
        303
    );
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "A"}))
        .await;
    let id = link["id"].as_str().unwrap();
    // API: one file over the tenant's size is cut off; within it, the link total counts.
    let res = api_upload(&app, &token, id, "big.bin", vec![7u8; 2 << 20]).await;
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(
        api_upload(&app, &token, id, "a.bin", vec![1u8; 1 << 20])
            .await
            .status()
            .as_u16(),
        201
    );
    let (status, code) =
        error_code(api_upload(&app, &token, id, "b.bin", vec![2u8; 1 << 20]).await).await;
    assert_eq!((status, code.as_str()), (422, "link_total_policy"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 1);
    // Page: the same file size refused in the create form.
    let staff = crate::helpers::spawn_app_client_as(&app, "page@stadt.example", Role::Staff).await;
    let res = page_create(&app, &staff, "none", "", ("big.bin", vec![7u8; 2 << 20])).await;
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM links").await, 1);
    // Upload links stay within the tenant's limits, which are also their defaults.
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "U", "max_bytes": 10 << 20}),
        )
        .await;
    assert_eq!(error_code(res).await, (400, "max_bytes_policy".to_string()));
    let up = app
        .create_link(&token, json!({"kind": "upload", "title": "U"}))
        .await;
    assert_eq!(up["max_bytes"], json!(1536 * 1024));
    assert_eq!(up["max_file_bytes"], json!(1 << 20));
    // A partner's file over the tenant's size is refused, nothing kept.
    let path = path_of(up["url"].as_str().unwrap());
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(Form::new().part(
            "files",
            Part::bytes(vec![3u8; 2 << 20]).file_name("gross.bin"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 1);
    // A tightened rule also holds for an upload link made before it.
    assert_eq!(
        set_rules(
            &app,
            &[("max_file_size", "100K"), ("max_link_size", "1536K")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(Form::new().part(
            "files",
            Part::bytes(vec![3u8; 200 << 10]).file_name("mittel.bin"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
}

#[tokio::test]
async fn allowed_and_blocked_kinds_of_file_hold_for_staff_and_partners() {
    let (app, token) = setup().await;
    assert_eq!(
        set_rules(&app, &[("blocked_archive", "1")])
            .await
            .status()
            .as_u16(),
        303
    );
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "A"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let (status, code) =
        error_code(api_upload(&app, &token, id, "daten.zip", zip_bytes()).await).await;
    assert_eq!((status, code.as_str()), (422, "type_not_in_policy"));
    let (status, _) =
        error_code(api_upload(&app, &token, id, "tarnung.pdf", zip_bytes()).await).await;
    assert_eq!(status, 422, "a ZIP under another name is still an archive");
    assert_eq!(
        api_upload(&app, &token, id, "notiz.txt", b"hallo".to_vec())
            .await
            .status()
            .as_u16(),
        201
    );
    let staff = crate::helpers::spawn_app_client_as(&app, "page@stadt.example", Role::Staff).await;
    let res = page_create(&app, &staff, "none", "", ("daten.zip", zip_bytes())).await;
    assert_eq!(res.status().as_u16(), 422);

    // Partners: refused on an upload link whatever the link allows.
    let up = app
        .create_link(&token, json!({"kind": "upload", "title": "U"}))
        .await;
    let path = path_of(up["url"].as_str().unwrap());
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(Form::new().part("files", Part::bytes(zip_bytes()).file_name("daten.zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    // An upload link cannot ask for a kind outside the rules.
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "U", "allowed_types": ["archive"]}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (400, "type_not_in_policy".to_string())
    );
    // "Only these": PDF only.
    assert_eq!(
        set_rules(&app, &[("allowed_pdf", "1")])
            .await
            .status()
            .as_u16(),
        303
    );
    let (status, _) =
        error_code(api_upload(&app, &token, id, "notiz2.txt", b"hallo".to_vec()).await).await;
    assert_eq!(status, 422);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 1);
}

#[tokio::test]
async fn staff_may_be_kept_from_creating_upload_links() {
    let (app, token) = setup().await;
    assert_eq!(
        set_rules(&app, &[("staff_upload_links", "")])
            .await
            .status()
            .as_u16(),
        303
    );
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "upload", "title": "U"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
    let staff = crate::helpers::spawn_app_client_as(&app, "page@stadt.example", Role::Staff).await;
    assert_eq!(staff.get("/links/new-upload").await.status().as_u16(), 403);
    let list = staff.get("/links").await.text().await.unwrap();
    assert!(!list.contains("/links/new-upload"));
    let res = staff
        .post_form(
            "/links/new-upload",
            &[("title", "U"), ("expires_days", "7")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
    // Download links stay possible; admins keep upload links.
    app.create_link(&token, json!({"kind": "download", "title": "D"}))
        .await;
    let (_, admin_token) = app.api_user("admin2@stadt.example", Role::Admin).await;
    app.create_link(&admin_token, json!({"kind": "upload", "title": "U"}))
        .await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM links WHERE kind = 'upload'").await,
        1
    );
}
