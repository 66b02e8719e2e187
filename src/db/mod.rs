//! Query functions over one pool: SQLite or PostgreSQL, chosen by the URL scheme.
//!
//! Queries are written once in SQL both dialects understand (`$1` parameters, `ON CONFLICT`,
//! `RETURNING`); times are integer milliseconds, flags 0/1, ids text.

pub mod account_tokens;
pub mod api_tokens;
pub mod files;
pub mod link_notices;
pub mod links;
pub mod sessions;
pub mod submissions;
pub mod tenants;
pub mod throttle;
pub mod unlocks;
pub mod usage;
pub mod users;

use std::time::Duration;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::config::redact_url;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The one database handle every part of Bote uses.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Bulk readers (the audit's verify and export) open their own connection from these.
    url: std::sync::Arc<str>,
    sqlite_file: Option<std::sync::Arc<std::path::Path>>,
}

impl Db {
    /// Connects (creating a SQLite file if needed) without running migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        if backend == Backend::Sqlite {
            if let Some(parent) = sqlite_path(url).and_then(|p| p.parent().map(|p| p.to_owned())) {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(&parent).with_context(|| {
                        format!("cannot create the database folder {}", parent.display())
                    })?;
                }
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to the database {}", redact_url(url)))?;
        if backend == Backend::Sqlite {
            // WAL lets readers work while one writer writes; the setting is stored in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .context("cannot switch SQLite to WAL")?;
        }
        Ok(Db {
            pool,
            backend,
            url: url.into(),
            sqlite_file: sqlite_path(url).map(Into::into),
        })
    }

    /// The database URL as configured (with its password: never show it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite database file, when the backend is SQLite.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// Applies every migration of this backend that has not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("database migration failed")
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// A fresh random id for a row.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
