//! `bote serve`: the web server and the background jobs in one process.

use std::path::Path;

use super::{load_settings, Failure};
use crate::config::{LogFormat, Settings};
use crate::db::users;
use crate::startup::Application;

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BOTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub async fn run(config: Option<&Path>) -> Result<(), Failure> {
    let settings: Settings = load_settings(config)?;
    init_logging(settings.log_format);
    let app = Application::build(settings).await?;
    let settings = app.settings.clone();
    let db = app.db.clone();
    println!(
        "Bote is running at {} (listening on {}:{})",
        settings.base_url,
        settings.listen.ip(),
        app.port()
    );
    if !users::any_admin(&db).await? {
        println!(
            "No administrator exists yet. Create one with:\n  \
             bote user add --email you@example.org --role admin --password-stdin\n\
             and type the password (at least 12 characters), then press Enter."
        );
    }
    app.run_until_stopped()
        .await
        .map_err(|e| Failure::from(anyhow::Error::new(e).context("server stopped")))?;
    tracing::info!("stopped");
    Ok(())
}
