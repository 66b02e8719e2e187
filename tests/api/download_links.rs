use std::time::Duration;

use bote::domain::role::Role;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{eicar, new_client, path_of, slow_hash, spawn_app, TestApp};

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn link_with_file(
    app: &TestApp,
    body: serde_json::Value,
    data: Vec<u8>,
) -> (String, String, String) {
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app.create_link(&token, body).await;
    let id = link["id"].as_str().unwrap().to_string();
    let file = app.upload(&token, &id, "Plan.pdf", data).await;
    assert_eq!(file["scan"], "clean", "{file}");
    (
        path_of(link["url"].as_str().unwrap()),
        file["id"].as_str().unwrap().to_string(),
        token,
    )
}

#[tokio::test]
async fn partner_downloads_a_clean_file_through_the_link() {
    let app = spawn_app().await;
    let data = payload(300_000);
    let (path, file_id, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "Bauplan", "message": "Hallo <b>Welt</b>"}),
        data.clone(),
    )
    .await;
    assert!(path.starts_with("/s/") && path.len() == 3 + 43);

    let page = new_client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Bauplan") && html.contains("Plan.pdf"));
    assert!(
        html.contains("Hallo &#60;b&#62;Welt") && !html.contains("<b>Welt"),
        "message is escaped"
    );

    let res = new_client()
        .get(app.url(&format!("{path}/files/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"Plan.pdf\""));
    assert_eq!(res.headers()["content-length"], "300000");
    let body = res.bytes().await.unwrap();
    assert_eq!(body.as_ref(), data.as_slice());

    tokio::time::sleep(Duration::from_millis(200)).await;
    let actions = app.audit_actions().await;
    for expected in [
        ("link.created", "success"),
        ("file.uploaded", "success"),
        ("file.scanned", "success"),
        ("link.opened", "success"),
        ("file.downloaded", "success"),
    ] {
        assert!(
            actions.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {actions:?}"
        );
    }
    let details: String =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'file.downloaded'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(
        details.contains("\"bytes_sent\":300000") && details.contains("\"completed\":true"),
        "{details}"
    );
}

#[tokio::test]
async fn api_reports_the_file_with_size_hash_and_scan_state() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "T", "expires_in_days": 3}),
        )
        .await;
    let id = link["id"].as_str().unwrap();
    let data = payload(1234);
    let file = app.upload(&token, id, "a.bin", data.clone()).await;
    assert_eq!(file["size"], 1234);
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(&data)));
    let got: serde_json::Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["files"][0]["scan"], "clean");
    assert_eq!(got["state"], "active");
    assert_eq!(got["url"], link["url"]);
    let listed: serde_json::Value = app
        .api_get(&token, "/api/v1/links")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["links"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn api_refuses_bad_link_requests_with_json_codes() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    for (body, code) in [
        (json!({"kind": "sideways", "title": "x"}), "link_kind"),
        (json!({"kind": "download", "title": ""}), "title"),
        (
            json!({"kind": "download", "title": "x", "expires_in_days": 999}),
            "expiry_too_late",
        ),
        (
            json!({"kind": "download", "title": "x", "expires_at": "2001-01-01T00:00:00Z"}),
            "expiry_past",
        ),
        (
            json!({"kind": "download", "title": "x", "expires_at": "tomorrow"}),
            "expiry_invalid",
        ),
        (
            json!({"kind": "download", "title": "x", "password": "short"}),
            "link_password_short",
        ),
        (
            json!({"kind": "download", "title": "x", "max_downloads": 0}),
            "max_downloads",
        ),
    ] {
        let res = app.api_post(&token, "/api/v1/links", body.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], code, "{body}");
    }
    let res = app
        .api_post(
            &token,
            "/api/v1/links",
            json!({"kind": "download", "titel": "x"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing was created");
}

#[tokio::test]
async fn password_protected_link_reveals_nothing_before_unlock() {
    let app = spawn_app().await;
    let (path, file_id, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "Geheim", "password": "sesam-oeffne-dich"}),
        payload(1000),
    )
    .await;
    let partner = TestApp::client_for(&app);
    let html = partner
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Geheim"));
    assert!(
        !html.contains("Plan.pdf") && !html.contains(&file_id),
        "no file before unlock"
    );
    let res = partner
        .get(app.url(&format!("{path}/files/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);

    let res = app.unlock(&partner, &path, "wrong-password").await;
    assert_eq!(res.status().as_u16(), 401);
    let res = app.unlock(&partner, &path, "sesam-oeffne-dich").await;
    assert_eq!(res.status().as_u16(), 303);
    let html = partner
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Plan.pdf"));
    let res = partner
        .get(app.url(&format!("{path}/files/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // The unlock belongs to this browser only.
    let other = new_client();
    let res = other
        .get(app.url(&format!("{path}/files/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn changing_the_password_ends_every_earlier_unlock() {
    let app = spawn_app().await;
    let (path, file_id, token) = link_with_file(
        &app,
        json!({"kind": "download", "title": "G", "password": "first-password"}),
        payload(100),
    )
    .await;
    let partner = TestApp::client_for(&app);
    app.unlock(&partner, &path, "first-password").await;
    let file_url = app.url(&format!("{path}/files/{file_id}"));
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

    let links: serde_json::Value = app
        .api_get(&token, "/api/v1/links")
        .await
        .json()
        .await
        .unwrap();
    let id = links["links"][0]["id"].as_str().unwrap();
    let user = bote::db::users::by_email(
        &app.db,
        &bote::domain::email::EmailAddress::parse("clerk@stadt.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let link = bote::db::links::in_tenant(&app.db, user.tenant_id.as_deref().unwrap(), id)
        .await
        .unwrap()
        .unwrap();
    let hash = bote::auth::password::hash("second-password".into())
        .await
        .unwrap();
    bote::sharing::links::change(
        &app.db,
        &user,
        &link,
        bote::db::links::LinkChanges {
            password_hash: Some(Some(hash)),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();

    assert_eq!(
        partner
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    app.unlock(&partner, &path, "second-password").await;
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
}

#[tokio::test]
async fn expiry_is_exact_on_every_path() {
    let app = spawn_app().await;
    let expires = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let expires_text = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (path, file_id, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "Kurz", "expires_at": expires_text}),
        payload(100),
    )
    .await;
    let file_url = app.url(&format!("{path}/files/{file_id}"));
    assert_eq!(
        new_client()
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let wait = expires - time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    tokio::time::sleep(Duration::from_millis(
        wait.whole_milliseconds().max(0) as u64
    ))
    .await;
    let c = new_client();
    assert_eq!(
        c.get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        c.get(&file_url).send().await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(
        c.head(&file_url).send().await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(
        c.get(&file_url)
            .header("range", "bytes=10-")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn download_limit_holds_under_25_concurrent_requests() {
    let app = spawn_app().await;
    let (path, file_id, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "Einmal", "max_downloads": 1}),
        payload(50_000),
    )
    .await;
    let url = app.url(&format!("{path}/files/{file_id}"));
    let requests = (0..25).map(|_| {
        let url = url.clone();
        async move {
            new_client()
                .get(url)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        24,
        "{statuses:?}"
    );
    // Used up: the page is dead too.
    assert_eq!(
        new_client()
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn head_and_ranges_work_and_only_a_counted_download_may_resume() {
    let app = spawn_app().await;
    let data = payload(10_000);
    let (path, file_id, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "R", "max_downloads": 1}),
        data.clone(),
    )
    .await;
    let url = app.url(&format!("{path}/files/{file_id}"));
    let c = new_client();
    let head = c.head(&url).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["content-length"], "10000");
    assert_eq!(head.headers()["accept-ranges"], "bytes");
    let bad = c
        .get(&url)
        .header("range", "bytes=20000-")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 416);

    // Ranges that skip the first byte cannot be used to avoid the limit.
    let sneaky = new_client();
    let res = sneaky
        .get(&url)
        .header("range", "bytes=1-")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        404,
        "no resume without a counted download"
    );

    // The first byte counts: this is the one download; it is interrupted after 100 bytes.
    let first = c
        .get(&url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 206);
    assert_eq!(first.bytes().await.unwrap().as_ref(), &data[..100]);

    // The same browser resumes, also now that the limit is used up; nobody else can.
    let part = c
        .get(&url)
        .header("range", "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-9999/10000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &data[100..]);
    let res = sneaky
        .get(&url)
        .header("range", "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        c.get(&url).send().await.unwrap().status().as_u16(),
        404,
        "a new whole download is refused"
    );
    assert_eq!(
        new_client()
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn hostile_file_names_are_stored_and_sent_safely() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let file = app
        .upload(
            &token,
            id,
            "../../etc/pass\"wd\r\nX-Evil: 1<script>.txt",
            b"hello".to_vec(),
        )
        .await;
    let name = file["name"].as_str().unwrap();
    assert!(
        !name.contains('/') && !name.contains('\r') && !name.contains('"'),
        "{name}"
    );
    let path = path_of(link["url"].as_str().unwrap());
    let html = new_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>.txt"), "escaped on the page");
    let res = new_client()
        .get(app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("x-evil").is_none());
    let cd = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''"),
        "{cd}"
    );
    // Storage keys never come from names.
    let key: String = sqlx::query_scalar("SELECT storage_key FROM files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(key.starts_with("blobs/") && !key.contains("etc"));
}

#[tokio::test]
async fn every_dead_link_looks_the_same() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let revoked = app
        .create_link(&token, json!({"kind": "download", "title": "weg"}))
        .await;
    let res = reqwest::Client::new()
        .delete(app.url(&format!(
            "/api/v1/links/{}",
            revoked["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let exhausted = app
        .create_link(
            &token,
            json!({"kind": "download", "title": "x", "max_downloads": 1}),
        )
        .await;
    sqlx::query("UPDATE links SET download_count = 1 WHERE id = $1")
        .bind(exhausted["id"].as_str().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let expired = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    sqlx::query("UPDATE links SET expires_at = 0 WHERE id = $1")
        .bind(expired["id"].as_str().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let paths = [
        path_of(revoked["url"].as_str().unwrap()),
        path_of(exhausted["url"].as_str().unwrap()),
        path_of(expired["url"].as_str().unwrap()),
        format!("/s/{}", "A".repeat(43)),
        "/s/short".to_string(),
    ];
    let mut bodies = Vec::new();
    for p in &paths {
        let res = new_client().get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "{p}");
        // The page's own path appears in the language switch; it is the only other difference.
        let body = res.text().await.unwrap().replace(p.as_str(), "/s/PATH");
        // Only the CSRF token (a fresh cookie per browser) may differ.
        bodies.push(
            body.split("csrf_token\" value=\"")
                .map(|s| s.split_once('"').map(|x| x.1).unwrap_or(s))
                .collect::<String>(),
        );
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "pages differ");
}

#[tokio::test]
async fn infected_file_is_never_served() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let file = app.upload(&token, id, "eicar.com", eicar()).await;
    assert_eq!(file["scan"], "infected", "{file}");
    assert!(file["scan_detail"].as_str().unwrap().contains("UNOFFICIAL"));
    let path = path_of(link["url"].as_str().unwrap());
    let html = new_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("eicar.com"));
    let res = new_client()
        .get(app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let blobs = std::fs::read_dir(app.data_dir().join("files/blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0, "the infected blob was removed from storage");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_link() {
    let app = spawn_app().await;
    let (path, _, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "x", "password": "the-right-one"}),
        payload(10),
    )
    .await;
    let partner = TestApp::client_for(&app);
    let mut last = 0;
    for i in 0..10 {
        last = app
            .unlock(&partner, &path, &format!("guess-{i}"))
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    // Even the right password is refused now, from any address.
    let res = app
        .unlock(&TestApp::client_for(&app), &path, "the-right-one")
        .await;
    assert_eq!(res.status().as_u16(), 429);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("link.locked".into(), "refused".into())));
}

#[tokio::test]
async fn all_clean_files_come_as_one_streamed_zip() {
    use std::io::Read;
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "Akte 12/3", "password": "zip-password", "max_downloads": 1}))
        .await;
    let id = link["id"].as_str().unwrap();
    let a = payload(70_000);
    app.upload(&token, id, "Plan.pdf", a.clone()).await;
    app.upload(&token, id, "plan.pdf", b"second".to_vec()).await;
    app.upload(&token, id, "virus.com", eicar()).await;
    let path = path_of(link["url"].as_str().unwrap());
    let partner = TestApp::client_for(&app);
    let res = partner
        .get(app.url(&format!("{path}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404, "locked link gives no ZIP");
    app.unlock(&partner, &path, "zip-password").await;

    let res = partner
        .get(app.url(&format!("{path}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let len: usize = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = res.bytes().await.unwrap();
    assert_eq!(body.len(), len);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec())).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["Plan.pdf", "plan (2).pdf"],
        "only clean files, unique names"
    );
    let mut got = Vec::new();
    archive
        .by_name("Plan.pdf")
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, a);

    // The ZIP was the one allowed download.
    let res = partner
        .get(app.url(&format!("{path}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app
        .audit_actions()
        .await
        .contains(&("zip.downloaded".into(), "success".into())));
}

/// Regression: the API handed auditors the public URLs, through which they could fetch files.
#[tokio::test]
async fn auditors_never_get_a_working_link_url() {
    let app = spawn_app().await;
    let (_, staff) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&staff, json!({"kind": "download", "title": "x"}))
        .await;
    let (_, auditor) = app.api_user("pruefung@stadt.example", Role::Auditor).await;
    let listed: serde_json::Value = app
        .api_get(&auditor, "/api/v1/links")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["links"].as_array().unwrap().len(),
        1,
        "auditors see every link"
    );
    assert!(listed["links"][0]["url"].is_null());
    let one: serde_json::Value = app
        .api_get(
            &auditor,
            &format!("/api/v1/links/{}", link["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(one["url"].is_null());
    assert!(!one
        .to_string()
        .contains(&path_of(link["url"].as_str().unwrap())));
}

/// Regression: parallel wrong passwords all passed the lock check before any was counted.
#[tokio::test]
async fn parallel_wrong_passwords_cannot_exceed_the_limit() {
    let app = spawn_app().await;
    let (path, _, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "x", "password": "right-password"}),
        payload(10),
    )
    .await;
    let html = new_client().get(app.url(&path)).send().await.unwrap();
    drop(html);
    let attempts = (0..30).map(|i| {
        let app = &app;
        let path = path.clone();
        async move {
            let partner = TestApp::client_for(app);
            app.unlock(&partner, &path, &format!("wrong-{i}"))
                .await
                .status()
                .as_u16()
        }
    });
    futures_util::future::join_all(attempts).await;
    let checked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'link.unlock' AND outcome = 'failure'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        checked <= 10,
        "{checked} passwords were checked, the limit is 10"
    );
    let res = app
        .unlock(&TestApp::client_for(&app), &path, "right-password")
        .await;
    assert_eq!(res.status().as_u16(), 429);
}

/// Regression: a file that looks like a ZIP with a broken directory caused a 500 and an orphan blob.
#[tokio::test]
async fn broken_zip_directory_is_held_not_an_error() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let mut data = b"PK\x03\x04".to_vec();
    data.extend(vec![0x41; 100]);
    // End of central directory: size 0, offset 0.
    data.extend(b"PK\x05\x06");
    data.extend([0u8; 18]);
    let file = app
        .upload(&token, link["id"].as_str().unwrap(), "odd.zip", data)
        .await;
    assert_eq!(file["scan"], "unscannable", "{file}");
    let blobs = std::fs::read_dir(app.data_dir().join("files/blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 1, "exactly the one held file, no orphans");
}

/// Upload links never hand out what they received through the download paths.
#[tokio::test]
async fn download_paths_serve_download_links_only() {
    let app = spawn_app().await;
    let user = app.create_user("clerk@stadt.example", Role::Staff).await;
    let token = bote::domain::secret::random_token();
    let id: String = bote::db::new_id();
    sqlx::query(
        "INSERT INTO links (id, tenant_id, owner_id, kind, token_hash, token_sealed, title, message,
            expires_at, password_version, download_count, created_at, updated_at)
         VALUES ($1, $2, $3, 'upload', $4, 'x', 't', '', $5, 0, 0, 0, 0)",
    )
    .bind(&id)
    .bind(user.tenant_id.as_deref().unwrap())
    .bind(&user.id)
    .bind(bote::domain::secret::secret_hash(&token))
    .bind(bote::domain::time::now_ms() + 3_600_000)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let file_id = bote::db::new_id();
    for p in [
        format!("/s/{token}/zip"),
        format!("/s/{token}/files/{file_id}"),
    ] {
        assert_eq!(
            new_client()
                .get(app.url(&p))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            404,
            "{p}"
        );
    }
}

#[tokio::test]
async fn ended_links_lose_their_files_but_keep_their_record() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "weg"}))
        .await;
    let id = link["id"].as_str().unwrap();
    app.upload(&token, id, "a.txt", b"inhalt".to_vec()).await;
    let kept = app
        .create_link(&token, json!({"kind": "download", "title": "bleibt"}))
        .await;
    app.upload(
        &token,
        kept["id"].as_str().unwrap(),
        "b.txt",
        b"inhalt".to_vec(),
    )
    .await;
    let blobs = || {
        std::fs::read_dir(app.data_dir().join("files/blobs"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(blobs(), 2);

    let res = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/links/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let store = bote::startup::blob_store(
        &bote::config::Settings::from_sources(
            None,
            &[("BOTE_DATA_DIR".into(), app.data_dir().display().to_string())],
        )
        .unwrap(),
    )
    .unwrap();
    let purged = bote::jobs::purge::run_once(&app.db, &store).await.unwrap();
    assert_eq!(purged, 1, "only the revoked link (retention 0 days)");
    assert_eq!(
        blobs(),
        1,
        "its file is gone from storage, the active link's file stays"
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("link.purged".into(), "success".into())));
    assert!(
        actions.contains(&("link.revoked".into(), "success".into())),
        "the record outlives the files"
    );
    assert_eq!(
        bote::jobs::purge::run_once(&app.db, &store).await.unwrap(),
        0,
        "purged once"
    );
}

/// A wrong link password is counted and recorded even when the partner resets the connection
/// before the answer (actix then drops the request's future).
#[tokio::test]
async fn a_wrong_link_password_is_recorded_even_when_the_partner_hangs_up() {
    let app = spawn_app().await;
    let (path, _, _) = link_with_file(
        &app,
        json!({"kind": "download", "title": "x", "password": "the-right-one"}),
        payload(10),
    )
    .await;
    // The hang-up surely comes while the server checks the password.
    sqlx::query("UPDATE links SET password_hash = $1")
        .bind(slow_hash("the-right-one"))
        .execute(&app.db.pool)
        .await
        .unwrap();
    let partner = app.another_browser();
    assert_eq!(partner.get(&path).await.status().as_u16(), 200);
    // The attempt is counted before the password is checked: once both counts are there,
    // the check is running.
    let counted = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT failures FROM login_throttle WHERE key LIKE 'unlock-%' ORDER BY key",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    };
    partner
        .post_form_then_hang_up(&path, &[("password", "guess")], async {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while counted().await.len() < 2 {
                assert!(std::time::Instant::now() < deadline, "the try arrives");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !app
        .audit_actions()
        .await
        .contains(&("link.unlock".into(), "failure".into()))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the failed try is recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        counted().await,
        vec![1, 1],
        "counted for the link and the address"
    );
}
