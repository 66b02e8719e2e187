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
        for f in &list {
            store.remove(&f.storage_key).await?;
            let mut conn = db.pool.acquire().await?;
            files::mark_deleted(&mut conn, &f.id).await?;
        }
        if links::mark_purged(db, &link.id, now).await? {
            let mut e = AuditEvent::new("link.purged", Outcome::Success, Actor::System)
                .tenant(Some(&link.tenant_id))
                .detail("files", list.len());
            e.link_id = Some(link.id.clone());
            audit::record(db, e).await?;
            purged += 1;
        }
    }
    Ok(purged)
}
