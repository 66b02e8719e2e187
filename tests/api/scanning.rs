use std::process::{Child, Command};
use std::time::Duration;

use bote::domain::role::Role;
use serde_json::json;

use crate::helpers::{new_client, path_of, spawn_app_with, TestOptions};

/// A clamd of this test's own (same signatures as the shared one, its own port), so stopping
/// it does not disturb other tests.
struct OwnClamd {
    port: u16,
    config: std::path::PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl OwnClamd {
    fn prepare() -> OwnClamd {
        let shared = std::env::var("BOTE_TEST_CLAMD_CONFIG")
            .expect("run through scripts/test (BOTE_TEST_CLAMD_CONFIG)");
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = std::fs::read_to_string(shared).unwrap();
        // Its own copy of the signatures, so a test can teach it new ones.
        let db = dir.path().join("db");
        std::fs::create_dir_all(&db).unwrap();
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clamav");
        for entry in std::fs::read_dir(fixtures).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ndb" || e == "hdb") {
                std::fs::copy(&path, db.join(path.file_name().unwrap())).unwrap();
            }
        }
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| {
                let key = l.split_whitespace().next().unwrap_or("");
                ![
                    "TCPSocket",
                    "LocalSocket",
                    "PidFile",
                    "LogFile",
                    "DatabaseDirectory",
                ]
                .contains(&key)
            })
            .map(str::to_string)
            .collect();
        lines.push(format!("TCPSocket {port}"));
        lines.push(format!("DatabaseDirectory {}", db.display()));
        let config = dir.path().join("clamd.conf");
        std::fs::write(&config, lines.join("\n")).unwrap();
        OwnClamd {
            port,
            config,
            child: None,
            _dir: dir,
        }
    }

    fn db_dir(&self) -> std::path::PathBuf {
        self.config.parent().unwrap().join("db")
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let clamd = ["/usr/sbin/clamd", "clamd"]
            .into_iter()
            .find(|c| std::path::Path::new(c).exists())
            .unwrap_or("clamd");
        self.child = Some(
            Command::new(clamd)
                .arg(format!("--config-file={}", self.config.display()))
                .spawn()
                .unwrap(),
        );
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("own clamd did not start");
    }
}

impl Drop for OwnClamd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test]
async fn scanner_down_keeps_files_pending_until_it_returns() {
    let mut clamd = OwnClamd::prepare();
    let app = spawn_app_with(TestOptions::default().set("BOTE_CLAMD", &clamd.address())).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let id = link["id"].as_str().unwrap();

    // Uploads are accepted while clamd is down, but nothing is served.
    let file = app.upload(&token, id, "a.txt", b"harmless".to_vec()).await;
    assert_eq!(file["scan"], "pending");
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert!(ready["checks"]["scanner"]
        .as_str()
        .unwrap()
        .starts_with("unreachable"));
    let path = path_of(link["url"].as_str().unwrap());
    let file_url = app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap()));
    assert_eq!(
        new_client()
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert!(!new_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("a.txt"));

    clamd.start().await;
    // Let the retry become due now instead of after its backoff.
    sqlx::query("UPDATE files SET next_scan_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mut state = String::new();
    for _ in 0..60 {
        let got: serde_json::Value = app
            .api_get(&token, &format!("/api/v1/links/{id}"))
            .await
            .json()
            .await
            .unwrap();
        state = got["files"][0]["scan"].as_str().unwrap().to_string();
        if state != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "clean", "rescanned by the retry job on its own");
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
}

#[tokio::test]
async fn file_over_the_scanner_limit_is_held_as_unscannable() {
    let max: usize = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .expect("run through scripts/test")
        .parse()
        .unwrap();
    let app = spawn_app_with(TestOptions::default()).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let file = app.upload(&token, id, "big.bin", vec![0x5a; max + 1]).await;
    assert_eq!(file["scan"], "unscannable", "{file}");
    let path = path_of(link["url"].as_str().unwrap());
    let res = new_client()
        .get(app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404, "held, never served");
}

/// clamd answers OK for a ZIP whose member is over its MaxFileSize (a known clamd bug); Bote
/// must not believe that.
#[tokio::test]
async fn zip_with_a_member_over_the_scanner_limit_is_not_called_clean() {
    use std::io::Write;
    let max: usize = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .expect("run through scripts/test")
        .parse()
        .unwrap();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("harmless.txt", opts).unwrap();
        w.write_all(b"hello").unwrap();
        w.start_file("big.bin", opts).unwrap();
        w.write_all(&vec![0u8; max + 1024 * 1024]).unwrap();
        w.finish().unwrap();
    }
    let data = buf.into_inner();
    assert!(data.len() < max, "the archive itself is small");
    let app = spawn_app_with(TestOptions::default()).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let file = app
        .upload(&token, link["id"].as_str().unwrap(), "archive.zip", data)
        .await;
    assert_eq!(file["scan"], "unscannable", "{file}");

    // A ZIP within the limits is clean as usual.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"hello").unwrap();
        w.finish().unwrap();
    }
    let file = app
        .upload(
            &token,
            link["id"].as_str().unwrap(),
            "ok.zip",
            buf.into_inner(),
        )
        .await;
    assert_eq!(file["scan"], "clean", "{file}");
}

#[tokio::test]
async fn admin_sees_the_scanner_down_and_releases_or_deletes_held_files() {
    let max: usize = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .expect("run through scripts/test")
        .parse()
        .unwrap();
    let app = spawn_app_with(TestOptions::default()).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let id = link["id"].as_str().unwrap();
    let held = app.upload(&token, id, "big.bin", vec![1u8; max + 10]).await;
    let other = app
        .upload(&token, id, "big2.bin", vec![2u8; max + 10])
        .await;
    assert_eq!(held["scan"], "unscannable");
    let held_id = held["id"].as_str().unwrap();

    // Staff may not touch held files.
    let staff =
        crate::helpers::spawn_client_signed_in(&app, "staff2@stadt.example", Role::Staff).await;
    let res = staff.get(app.url("/admin/files")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);

    app.signed_in("admin@stadt.example", Role::Admin).await;
    let page = app.get("/admin/files").await.text().await.unwrap();
    assert!(page.contains("big.bin") && page.contains("big2.bin"));

    let res = app
        .post_form(
            &format!("/admin/files/{held_id}/release"),
            &[("reason", "short")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400, "a real reason is required");
    let res = app
        .post_form(
            &format!("/admin/files/{held_id}/release"),
            &[("reason", "Checked by hand: CAD export from the architect")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let path = path_of(link["url"].as_str().unwrap());
    let res = new_client()
        .get(app.url(&format!("{path}/files/{held_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "released file is available");

    let other_id = other["id"].as_str().unwrap();
    let res = app
        .post_form(&format!("/admin/files/{other_id}/delete"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(!app
        .get("/admin/files")
        .await
        .text()
        .await
        .unwrap()
        .contains("big2.bin"));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("file.released".into(), "success".into())));
    assert!(actions.contains(&("file.deleted".into(), "success".into())));
}

#[tokio::test]
async fn admin_overview_warns_when_the_scanner_is_down() {
    let clamd = OwnClamd::prepare();
    let app = spawn_app_with(TestOptions::default().set("BOTE_CLAMD", &clamd.address())).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    app.upload(
        &token,
        link["id"].as_str().unwrap(),
        "a.txt",
        b"waiting".to_vec(),
    )
    .await;
    app.signed_in("admin@stadt.example", Role::Admin).await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Der Virenscanner antwortet nicht."), "banner");
    assert!(
        home.contains("Dateien, die auf die Prüfung warten: 1"),
        "waiting count"
    );
}

async fn set_policy(app: &crate::helpers::TestApp, column: &str, value: &str) {
    sqlx::query(&format!("UPDATE tenants SET {column} = $1"))
        .bind(value)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

fn blob_count(app: &crate::helpers::TestApp) -> usize {
    std::fs::read_dir(app.data_dir().join("files/blobs"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn tenant_may_refuse_unscannable_files_at_upload() {
    let max: usize = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .expect("run through scripts/test")
        .parse()
        .unwrap();
    let app = spawn_app_with(TestOptions::default()).await;
    set_policy(&app, "unscannable_policy", "refuse").await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let res = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/links/{}/files",
            link["id"].as_str().unwrap()
        )))
        .query(&[("name", "big.bin")])
        .bearer_auth(&token)
        .body(vec![3u8; max + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unscannable_refused");
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(files, 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(blob_count(&app), 0, "nothing of the refused upload stays");
}

#[tokio::test]
async fn tenant_may_refuse_uploads_while_the_scanner_is_down() {
    let clamd = OwnClamd::prepare();
    let app = spawn_app_with(TestOptions::default().set("BOTE_CLAMD", &clamd.address())).await;
    set_policy(&app, "scanner_down_policy", "refuse").await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let res = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/links/{}/files",
            link["id"].as_str().unwrap()
        )))
        .query(&[("name", "a.txt")])
        .bearer_auth(&token)
        .body(b"hello".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "scanner_down_refused");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(blob_count(&app), 0);
}

#[tokio::test]
async fn rescan_blocks_a_shared_file_that_new_signatures_recognise() {
    let mut clamd = OwnClamd::prepare();
    clamd.start().await;
    let app = spawn_app_with(TestOptions::default().set("BOTE_CLAMD", &clamd.address())).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let marker = format!("BOTE-LATER-KNOWN-{}", uuid::Uuid::new_v4().simple());
    let file = app
        .upload(
            &token,
            link["id"].as_str().unwrap(),
            "harmlos.txt",
            format!("text {marker} text").into_bytes(),
        )
        .await;
    assert_eq!(file["scan"], "clean");
    let path = path_of(link["url"].as_str().unwrap());
    let file_url = app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap()));
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

    // Tomorrow's signatures know this file.
    clamd.stop();
    std::fs::write(
        clamd.db_dir().join("later.ndb"),
        format!("Later.Known:0:*:{}\n", hex::encode(&marker)),
    )
    .unwrap();
    clamd.start().await;
    let settings = bote::config::Settings::from_sources(
        None,
        &[
            ("BOTE_DATA_DIR".into(), app.data_dir().display().to_string()),
            ("BOTE_CLAMD".into(), clamd.address()),
        ],
    )
    .unwrap();
    let store = bote::startup::blob_store(&settings).unwrap();
    let scanner = bote::startup::scanner(&settings);
    let day = Duration::from_secs(86_400);
    assert_eq!(
        bote::jobs::rescan::run_once(&app.db, &store, &scanner, &settings, day)
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    sqlx::query("UPDATE files SET scanned_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        bote::jobs::rescan::run_once(&app.db, &store, &scanner, &settings, day)
            .await
            .unwrap(),
        1
    );

    assert_eq!(
        new_client()
            .get(&file_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404,
        "blocked now"
    );
    let got: serde_json::Value = app
        .api_get(
            &token,
            &format!("/api/v1/links/{}", link["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["files"][0]["scan"], "infected");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("file.rescanned".into(), "refused".into())));
}

#[tokio::test]
async fn clamd_killed_mid_scan_leaves_the_file_pending_and_unserved() {
    let mut clamd = OwnClamd::prepare();
    clamd.start().await;
    let app = spawn_app_with(TestOptions::default().set("BOTE_CLAMD", &clamd.address())).await;
    let (_, token) = app.api_user("clerk@stadt.example", Role::Staff).await;
    let link = app
        .create_link(&token, json!({"kind": "download", "title": "x"}))
        .await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let request = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/links/{}/files",
            link["id"].as_str().unwrap()
        )))
        .query(&[("name", "halb.bin")])
        .bearer_auth(&token)
        .body(body)
        .send();
    let sender = async {
        for _ in 0..4 {
            tx.send(Ok(vec![7u8; 256 * 1024])).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        clamd.stop();
        for _ in 0..4 {
            tx.send(Ok(vec![7u8; 256 * 1024])).await.unwrap();
        }
        drop(tx);
    };
    let (res, ()) = tokio::join!(request, sender);
    let res = res.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let file: serde_json::Value = res.json().await.unwrap();
    assert_eq!(file["scan"], "pending", "{file}");
    let path = path_of(link["url"].as_str().unwrap());
    let res = new_client()
        .get(app.url(&format!("{path}/files/{}", file["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
