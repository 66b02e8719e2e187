//! Builds the application: database, migrations, default tenant, HTTP server bound to its port.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::auth::sealing::Sealer;
use crate::config::Settings;
use crate::db::{tenants, Db};
use crate::mail::Mailer;
use crate::scan::{Scanner, ScannerConfig};
use crate::storage::BlobStore;
use crate::{auth, web as routes};

/// How long an idle connection stays open for the next request. Longer than the idle timeout of
/// the usual reverse proxies and load balancers (nginx 60 s, AWS ALB 60 s): the side that closes
/// an idle connection first must be the proxy, or a request it sends at that very moment fails
/// (a POST is not retried; the partner sees a 502). actix's default is 5 s.
pub const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub store: BlobStore,
    pub scanner: Scanner,
    pub sealer: Sealer,
    pub mailer: Mailer,
}

/// SMTP when configured, else .eml files in `<data dir>/mail`.
pub fn mailer(settings: &Settings) -> anyhow::Result<Mailer> {
    match &settings.smtp {
        Some(config) => Mailer::smtp(config),
        None => Mailer::files(settings.data_dir.join("mail")),
    }
}

/// The blob store under the data folder.
pub fn blob_store(settings: &Settings) -> anyhow::Result<BlobStore> {
    BlobStore::local(&settings.data_dir.join("files"))
}

pub fn scanner(settings: &Settings) -> Scanner {
    Scanner::new(ScannerConfig {
        address: settings.clamd.clone(),
        max_bytes: settings.scan_max_bytes,
        timeout: settings.scan_timeout,
        max_concurrent: settings.scan_concurrency,
    })
}

/// Opens the database, applies migrations and makes sure the default tenant exists.
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            settings.data_dir.display()
        )
    })?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    tenants::ensure_default(&db, &settings.default_language).await?;
    Ok(db)
}

pub struct Application {
    port: u16,
    server: Server,
    pub db: Db,
    pub settings: Settings,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and wires the app; call `run` to serve.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = prepare_database(&settings).await?;
        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let settings = settings.with_bound_port(port);
        auth::password::warm_up();
        let store = blob_store(&settings)?;
        let scanner = scanner(&settings);
        let mailer = mailer(&settings)?;
        crate::jobs::spawn_all(
            db.clone(),
            settings.clone(),
            store.clone(),
            scanner.clone(),
            mailer.clone(),
        );
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: Arc::new(settings.clone()),
            store,
            scanner,
            sealer: Sealer::load(&settings.data_dir, settings.secret_key.as_deref())?,
            mailer,
        });
        let shutdown_grace = settings.shutdown_grace.as_secs();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .app_data(web::JsonConfig::default().limit(256 * 1024))
                .app_data(web::PathConfig::default())
                .configure(routes::configure)
                .default_service(web::to(routes::error_pages::not_found))
                .wrap(from_fn(routes::security::csrf))
                .wrap(from_fn(routes::error_pages::render))
                .wrap(from_fn(routes::security::headers))
                .wrap(from_fn(routes::request_log::log))
        })
        .keep_alive(KEEP_ALIVE)
        .listen(listener)?
        .shutdown_timeout(shutdown_grace)
        .run();
        Ok(Application {
            port,
            server,
            db,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Lets tests (and the binary) stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT; running requests get the configured grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
