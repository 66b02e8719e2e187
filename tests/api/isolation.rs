//! Two municipalities with the same kinds of accounts and links. Every role of tenant B tries
//! every page and API route with every id of tenant A: each answers as if the id did not exist
//! (or refuses the role outright), searches and lists show nothing of A, and A's data is
//! unchanged afterwards.

use bote::db::users::{self, NewUser};
use bote::domain::email::EmailAddress;
use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{new_client, path_of, spawn_app, TestApp, PASSWORD};

struct TenantA {
    id: String,
    download: String,
    upload: String,
    file: String,
    received: String,
    staff: String,
    mail: String,
}

/// id, title, revoked, closed, expires, password version, owner, updated.
type LinkRow = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    String,
    i64,
);

/// Everything of tenant A a stranger might touch, as one comparable text.
async fn snapshot(app: &TestApp, tenant: &str) -> String {
    let links: Vec<LinkRow> = sqlx::query_as(
        "SELECT id, title, revoked_at, closed_at, expires_at, password_version, owner_id,
                    updated_at
             FROM links WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let files: Vec<(String, Option<i64>, String)> = sqlx::query_as(
        "SELECT f.id, f.deleted_at, f.scan_state FROM files f JOIN links l ON l.id = f.link_id
         WHERE l.tenant_id = $1 ORDER BY f.id",
    )
    .bind(tenant)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let users: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, role, disabled, password_hash FROM users WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let mails: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, state, attempts FROM outbox WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    format!("{links:?}\n{files:?}\n{users:?}\n{mails:?}\n{records}\n{tokens}")
}

async fn setup_a(app: &TestApp) -> TenantA {
    let id = app.default_tenant_id().await;
    app.create_user("admin-a@a.example", Role::Admin).await;
    app.create_user("auditor-a@a.example", Role::Auditor).await;
    let (staff, token) = app.api_user("staff-a@a.example", Role::Staff).await;
    let download = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "Akte A", "recipients": ["partner@x.example"]}),
        )
        .await;
    let download_id = download["id"].as_str().unwrap().to_string();
    let file = app
        .upload(&token, &download_id, "a.txt", b"nur fuer A".to_vec())
        .await;
    let upload = app
        .create_link(&token, json!({"kind": "upload", "title": "Eingang A"}))
        .await;
    let path = path_of(upload["url"].as_str().unwrap());
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(Form::new().part(
            "files",
            Part::bytes(b"von aussen".to_vec()).file_name("eingang.txt"),
        ))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let received: String = sqlx::query_scalar("SELECT id FROM files WHERE link_id = $1")
        .bind(upload["id"].as_str().unwrap())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mail: String = sqlx::query_scalar("SELECT id FROM outbox WHERE tenant_id = $1 LIMIT 1")
        .bind(&id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    TenantA {
        id,
        download: download_id,
        upload: upload["id"].as_str().unwrap().to_string(),
        file: file["id"].as_str().unwrap().to_string(),
        received,
        staff: staff.id,
        mail,
    }
}

/// An account of tenant B, signed in in its own browser, with an API token.
async fn member_of_b(app: &TestApp, tenant_b: &str, role: Role) -> (TestApp, String, String) {
    let email = format!("{role}-b@b.example");
    let hash = bote::auth::password::hash(PASSWORD.into()).await.unwrap();
    let user = users::create(
        &app.db,
        NewUser {
            tenant_id: Some(tenant_b),
            email: &EmailAddress::parse(&email).unwrap(),
            display_name: "B",
            role,
            password_hash: Some(&hash),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let browser = app.another_browser();
    assert_eq!(browser.login(&email, PASSWORD).await.status().as_u16(), 303);
    let token = bote::auth::api_token::issue(&app.db, &user, "t")
        .await
        .unwrap();
    (browser, token, user.id)
}

enum Call {
    Get(String),
    Form(String, Vec<(&'static str, String)>),
    Multipart(String),
    Api(reqwest::Method, String, Option<Value>),
    ApiBody(String),
}

fn calls(a: &TenantA, own_staff: &str) -> Vec<Call> {
    let (l, u, f, r) = (&a.download, &a.upload, &a.file, &a.received);
    let s = &a.staff;
    let mut out = vec![
        Call::Get(format!("/links/{l}")),
        Call::Get(format!("/links/{u}")),
        Call::Get(format!("/links/{l}/edit")),
        Call::Get(format!("/links/{l}/zip")),
        Call::Get(format!("/links/{u}/zip")),
        Call::Get(format!("/links/{l}/files/{f}")),
        Call::Get(format!("/links/{u}/files/{r}")),
        Call::Form(format!("/links/{l}/revoke"), vec![]),
        Call::Form(format!("/links/{u}/close"), vec![]),
        Call::Form(format!("/links/{u}/reopen"), vec![("days", "7".into())]),
        Call::Form(
            format!("/links/{l}/edit"),
            vec![
                ("title", "übernommen".into()),
                ("message", String::new()),
                ("password_mode", "keep".into()),
            ],
        ),
        Call::Form(format!("/links/{l}/files/{f}/delete"), vec![]),
        Call::Multipart(format!("/links/{l}/files")),
        Call::Form(
            format!("/admin/files/{f}/release"),
            vec![("reason", "keine Ahnung, einfach so".into())],
        ),
        Call::Form(format!("/admin/files/{r}/delete"), vec![]),
        Call::Form(format!("/admin/mail/{}/retry", a.mail), vec![]),
        Call::Form(
            format!("/admin/users/{s}/role"),
            vec![("role", "auditor".into())],
        ),
        Call::Form(format!("/admin/users/{s}/disable"), vec![]),
        Call::Form(format!("/admin/users/{s}/enable"), vec![]),
        Call::Form(format!("/admin/users/{s}/password-link"), vec![]),
        Call::Form(
            format!("/admin/users/{s}/transfer"),
            vec![("to", own_staff.to_string())],
        ),
        Call::Form(
            format!("/admin/users/{own_staff}/transfer"),
            vec![("to", s.clone())],
        ),
        Call::Api(reqwest::Method::GET, format!("/api/v1/links/{l}"), None),
        Call::Api(reqwest::Method::GET, format!("/api/v1/links/{u}"), None),
        Call::Api(
            reqwest::Method::PATCH,
            format!("/api/v1/links/{l}"),
            Some(json!({"title": "übernommen"})),
        ),
        Call::Api(reqwest::Method::DELETE, format!("/api/v1/links/{l}"), None),
        Call::Api(
            reqwest::Method::GET,
            format!("/api/v1/links/{l}/files/{f}"),
            None,
        ),
        Call::Api(
            reqwest::Method::GET,
            format!("/api/v1/links/{u}/files/{r}"),
            None,
        ),
        Call::Api(
            reqwest::Method::POST,
            format!("/api/v1/links/{u}/close"),
            None,
        ),
        Call::Api(
            reqwest::Method::POST,
            format!("/api/v1/links/{u}/reopen"),
            None,
        ),
        Call::ApiBody(format!("/api/v1/links/{l}/files?name=x.txt")),
    ];
    // The same with ids that exist nowhere, for comparison of the answers.
    out.push(Call::Get(format!("/links/{}", uuid::Uuid::new_v4())));
    out
}

impl Call {
    fn describe(&self) -> String {
        match self {
            Call::Get(p) => format!("GET {p}"),
            Call::Form(p, _) | Call::Multipart(p) => format!("POST {p}"),
            Call::Api(m, p, _) => format!("{m} {p}"),
            Call::ApiBody(p) => format!("POST {p}"),
        }
    }

    async fn run(&self, browser: &TestApp, token: &str) -> u16 {
        let res = self.send(browser, token).await;
        let status = res.status().as_u16();
        if std::env::var("ISOLATION_DEBUG").is_ok() && status == 400 {
            eprintln!(
                "{}: {}",
                self.describe(),
                res.text().await.unwrap_or_default()
            );
        }
        status
    }

    async fn send(&self, browser: &TestApp, token: &str) -> reqwest::Response {
        let api = reqwest::Client::new();
        let res = match self {
            Call::Get(p) => browser.get(p).await,
            Call::Form(p, fields) => {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                browser.post_form(p, &f).await
            }
            Call::Multipart(p) => {
                let form = Form::new().text("csrf_token", browser.csrf().await).part(
                    "files",
                    Part::bytes(b"fremd".to_vec()).file_name("fremd.txt"),
                );
                browser
                    .client
                    .post(browser.url(p))
                    .headers(browser.origin_header())
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
            }
            Call::Api(m, p, body) => {
                let mut req = api.request(m.clone(), browser.url(p)).bearer_auth(token);
                if let Some(b) = body {
                    req = req.json(b);
                }
                req.send().await.unwrap()
            }
            Call::ApiBody(p) => api
                .post(browser.url(p))
                .bearer_auth(token)
                .body(b"fremd".to_vec())
                .send()
                .await
                .unwrap(),
        };
        res
    }
}

#[tokio::test]
async fn no_role_of_another_tenant_reaches_anything_of_this_one() {
    let app = spawn_app().await;
    let a = setup_a(&app).await;
    let tenant_b = bote::db::tenants::create(
        &app.db,
        &bote::domain::slug::TenantSlug::parse("nachbarort").unwrap(),
        "Nachbarort",
        "de",
    )
    .await
    .unwrap()
    .unwrap();
    let (_, _, staff_b) = member_of_b(&app, &tenant_b.id, Role::Staff).await;
    // Background work of A itself (scans, the outbox) settles first, so that what is compared
    // afterwards can only have been changed by B.
    for _ in 0..300 {
        let busy: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN ('waiting', 'held'))
                  + (SELECT COUNT(*) FROM files WHERE scan_state = 'pending')",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if busy == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let before = snapshot(&app, &a.id).await;
    let a_ids = [
        &a.download,
        &a.upload,
        &a.file,
        &a.received,
        &a.staff,
        &a.mail,
    ];

    for role in [Role::Admin, Role::Auditor] {
        let (browser, token, _) = member_of_b(&app, &tenant_b.id, role).await;
        for call in calls(&a, &staff_b) {
            let status = call.run(&browser, &token).await;
            // A role that may do the thing in its own tenant must get "not found"; other roles
            // are refused before any id is looked at.
            let allowed: &[u16] = if role == Role::Admin {
                &[404]
            } else {
                &[403, 404]
            };
            assert!(
                allowed.contains(&status),
                "{role} of B: {} answered {status}",
                call.describe()
            );
        }
        // Lists and searches show nothing of A.
        let mut seen = String::new();
        for path in [
            "/links".to_string(),
            "/admin/users".to_string(),
            "/admin/files".to_string(),
            "/admin/mail".to_string(),
            "/audit".to_string(),
        ] {
            seen.push_str(&browser.get(&path).await.text().await.unwrap());
        }
        for path in [
            "/api/v1/links".to_string(),
            "/api/v1/audit?limit=500".to_string(),
            "/api/v1/audit/export?format=jsonl".to_string(),
        ] {
            seen.push_str(&app.api_get(&token, &path).await.text().await.unwrap());
        }
        for id in a_ids {
            assert!(!seen.contains(id.as_str()), "{role} of B saw {id}");
        }
        assert!(!seen.contains("Akte A") && !seen.contains("a.example"));
        // A search for A's link answers exactly as a search for a link that exists nowhere (the
        // filter itself is echoed, so both ids are blanked).
        let unknown = uuid::Uuid::new_v4().to_string();
        for (page, api) in [(true, false), (false, true)] {
            let mut answers = Vec::new();
            for id in [&a.download, &unknown] {
                let body = if page {
                    browser
                        .get(&format!("/audit?link={id}"))
                        .await
                        .text()
                        .await
                        .unwrap()
                } else {
                    let _ = api;
                    app.api_get(&token, &format!("/api/v1/audit?link={id}"))
                        .await
                        .text()
                        .await
                        .unwrap()
                };
                answers.push(body.replace(id.as_str(), "ID"));
            }
            assert_eq!(answers[0], answers[1], "{role} of B: search for A's link");
        }
    }
    // Staff of B, too (with its own links' rights).
    let (browser, token, _) = {
        let browser = app.another_browser();
        assert_eq!(
            browser
                .login("staff-b@b.example", PASSWORD)
                .await
                .status()
                .as_u16(),
            303
        );
        let user = users::by_email(&app.db, &EmailAddress::parse("staff-b@b.example").unwrap())
            .await
            .unwrap()
            .unwrap();
        let token = bote::auth::api_token::issue(&app.db, &user, "t2")
            .await
            .unwrap();
        (browser, token, user.id)
    };
    for call in calls(&a, &staff_b) {
        let status = call.run(&browser, &token).await;
        assert!(
            [403, 404].contains(&status),
            "staff of B: {} answered {status}",
            call.describe()
        );
    }
    let listed = app
        .api_get(&token, "/api/v1/links")
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&a.download) && !listed.contains(&a.upload));

    assert_eq!(snapshot(&app, &a.id).await, before, "tenant A is unchanged");
}
