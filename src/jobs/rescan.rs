//! Optional (BOTE_RESCAN_INTERVAL): scans clean files of live links again from storage once
//! their last scan is older than the interval, so a file that newer signatures recognise is
//! blocked while it is still being shared. Each rescan is recorded.

use std::time::Duration;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::config::Settings;
use crate::db::{files, Db};
use crate::domain::time::now_ms;
use crate::scan::{ScanVerdict, Scanner};
use crate::sharing::scanning;
use crate::storage::BlobStore;

pub async fn run(
    db: Db,
    store: BlobStore,
    scanner: Scanner,
    settings: Settings,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &store, &scanner, &settings, interval).await {
            tracing::warn!(error = %format!("{e:#}"), "rescan failed");
        }
    }
}

pub async fn run_once(
    db: &Db,
    store: &BlobStore,
    scanner: &Scanner,
    settings: &Settings,
    interval: Duration,
) -> anyhow::Result<usize> {
    let now = now_ms();
    let due = files::claim_for_rescan(db, now, now - interval.as_millis() as i64, 20).await?;
    let n = due.len();
    for file in due {
        let stream = store.read(&file.storage_key, None).await?;
        let verdict = scanner
            .scan_reader(tokio_util::io::StreamReader::new(stream))
            .await;
        let verdict = scanning::confirm_clean(
            store,
            &file.storage_key,
            file.size as u64,
            scanner.config().max_bytes,
            verdict,
        )
        .await?;
        let mut e = AuditEvent::new(
            "file.rescanned",
            if verdict == ScanVerdict::Clean {
                Outcome::Success
            } else {
                Outcome::Refused
            },
            Actor::System,
        )
        .tenant(Some(&file.tenant_id))
        .detail("verdict", verdict.as_state());
        e.link_id = Some(file.link_id.clone());
        e.file_id = Some(file.id.clone());
        match &verdict {
            ScanVerdict::Clean => audit::record(db, e).await?,
            // A scanner failure says nothing new about the file; it stays available and is
            // tried again at the next interval.
            ScanVerdict::Failed { reason } => {
                tracing::warn!(file = %file.id, reason, "rescan could not complete");
            }
            ScanVerdict::Infected { .. } | ScanVerdict::Unscannable { .. } => {
                audit::record(db, e).await?;
                // From here on the file is handled like a fresh verdict: blocked, removed if
                // infected, owner and admins told.
                sqlx::query(
                    "UPDATE files SET scan_state = 'pending' WHERE id = $1 AND tenant_id = $2",
                )
                .bind(&file.id)
                .bind(&file.tenant_id)
                .execute(&db.pool)
                .await?;
                scanning::apply_rescan(db, store, settings, &file, &verdict).await?;
            }
        }
    }
    Ok(n)
}
