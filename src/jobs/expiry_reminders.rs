//! Reminds owners who asked for it that their link expires within `BOTE_EXPIRY_REMINDER_LEAD`.
//! Each reminder is claimed (marked sent for the link's current expiry) in the transaction that
//! puts the mail into the outbox, so it goes out once even with several instances; a changed
//! expiry clears the mark and gets a reminder of its own.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{link_notices, Db};
use crate::domain::time::now_ms;
use crate::sharing::notify;

pub async fn run(db: Db, settings: Settings) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &settings).await {
            tracing::warn!(error = %format!("{e:#}"), "expiry reminders failed");
        }
    }
}

/// Sends every due reminder; returns how many were sent.
pub async fn run_once(db: &Db, settings: &Settings) -> anyhow::Result<usize> {
    let now = now_ms();
    let lead = settings.expiry_reminder_lead.as_millis() as i64;
    let due = link_notices::due_expiry_reminders(db, now, lead, 50).await?;
    let mut sent = 0;
    for link_id in due {
        let mut tx = db.pool.begin().await?;
        // The claim writes first, so the transaction holds the write lock before it reads.
        if !link_notices::claim_expiry_reminder(&mut tx, &link_id, now, lead).await? {
            continue;
        }
        notify::expiry_reminder(&mut tx, settings, &link_id).await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
