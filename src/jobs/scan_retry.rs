//! Scans again, from storage, every file still pending (scanner was down or answered nonsense),
//! with backoff. Nothing is lost across restarts: the queue is the `files` table.

use std::time::Duration;

use crate::db::{files, Db};
use crate::domain::time::now_ms;
use crate::scan::Scanner;
use crate::sharing::scanning;
use crate::storage::BlobStore;

/// How long a claimed file is left to this instance before another may try it.
const LEASE_MS: i64 = 10 * 60 * 1000;

pub async fn run(db: Db, store: BlobStore, scanner: Scanner, settings: crate::config::Settings) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &store, &scanner, &settings).await {
            tracing::warn!(error = %format!("{e:#}"), "scan retry failed");
        }
    }
}

pub async fn run_once(
    db: &Db,
    store: &BlobStore,
    scanner: &Scanner,
    settings: &crate::config::Settings,
) -> anyhow::Result<usize> {
    let due = files::claim_pending(db, now_ms(), LEASE_MS, 8).await?;
    let n = due.len();
    for file in due {
        if let Err(e) = rescan(db, store, scanner, settings, &file).await {
            tracing::warn!(file = %file.id, error = %format!("{e:#}"), "rescan failed; retried later");
        }
    }
    Ok(n)
}

async fn rescan(
    db: &Db,
    store: &BlobStore,
    scanner: &Scanner,
    settings: &crate::config::Settings,
    file: &crate::db::files::StoredFile,
) -> anyhow::Result<()> {
    {
        let stream = store.read(&file.storage_key, None).await?;
        let reader = tokio_util::io::StreamReader::new(stream);
        let verdict = scanner.scan_reader(reader).await;
        let verdict = scanning::confirm_clean(
            store,
            &file.storage_key,
            file.size as u64,
            scanner.config().max_bytes,
            verdict,
        )
        .await?;
        scanning::apply_rescan(db, store, settings, file, &verdict).await?;
    }
    Ok(())
}
