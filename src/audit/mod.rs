//! Append-only, hash-chained audit events: one chain per tenant, plus one for the deployment.

pub mod chain;
pub mod event;
pub mod privacy;
pub mod query;
pub mod records;
pub mod retention;
pub mod search;
pub mod verify;

pub use event::{Actor, AuditEvent, Outcome};

use anyhow::Context;

use crate::db::Db;
use crate::web::detached::to_the_end;

/// Records one event. Writing must not fail silently: callers decide whether a failed write
/// refuses the action (it does for anything that changes data).
pub async fn record(db: &Db, event: AuditEvent) -> anyhow::Result<()> {
    let mut tx = db.pool.begin().await.context("audit: begin")?;
    chain::append(&mut tx, &event).await?;
    tx.commit().await.context("audit: commit")?;
    Ok(())
}

/// Records an event where losing it must not break the request that caused it (for example a
/// refused login): the failure is logged loudly instead. The write runs to its end on a task of
/// its own, also when the request is dropped meanwhile (a client reset, a sibling extractor that
/// refused).
pub async fn record_or_log(db: &Db, event: AuditEvent) {
    let action = event.action;
    let db = db.clone();
    let written = to_the_end(async move { record(&db, event).await })
        .await
        .and_then(|r| r);
    if let Err(e) = written {
        tracing::error!(action, error = %format!("{e:#}"), "audit event could not be written");
    }
}
