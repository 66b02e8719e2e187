//! Periodic work inside `bote serve`.

pub mod sessions;

use crate::config::Settings;
use crate::db::Db;

/// Starts every background job on the current runtime.
pub fn spawn_all(db: Db, settings: Settings) {
    tokio::spawn(sessions::run(db, settings));
}
