//! Periodic work inside `bote serve`: each job is lease-based or idempotent, so several
//! instances can run them side by side.

pub mod purge;
pub mod scan_retry;
pub mod sessions;

use crate::config::Settings;
use crate::db::Db;
use crate::scan::Scanner;
use crate::storage::BlobStore;

/// Starts every background job on the current runtime.
pub fn spawn_all(db: Db, settings: Settings, store: BlobStore, scanner: Scanner) {
    tokio::spawn(sessions::run(db.clone(), settings));
    tokio::spawn(scan_retry::run(db.clone(), store.clone(), scanner));
    tokio::spawn(purge::run(db, store));
}
