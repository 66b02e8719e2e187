//! Upload links: partners send files in (browser form, script, curl), limits hold while bytes
//! arrive, nothing of a refused or broken upload stays, the link never gives anything back, and
//! staff see, fetch and are told about what arrived.

use std::time::Duration;

use bote::domain::role::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::helpers::{eicar, extract_csrf, new_client, path_of, spawn_app, TestApp};

/// A minimal PDF: enough for content detection.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Creates an upload link through the API; returns its JSON and its public path.
async fn upload_link(app: &TestApp, token: &str, extra: Value) -> (Value, String) {
    let mut body = json!({ "kind": "upload", "title": "Bauantrag Müller" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let link = app.create_link(token, body).await;
    let path = path_of(link["url"].as_str().unwrap());
    (link, path)
}

fn form(files: &[(&str, &[u8])]) -> Form {
    files.iter().fold(Form::new(), |f, (name, data)| {
        f.part(
            "files",
            Part::bytes(data.to_vec()).file_name(name.to_string()),
        )
    })
}

/// Sends files like curl does: no cookies, `Accept: */*`.
async fn curl_upload(app: &TestApp, path: &str, form: Form) -> reqwest::Response {
    new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "*/*")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn json_upload(app: &TestApp, path: &str, form: Form) -> reqwest::Response {
    new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn file_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn submission_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM submissions")
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

async fn refusals(app: &TestApp) -> Vec<(Option<String>, String)> {
    sqlx::query_as(
        "SELECT reason, details FROM audit_events WHERE action = 'upload.refused' ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
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

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

#[tokio::test]
async fn partner_sends_several_files_with_curl_and_staff_download_them_once_clean() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (link, path) = upload_link(&app, &token, json!({})).await;
    let a = b"first file".to_vec();
    let b = vec![7u8; 300_000];
    let res = curl_upload(&app, &path, form(&[("a.txt", &a), ("plan.bin", &b)])).await;
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let receipt = res.text().await.unwrap();
    assert!(receipt.contains(&sha256_hex(&a)) && receipt.contains("a.txt"));
    assert!(receipt.contains(&sha256_hex(&b)) && receipt.contains("plan.bin"));
    assert!(receipt.contains("clean"), "{receipt}");

    let id = link["id"].as_str().unwrap();
    let shown: Value = app
        .api_get(&token, &format!("/api/v1/links/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let files = shown["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f["scan"] == "clean"));
    assert_eq!(shown["received_files"], 2);
    assert_eq!(shown["submissions"][0]["files"], 2);
    let plan = files.iter().find(|f| f["name"] == "plan.bin").unwrap();
    let res = app
        .api_get(
            &token,
            &format!("/api/v1/links/{id}/files/{}", plan["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), b);
}

#[tokio::test]
async fn browser_form_leads_to_a_receipt_only_that_browser_can_open() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "require_identity": true })).await;
    let browser = new_client();
    let page = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let csrf = extract_csrf(&page).unwrap();
    let form = Form::new()
        .text("csrf_token", csrf)
        .text("sender_name", "Anna Architektin")
        .text("sender_email", "anna@example.org")
        .part("files", Part::bytes(PDF.to_vec()).file_name("Plan.pdf"));
    let res = browser
        .post(app.url(&format!("{path}/files")))
        .headers(app.origin_header())
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let receipt_path = res.headers()["location"].to_str().unwrap().to_string();
    assert!(receipt_path.starts_with(&format!("{path}/receipt/")));
    let receipt = browser.get(app.url(&receipt_path)).send().await.unwrap();
    assert_eq!(receipt.status().as_u16(), 200);
    let html = receipt.text().await.unwrap();
    assert!(html.contains("Plan.pdf") && html.contains(&sha256_hex(PDF)));
    assert!(html.contains("Anna Architektin"));
    assert!(html.contains("data-print"));

    let stranger = new_client()
        .get(app.url(&receipt_path))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status().as_u16(), 404);
    assert!(!stranger.text().await.unwrap().contains("Plan.pdf"));
}

#[tokio::test]
async fn browser_post_without_its_csrf_token_stores_nothing() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({})).await;
    let browser = new_client();
    browser.get(app.url(&path)).send().await.unwrap();
    let res = browser
        .post(app.url(&format!("{path}/files")))
        .headers(app.origin_header())
        .header("accept", "text/html")
        .multipart(form(&[("a.txt", b"data")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
}

#[tokio::test]
async fn a_file_over_the_link_limit_is_cut_off_mid_stream_and_nothing_is_kept() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "max_file_bytes": 1_048_576 })).await;
    let small = b"fits".to_vec();
    let big = vec![1u8; 5 * 1_048_576];
    let res = curl_upload(&app, &path, form(&[("ok.txt", &small), ("big.bin", &big)])).await;
    assert_eq!(res.status().as_u16(), 413);
    let body = res.text().await.unwrap();
    assert!(body.contains("big.bin"), "{body}");
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(submission_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0, "the first file went too");
    let refused = refusals(&app).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0.as_deref(), Some("file size limit"));
    assert!(refused[0].1.contains("big.bin"));
}

#[tokio::test]
async fn a_missing_content_length_changes_nothing_about_the_limit() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "max_file_bytes": 1_048_576 })).await;
    // A streamed part has no length: the request goes out chunked.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![2u8; 64 * 1024])).collect();
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name("streamed.bin");
    let res = curl_upload(&app, &path, Form::new().part("files", part)).await;
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
}

#[tokio::test]
async fn total_size_and_file_count_limits_refuse_the_whole_submission() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "max_bytes": 1_500_000 })).await;
    let mib = vec![3u8; 1_048_576];
    let res = json_upload(&app, &path, form(&[("one.bin", &mib), ("two.bin", &mib)])).await;
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upload_total_too_large");
    assert_eq!(body["error"]["file"], "two.bin");

    let (_, path) = upload_link(&app, &token, json!({ "max_files": 2 })).await;
    let res = json_upload(&app, &path, form(&[("1", b"a"), ("2", b"b"), ("3", b"c")])).await;
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upload_too_many_files");
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
    // Within the limit it works, and the budget shrinks by what arrived.
    let res = json_upload(&app, &path, form(&[("1", b"a"), ("2", b"b")])).await;
    assert_eq!(res.status().as_u16(), 201);
    let res = json_upload(&app, &path, form(&[("3", b"c")])).await;
    assert_eq!(res.status().as_u16(), 404, "a used-up link is a dead end");
}

#[tokio::test]
async fn concurrent_submissions_never_exceed_the_file_limit_together() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "max_files": 2 })).await;
    let sends = (0..6).map(|i| {
        let name = format!("f{i}.txt");
        json_upload(&app, &path, form(&[(name.as_str(), b"same budget")]))
    });
    let results = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(accepted, 2, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 413 || *s == 404),
        "the others are refused cleanly: {statuses:?}"
    );
    assert_eq!(file_count(&app).await, 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        stored_blobs(&app).await,
        2,
        "refused submissions left nothing"
    );
}

#[tokio::test]
async fn file_types_are_checked_by_content_and_name() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "allowed_types": ["pdf"] })).await;
    let res = json_upload(&app, &path, form(&[("renamed.pdf", b"just some text")])).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(status, 415, "{text}");
    let res: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(res["error"]["file"], "renamed.pdf");
    let res = json_upload(&app, &path, form(&[("plan.exe", PDF)])).await;
    assert_eq!(res.status().as_u16(), 415);
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
    let res = json_upload(&app, &path, form(&[("plan.pdf", PDF)])).await;
    assert_eq!(res.status().as_u16(), 201);
    let refused = refusals(&app).await;
    assert_eq!(refused.len(), 2);
    assert!(refused
        .iter()
        .all(|r| r.0.as_deref() == Some("file type not allowed")));
}

/// A multipart body written byte for byte, so that file names reach the server exactly as a
/// hostile client would send them.
/// A name starting with `*` is sent as RFC 5987 `filename*=UTF-8''…` (percent-encoded: the way
/// NUL, CR and LF can travel in a header at all).
fn raw_multipart(boundary: &str, files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(b"Content-Disposition: form-data; name=\"files\"; ");
        if let Some(encoded) = name.strip_prefix(b"*") {
            body.extend_from_slice(b"filename*=UTF-8''");
            body.extend_from_slice(encoded);
            body.extend_from_slice(b"\r\n");
        } else {
            body.extend_from_slice(b"filename=\"");
            body.extend_from_slice(name);
            body.extend_from_slice(b"\"\r\n");
        }
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn hostile_file_names_are_stored_safely_and_shown_escaped() {
    let app = spawn_app().await;
    let (user, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (link, path) = upload_link(&app, &token, json!({})).await;
    let long = "a".repeat(300) + ".txt";
    let names: Vec<&[u8]> = vec![
        b"../../x",
        b"..\\x",
        b"%2e%2e/evil",
        b"*nul%00byte.txt",
        b"*line%0D%0Abreak.txt",
        b"*..%2F..%2Fetc%2Fpasswd",
        b"C:\\Windows\\system32\\cmd.exe",
        long.as_bytes(),
        b"CON.txt",
        "\u{202e}fdp.exe".as_bytes(),
        b"<script>alert(1)</script>.txt",
        b"same.txt",
        b"same.txt",
    ];
    let files: Vec<(&[u8], &[u8])> = names.iter().map(|n| (*n, &b"content"[..])).collect();
    let boundary = "bote-test-boundary";
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .header("accept", "application/json")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(raw_multipart(boundary, &files))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT name, storage_key FROM files ORDER BY created_at, id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        stored.len(),
        names.len(),
        "same names are kept side by side"
    );
    for (name, key) in &stored {
        assert!(
            !name.contains(['/', '\\', '\0', '\r', '\n', '\u{202e}']),
            "{name:?}"
        );
        assert!(
            !name.starts_with('.') && name.chars().count() <= 180,
            "{name:?}"
        );
        assert!(!name.contains('<'), "{name:?}");
        assert!(key.starts_with("blobs/") && key.len() == "blobs/".len() + 32);
    }
    assert!(stored.iter().any(|(n, _)| n == "_CON.txt"));
    let blobs = std::fs::read_dir(app.data_dir().join("files/blobs")).unwrap();
    assert_eq!(
        blobs.count(),
        names.len(),
        "nothing outside the blob folder"
    );

    let staff = app.client.clone();
    app.login(&user.email, crate::helpers::PASSWORD).await;
    let html = staff
        .get(app.url(&format!("/links/{}", link["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("_CON.txt"));
}

#[tokio::test]
async fn a_dropped_connection_leaves_no_file_and_no_blob() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({})).await;
    let boundary = "drop-boundary";
    let body = raw_multipart(boundary, &[(b"half.bin", &vec![5u8; 4 * 1_048_576])]);
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path}/files HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(stream);
    // The server notices, aborts the blob and records why.
    let mut waited = 0;
    while refusals(&app).await.is_empty() && waited < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(submission_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
    let refused = refusals(&app).await;
    assert_eq!(refused[0].0.as_deref(), Some("upload interrupted"));
}

#[tokio::test]
async fn the_link_never_gives_back_what_it_received() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (link, path) = upload_link(&app, &token, json!({})).await;
    let res = json_upload(&app, &path, form(&[("secret-plan.txt", b"confidential")])).await;
    assert_eq!(res.status().as_u16(), 201);
    let first: Value = res.json().await.unwrap();
    let res = json_upload(&app, &path, form(&[("secret-plan.txt", b"other content")])).await;
    assert_eq!(res.status().as_u16(), 201);
    let second: Value = res.json().await.unwrap();
    // The same answer for the same name: no hint that it exists already.
    assert_eq!(first["files"][0]["name"], second["files"][0]["name"]);
    assert_ne!(first["submission"], second["submission"]);

    let page = new_client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(!page.text().await.unwrap().contains("secret-plan"));
    let shown: Value = app
        .api_get(
            &token,
            &format!("/api/v1/links/{}", link["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    let unknown = new_client()
        .get(app.url("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for f in shown["files"].as_array().unwrap() {
        let res = new_client()
            .get(app.url(&format!("{path}/files/{}", f["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(
            without_frame(&res.text().await.unwrap()),
            without_frame(&unknown)
        );
    }
    let zip = new_client()
        .get(app.url(&format!("{path}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status().as_u16(), 404);
    // Another sender's receipt is not reachable without its cookie.
    let other_receipt = new_client()
        .get(app.url(&format!(
            "{path}/receipt/{}",
            first["submission"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(other_receipt.status().as_u16(), 404);
}

#[tokio::test]
async fn expired_revoked_closed_and_used_up_links_refuse_like_unknown_ones() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let unknown_path = "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let send = |path: String| {
        let app = &app;
        async move {
            let res = new_client()
                .post(app.url(&format!("{path}/files")))
                .header("accept", "text/html")
                .multipart(form(&[("a.txt", b"data")]))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (status, neutral) = send(unknown_path.to_string()).await;
    assert_eq!(status, 404);

    let (expired, expired_path) = upload_link(&app, &token, json!({})).await;
    sqlx::query("UPDATE links SET expires_at = 1 WHERE id = $1")
        .bind(expired["id"].as_str().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (revoked, revoked_path) = upload_link(&app, &token, json!({})).await;
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
    let (closed, closed_path) = upload_link(&app, &token, json!({})).await;
    let res = app
        .api_post(
            &token,
            &format!("/api/v1/links/{}/close", closed["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "closed");
    let (_, single_path) = upload_link(&app, &token, json!({ "single_use": true })).await;
    assert_eq!(
        json_upload(&app, &single_path, form(&[("first.txt", b"x")]))
            .await
            .status()
            .as_u16(),
        201
    );
    let before = file_count(&app).await;
    for path in [expired_path, revoked_path, closed_path, single_path] {
        let (status, body) = send(path.clone()).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(without_frame(&body), without_frame(&neutral), "{path}");
    }
    assert_eq!(file_count(&app).await, before);
    let reasons: Vec<Option<String>> =
        sqlx::query_scalar("SELECT reason FROM audit_events WHERE action = 'upload.refused'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    for r in ["unknown token", "expired", "revoked", "closed"] {
        assert!(reasons.iter().any(|x| x.as_deref() == Some(r)), "{r}");
    }

    // Reopened, the closed link takes files again.
    let res = app
        .api_post(
            &token,
            &format!("/api/v1/links/{}/reopen", closed["id"].as_str().unwrap()),
            json!({ "expires_in_days": 3 }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "active");
}

#[tokio::test]
async fn a_protected_link_takes_files_only_after_the_password() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "password": "open sesame 42" })).await;
    let page = new_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("multipart/form-data"),
        "no form before unlock"
    );
    let res = curl_upload(&app, &path, form(&[("a.txt", b"x")])).await;
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .basic_auth("", Some("wrong password"))
        .multipart(form(&[("a.txt", b"x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = new_client()
        .post(app.url(&format!("{path}/files")))
        .basic_auth("", Some("open sesame 42"))
        .multipart(form(&[("a.txt", b"x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(file_count(&app).await, 1);

    // A browser unlocks with the form, then sees the upload form.
    let browser = new_client();
    let res = app.unlock(&browser, &path, "open sesame 42").await;
    assert_eq!(res.status().as_u16(), 303);
    let page = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("multipart/form-data"));
}

#[tokio::test]
async fn identity_is_required_when_the_link_asks_and_nothing_is_kept_without_it() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "require_identity": true })).await;
    let res = json_upload(&app, &path, form(&[("a.txt", b"x")])).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "sender_required"
    );
    let res = json_upload(
        &app,
        &path,
        form(&[("a.txt", b"x")])
            .text("sender_name", "Bob")
            .text("sender_email", "not an address"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(file_count(&app).await, 0);
    assert_eq!(stored_blobs(&app).await, 0);
    let res = json_upload(
        &app,
        &path,
        Form::new()
            .text("sender_name", "Bob Builder")
            .text("sender_email", "bob@example.org")
            .part("files", Part::bytes(b"x".to_vec()).file_name("a.txt")),
    )
    .await;
    assert_eq!(res.status().as_u16(), 201);
    let (name, email, addr): (Option<String>, Option<String>, String) =
        sqlx::query_as("SELECT sender_name, sender_email, client_addr FROM submissions")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(name.as_deref(), Some("Bob Builder"));
    assert_eq!(email.as_deref(), Some("bob@example.org"));
    assert_eq!(addr, "127.0.0.1");
}

#[tokio::test]
async fn every_step_of_a_submission_is_recorded_with_the_sender() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (link, path) = upload_link(&app, &token, json!({ "password": "open sesame 42" })).await;
    let browser = new_client();
    app.unlock(&browser, &path, "open sesame 42").await;
    let page = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page).unwrap();
    let form = Form::new()
        .text("csrf_token", csrf)
        .text("sender_name", "Carla")
        .text("sender_email", "carla@example.org")
        .part(
            "files",
            Part::bytes(b"hello".to_vec()).file_name("note.txt"),
        );
    let res = browser
        .post(app.url(&format!("{path}/files")))
        .headers(app.origin_header())
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let events: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT action, outcome, client_addr, details FROM audit_events
         WHERE link_id = $1 ORDER BY occurred_at, seq",
    )
    .bind(link["id"].as_str().unwrap())
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    for a in [
        "link.created",
        "link.opened",
        "link.unlock",
        "file.uploaded",
        "file.scanned",
        "submission.received",
    ] {
        assert!(actions.contains(&a), "{a} missing in {actions:?}");
    }
    let uploaded = events.iter().find(|e| e.0 == "file.uploaded").unwrap();
    assert_eq!(uploaded.2.as_deref(), Some("127.0.0.1"));
    for needle in [
        "Carla",
        "carla@example.org",
        "note.txt",
        &sha256_hex(b"hello"),
    ] {
        assert!(uploaded.3.contains(needle), "{needle} in {}", uploaded.3);
    }
    let report = bote::audit::verify::verify(&app.db, None).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
}

#[tokio::test]
async fn the_owner_gets_one_notice_per_submission_listing_every_verdict() {
    let app = spawn_app().await;
    let (user, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({ "notify_uploads": true })).await;
    let res = json_upload(
        &app,
        &path,
        form(&[("one.txt", b"1"), ("two.txt", b"2"), ("bad.com", &eicar())])
            .text("sender_name", "Dora"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["files"][2]["scan"], "infected");
    let mails: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT recipient, subject, body_text FROM outbox WHERE kind = 'files_received'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(mails.len(), 1, "one message for the submission");
    let (to, subject, text) = &mails[0];
    assert_eq!(to, &user.email);
    assert!(
        subject.contains('3') && subject.contains("Bauantrag"),
        "{subject}"
    );
    for needle in ["one.txt", "two.txt", "bad.com", "Dora"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    // A second submission, a second notice; a link without notices sends none.
    json_upload(&app, &path, form(&[("three.txt", b"3")])).await;
    let (_, quiet) = upload_link(&app, &token, json!({})).await;
    json_upload(&app, &quiet, form(&[("four.txt", b"4")])).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'files_received'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn only_owners_and_admins_download_received_files_auditors_and_colleagues_do_not() {
    let app = spawn_app().await;
    let (_, owner) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, colleague) = app.api_user("other@example.org", Role::Staff).await;
    let (_, auditor) = app.api_user("audit@example.org", Role::Auditor).await;
    let (_, admin) = app.api_user("admin@example.org", Role::Admin).await;
    let (link, path) = upload_link(&app, &owner, json!({})).await;
    let res = json_upload(&app, &path, form(&[("a.txt", b"abc")])).await;
    assert_eq!(res.status().as_u16(), 201);
    let id = link["id"].as_str().unwrap();
    let file_id: String = sqlx::query_scalar("SELECT id FROM files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let url = format!("/api/v1/links/{id}/files/{file_id}");
    assert_eq!(app.api_get(&owner, &url).await.status().as_u16(), 200);
    assert_eq!(app.api_get(&admin, &url).await.status().as_u16(), 200);
    assert_eq!(app.api_get(&auditor, &url).await.status().as_u16(), 403);
    assert_eq!(app.api_get(&colleague, &url).await.status().as_u16(), 404);
    let staff_downloads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'file.downloaded' AND actor_kind = 'user'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    // The transfer is recorded when the body ends; give it a moment.
    let mut n = staff_downloads;
    for _ in 0..20 {
        if n == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        n = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'file.downloaded' AND actor_kind = 'user'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    }
    assert_eq!(n, 2);
}

#[tokio::test]
async fn staff_create_an_upload_link_in_the_browser_and_fetch_what_arrived_as_zip() {
    let app = spawn_app().await;
    app.signed_in("clerk@example.org", Role::Staff).await;
    let res = app
        .post_form(
            "/links/new-upload",
            &[
                ("title", "Unterlagen Bauantrag"),
                ("message", "Bitte Pläne als PDF"),
                ("expires_days", "7"),
                ("password_mode", "none"),
                ("max_files", "5"),
                ("max_file_mib", "2"),
                ("type_pdf", "1"),
                ("type_text", "1"),
                ("require_identity", "1"),
                ("notify_uploads", "1"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let start = html.find("id=\"link-url\" readonly value=\"").unwrap() + 30;
    let url = &html[start..start + html[start..].find('"').unwrap()];
    let path = path_of(url);
    let (types, max_file, max_files, identity): (String, i64, i64, i64) = sqlx::query_as(
        "SELECT allowed_types, max_file_bytes, max_files, require_identity FROM links",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (types.as_str(), max_file, max_files, identity),
        ("pdf,text", 2 * 1_048_576, 5, 1)
    );
    let page = new_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Bitte Pläne als PDF"));
    assert!(
        page.contains("accept=\".pdf,.txt"),
        "the form names the accepted kinds"
    );
    let res = json_upload(
        &app,
        &path,
        form(&[("a.pdf", PDF), ("b.txt", b"text")])
            .text("sender_name", "Eva")
            .text("sender_email", "eva@example.org"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 201);
    let link_id: String = sqlx::query_scalar("SELECT id FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let detail = app
        .get(&format!("/links/{link_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("eva@example.org") && detail.contains("application/pdf"));
    let zip = app.get(&format!("/links/{link_id}/zip")).await;
    assert_eq!(zip.status().as_u16(), 200);
    let bytes = zip.bytes().await.unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(archive.len(), 2);
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["a.pdf", "b.txt"]);
}

#[tokio::test]
async fn api_refuses_upload_settings_that_make_no_sense() {
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    for (body, code) in [
        (
            json!({ "kind": "download", "title": "x", "max_files": 3 }),
            "upload_fields_on_download",
        ),
        (
            json!({ "kind": "upload", "title": "x", "max_downloads": 3 }),
            "max_downloads_on_upload",
        ),
        (
            json!({ "kind": "upload", "title": "x", "allowed_types": ["exe"] }),
            "allowed_types",
        ),
        (
            json!({ "kind": "upload", "title": "x", "max_file_bytes": 1_i64 << 50 }),
            "max_file_bytes",
        ),
        (
            json!({ "kind": "upload", "title": "x", "max_files": 0 }),
            "max_files",
        ),
    ] {
        let res = app.api_post(&token, "/api/v1/links", body.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{body}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            code,
            "{body}"
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// Regression: an empty file part whose body ends without the closing boundary made the part
/// reader spin forever on its "incomplete" error, taking a whole worker with it.
#[tokio::test]
async fn an_unterminated_empty_file_part_is_refused_and_does_not_hang_the_server() {
    use tokio::io::AsyncReadExt;
    let app = spawn_app().await;
    let (_, token) = app.api_user("clerk@example.org", Role::Staff).await;
    let (_, path) = upload_link(&app, &token, json!({})).await;
    let body = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n\r\nabc";
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path}/files HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers instead of spinning")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let health = tokio::time::timeout(
        Duration::from_secs(5),
        new_client().get(app.url("/healthz")).send(),
    )
    .await
    .expect("still answering")
    .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(file_count(&app).await, 0);
}
