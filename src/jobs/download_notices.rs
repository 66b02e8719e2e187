//! Mails owners the downloads of their links in batches: a batch is due
//! `BOTE_DOWNLOAD_NOTICE_DELAY` after its first download (see `db::links::claim_download`). Each
//! due batch is claimed with an update that clears its due time, in the transaction that puts
//! the mail into the outbox, so with several instances every batch is mailed once.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{link_notices, Db};
use crate::domain::time::now_ms;
use crate::sharing::notify;

pub async fn run(db: Db, settings: Settings) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &settings).await {
            tracing::warn!(error = %format!("{e:#}"), "download notices failed");
        }
    }
}

/// Mails every due batch; returns how many batches were claimed.
pub async fn run_once(db: &Db, settings: &Settings) -> anyhow::Result<usize> {
    let now = now_ms();
    let due = link_notices::due_download_notices(db, now, 50).await?;
    let mut claimed = 0;
    for link_id in due {
        let mut tx = db.pool.begin().await?;
        // The claim writes first, so the transaction holds the write lock before it reads.
        let Some(after_seq) = link_notices::claim_download_notice(&mut tx, &link_id, now).await?
        else {
            continue;
        };
        notify::downloads(&mut tx, settings, &link_id, after_seq, now).await?;
        tx.commit().await?;
        claimed += 1;
    }
    Ok(claimed)
}
