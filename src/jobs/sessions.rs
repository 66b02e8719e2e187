//! Ends sessions past their idle or absolute limit (they are refused anyway; this records their
//! end for sessions nobody comes back to, and keeps the table small).

use std::time::Duration;

use crate::auth::session::{end_expired, Limits};
use crate::config::Settings;
use crate::db::Db;
use crate::domain::time::now_ms;

pub async fn run(db: Db, settings: Settings) {
    let limits = Limits::of(&settings);
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match end_expired(&db, limits, now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(ended = n, "expired sessions ended"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
        }
    }
}
