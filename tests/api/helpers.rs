//! Starts the real application on port 0 with its own data folder and database (SQLite, or a
//! fresh PostgreSQL database when `BOTE_TEST_DATABASE=postgres`), and talks to it over HTTP.

use std::path::PathBuf;

use bote::config::Settings;
use bote::db::users::{self, NewUser, User};
use bote::db::{tenants, Db};
use bote::domain::email::EmailAddress;
use bote::domain::role::Role;
use bote::startup::Application;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use sqlx::Connection;

pub const PASSWORD: &str = "correct horse battery staple";

/// An argon2id hash of `password` that takes several times longer to check than the ones Bote
/// makes (the parameters travel with the hash), for tests that act while a check is running.
pub fn slow_hash(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 8, 1, None).unwrap(),
    )
    .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string()
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
    handle: actix_web::dev::ServerHandle,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

/// Extra settings for one test, as `BOTE_*` variables.
#[derive(Default, Clone)]
pub struct TestOptions {
    pub env: Vec<(String, String)>,
}

impl TestOptions {
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub fn uses_postgres() -> bool {
    std::env::var("BOTE_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A database URL of its own for one test.
async fn test_database_url(dir: &std::path::Path) -> String {
    if !uses_postgres() {
        return format!("sqlite://{}/bote.db?mode=rwc", dir.display());
    }
    let admin = std::env::var("BOTE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let name = format!("bote_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("BOTE_TEST_POSTGRES_URL must reach a PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let data_dir = dir.path().join("data");
    let mut env = vec![
        ("BOTE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
        ("BOTE_DATA_DIR".to_string(), data_dir.display().to_string()),
        (
            "BOTE_DATABASE_URL".to_string(),
            test_database_url(dir.path()).await,
        ),
    ];
    // The real clamd started by scripts/services (see scripts/test).
    if let Ok(clamd) = std::env::var("BOTE_TEST_CLAMD") {
        env.push(("BOTE_CLAMD".to_string(), clamd));
    }
    if let Ok(max) = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES") {
        env.push(("BOTE_SCAN_MAX_BYTES".to_string(), max));
    }
    env.extend(options.env);
    start(env, dir).await
}

async fn start(env: Vec<(String, String)>, dir: std::sync::Arc<tempfile::TempDir>) -> TestApp {
    // BOTE_TEST_LOG=warn (any filter) shows the apps' logs, e.g. to see why a test waited in vain.
    if let Ok(filter) = std::env::var("BOTE_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let settings = Settings::from_sources(None, &env).expect("test settings are valid");
    let app = Application::build(settings)
        .await
        .expect("application starts");
    let port = app.port();
    let data_dir = app.settings.data_dir.clone();
    let db = app.db.clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        client: client_with(jar.clone()),
        jar,
        data_dir,
        env,
        handle,
        _dir: dir,
    }
}

pub fn new_client() -> reqwest::Client {
    client_with(std::sync::Arc::new(reqwest::cookie::Jar::default()))
}

/// A client that never reuses a connection the server may be closing: the server closes idle
/// connections after `KEEP_ALIVE`, and a request sent on one at that moment fails with
/// `IncompleteMessage` (reqwest keeps idle connections 90 s by default).
fn client_with(jar: std::sync::Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(bote::startup::KEEP_ALIVE / 2)
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// The settings this instance was started with, to restart it with changes.
    pub fn env_for_restart(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    /// Stops this instance and starts a new one with other settings on the same data folder and
    /// database.
    pub async fn restart_with(self, env: Vec<(String, String)>) -> TestApp {
        self.handle.stop(true).await;
        self.db.pool.close().await;
        start(env, self._dir.clone()).await
    }

    /// A second instance of Bote beside this one, on the same data folder and database (as two
    /// instances behind a load balancer); both run the background jobs.
    pub async fn second_instance(&self) -> TestApp {
        start(self.env.clone(), self._dir.clone()).await
    }

    /// Stops this instance and starts a new one on the same data folder and database.
    pub async fn restart(self) -> TestApp {
        self.handle.stop(true).await;
        self.db.pool.close().await;
        // Same database and data folder; a new port.
        start(self.env.clone(), self._dir.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn default_tenant_id(&self) -> String {
        tenants::by_slug(&self.db, "default")
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub async fn create_user(&self, email: &str, role: Role) -> User {
        let tenant = if role == Role::Operator {
            None
        } else {
            Some(self.default_tenant_id().await)
        };
        let hash = bote::auth::password::hash(PASSWORD.to_string())
            .await
            .unwrap();
        users::create(
            &self.db,
            NewUser {
                tenant_id: tenant.as_deref(),
                email: &EmailAddress::parse(email).unwrap(),
                display_name: "Test Person",
                role,
                password_hash: Some(&hash),
            },
        )
        .await
        .unwrap()
        .expect("new address")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The CSRF token of this client (fetching a page first if it has none yet).
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.cookie("bote_csrf") {
            return token;
        }
        let body = self.get("/login").await.text().await.unwrap();
        extract_csrf(&body).expect("page carries a CSRF token")
    }

    /// A cookie of this client's browser.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&self.address.parse().unwrap())?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            pair.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_string)
        })
    }

    /// Posts a form as a browser on our own site would: with the CSRF token and our Origin.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .headers(self.origin_header())
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form as `post_form` does, then resets the connection (a hang-up, not a polite
    /// close) once `when` is done, before the answer: actix drops the request's future then.
    pub async fn post_form_then_hang_up(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        when: impl std::future::Future<Output = ()>,
    ) {
        use tokio::io::AsyncWriteExt;
        let csrf = self.csrf().await;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf_token", &csrf)
            .extend_pairs(fields)
            .finish();
        let host = self.address.trim_start_matches("http://");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nCookie: bote_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        when.await;
        socket.set_zero_linger().unwrap();
        drop(socket);
    }

    pub fn origin_header(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ORIGIN, HeaderValue::from_str(&self.address).unwrap());
        h
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates an account and signs this client in as it.
    pub async fn signed_in(&self, email: &str, role: Role) -> User {
        let user = self.create_user(email, role).await;
        let res = self.login(email, PASSWORD).await;
        assert_eq!(res.status().as_u16(), 303, "login should succeed");
        user
    }

    pub async fn audit_actions(&self) -> Vec<(String, String)> {
        sqlx::query_as("SELECT action, outcome FROM audit_events ORDER BY occurred_at, seq")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }
}

impl TestApp {
    /// A bearer token for an account of the default tenant with this role.
    pub async fn api_user(&self, email: &str, role: Role) -> (User, String) {
        let user = self.create_user(email, role).await;
        let token = bote::auth::api_token::issue(&self.db, &user, "test")
            .await
            .unwrap();
        (user, token)
    }

    pub async fn api_post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Creates a download link through the API and returns its JSON.
    pub async fn create_link(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let res = self.api_post(token, "/api/v1/links", body).await;
        assert_eq!(res.status().as_u16(), 201, "create link");
        res.json().await.unwrap()
    }

    /// Uploads a file to a link through the API and returns the file's JSON.
    pub async fn upload(
        &self,
        token: &str,
        link_id: &str,
        name: &str,
        data: Vec<u8>,
    ) -> serde_json::Value {
        let res = reqwest::Client::new()
            .post(self.url(&format!("/api/v1/links/{link_id}/files")))
            .query(&[("name", name)])
            .bearer_auth(token)
            .body(data)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201, "upload");
        res.json().await.unwrap()
    }
}

impl TestApp {
    /// A separate browser (own cookies) for a partner.
    pub fn client_for(_app: &TestApp) -> reqwest::Client {
        new_client()
    }

    /// Unlocks a link in the given browser (fetching the page first for the CSRF cookie).
    pub async fn unlock(
        &self,
        client: &reqwest::Client,
        path: &str,
        password: &str,
    ) -> reqwest::Response {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = extract_csrf(&html).unwrap_or_default();
        client
            .post(self.url(path))
            .headers(self.origin_header())
            .form(&[("csrf_token", token.as_str()), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }
}

/// Another browser on the same app (own cookies), signed in as a new account of the default
/// tenant, with the same helpers (`get`, `post_form`, `csrf`).
pub async fn spawn_app_client_as(app: &TestApp, email: &str, role: Role) -> TestApp {
    let other = app.another_browser();
    other.signed_in(email, role).await;
    other
}

impl TestApp {
    /// Another browser on the same app, with its own cookies and signed in as nobody.
    pub fn another_browser(&self) -> TestApp {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        TestApp {
            address: self.address.clone(),
            db: self.db.clone(),
            client: client_with(jar.clone()),
            jar,
            data_dir: self.data_dir.clone(),
            env: self.env.clone(),
            handle: self.handle.clone(),
            _dir: self._dir.clone(),
        }
    }
}

/// A second browser, signed in as a new account of the default tenant.
pub async fn spawn_client_signed_in(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    spawn_app_client_as(app, email, role).await.client
}

/// The EICAR test string, assembled at run time so the repository holds no "virus".
pub fn eicar() -> Vec<u8> {
    let parts = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-",
        "TEST-FILE!$H+H*",
    ];
    parts.concat().into_bytes()
}

/// The path part of a public link URL.
pub fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    u.path().to_string()
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Path of the built `bote` binary, for command-line tests.
pub fn bote_bin() -> &'static str {
    env!("CARGO_BIN_EXE_bote")
}
