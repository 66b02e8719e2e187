//! What the `bote` subcommands do; `main.rs` only parses arguments and calls these.

pub mod accounts;
pub mod audit;
pub mod serve;
pub mod tenants;

use std::path::Path;

use crate::config::{ConfigError, Settings};

/// Exit status for bad configuration or arguments.
pub const EXIT_CONFIG: u8 = 2;

/// A command that failed: exit status and message for stderr.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            status: EXIT_CONFIG,
            message: message.into(),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::usage(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            status: 1,
            message: format!("error: {e:#}"),
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::from(anyhow::Error::new(e).context("database"))
    }
}

pub fn load_settings(config: Option<&Path>) -> Result<Settings, Failure> {
    Ok(Settings::load(config)?)
}

/// Opens and migrates the database for an administrative command.
pub async fn open_db(settings: &Settings) -> Result<crate::db::Db, Failure> {
    Ok(crate::startup::prepare_database(settings).await?)
}

pub async fn migrate(config: Option<&Path>) -> Result<(), Failure> {
    let settings = load_settings(config)?;
    open_db(&settings).await?;
    println!("database is up to date");
    Ok(())
}
