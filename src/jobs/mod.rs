//! Periodic work inside `bote serve`: each job is lease-based or idempotent, so several
//! instances can run them side by side.

pub mod audit_retention;
pub mod download_notices;
pub mod expiry_reminders;
pub mod outbox;
pub mod purge;
pub mod rescan;
pub mod scan_retry;
pub mod sessions;

use crate::config::Settings;
use crate::db::Db;
use crate::mail::Mailer;
use crate::scan::Scanner;
use crate::storage::BlobStore;

/// Starts every background job on the current runtime.
pub fn spawn_all(db: Db, settings: Settings, store: BlobStore, scanner: Scanner, mailer: Mailer) {
    tokio::spawn(outbox::run(
        db.clone(),
        mailer,
        settings.mail_from.clone(),
        settings.mail_max_attempts,
    ));
    tokio::spawn(scan_retry::run(
        db.clone(),
        store.clone(),
        scanner.clone(),
        settings.clone(),
    ));
    if let Some(interval) = settings.rescan_interval {
        tokio::spawn(rescan::run(
            db.clone(),
            store.clone(),
            scanner,
            settings.clone(),
            interval,
        ));
    }
    tokio::spawn(download_notices::run(db.clone(), settings.clone()));
    tokio::spawn(expiry_reminders::run(db.clone(), settings.clone()));
    tokio::spawn(sessions::run(db.clone(), settings));
    tokio::spawn(audit_retention::run(db.clone()));
    tokio::spawn(purge::run(db, store));
}
