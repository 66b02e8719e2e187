//! Removes the files of links that ended (expired or revoked) once the tenant's retention has
//! passed. The audit record of the link and its files stays.

use std::time::Duration;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::{files, links, Db};

use crate::domain::time::now_ms;
use crate::storage::BlobStore;

pub async fn run(db: Db, store: BlobStore) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &store).await {
            tracing::warn!(error = %format!("{e:#}"), "purge failed");
        }
    }
}

pub async fn run_once(db: &Db, store: &BlobStore) -> anyhow::Result<usize> {
    let now = now_ms();
    let due = links::due_for_purge(db, now, 100).await?;
    let mut purged = 0;
    for link in due {
        let list = files::of_link(db, &link.id).await?;
        let mut failed = 0;
        for f in &list {
            // One unreadable blob must not stop retention for everyone else.
            if let Err(e) = store.remove(&f.storage_key).await {
                tracing::warn!(file = %f.id, error = %format!("{e:#}"), "purge: blob not removed");
                failed += 1;
                continue;
            }
            let mut conn = db.pool.acquire().await?;
            files::mark_deleted(&mut conn, &f.id).await?;
        }
        if failed > 0 {
            continue;
        }
        let mut tx = db.pool.begin().await?;
        let done =
            sqlx::query("UPDATE links SET purged_at = $1 WHERE id = $2 AND purged_at IS NULL")
                .bind(now)
                .bind(&link.id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 1 {
            let mut e = AuditEvent::new("link.purged", Outcome::Success, Actor::System)
                .tenant(Some(&link.tenant_id))
                .detail("files", list.len());
            e.link_id = Some(link.id.clone());
            audit::chain::append(&mut tx, &e).await?;
            purged += 1;
        }
        tx.commit().await?;
    }
    Ok(purged)
}
