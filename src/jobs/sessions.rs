//! Removes sessions past their idle or absolute limit (they are refused anyway; this keeps the
//! table small).

use std::time::Duration;

use crate::config::Settings;
use crate::db::{sessions, Db};
use crate::domain::time::now_ms;

pub async fn run(db: Db, settings: Settings) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = now_ms();
        let idle = settings.session_idle_timeout.as_millis() as i64;
        let max_age = settings.session_max_age.as_millis() as i64;
        match sessions::delete_expired(&db, now - idle, now - max_age).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
        }
    }
}
