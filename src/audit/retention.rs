//! Removing audit records older than a tenant keeps them, without breaking the chain: the run
//! appends an `audit.retention` record naming the last removed record (sequence number and hash),
//! stores that as the chain's checkpoint and removes the records up to it, in one transaction.
//! `verify` then starts at the checkpoint and requires the record that signed it off.

use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::db::Db;

const DAY_MS: i64 = 86_400_000;

/// What one run removed in one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub chain: String,
    pub through_seq: i64,
    pub records: i64,
}

/// Applies every tenant's audit retention as of `now`.
pub async fn run_once(db: &Db, now: i64) -> anyhow::Result<Vec<Removed>> {
    let tenants: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, audit_retention_days FROM tenants WHERE audit_retention_days > 0",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for (tenant_id, days) in tenants {
        if let Some(r) = apply(db, &tenant_id, now - days * DAY_MS).await? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Removes the tenant's records that happened before `cutoff`, through a checkpoint.
pub async fn apply(db: &Db, tenant_id: &str, cutoff: i64) -> anyhow::Result<Option<Removed>> {
    let mut tx = db.pool.begin().await?;
    // Take the chain's lock before reading anything (SQLite: the write lock; PostgreSQL: the
    // head row), so no writer slips between choosing the cut and removing up to it.
    sqlx::query("UPDATE audit_chains SET last_seq = last_seq WHERE chain = $1")
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    let previous: Option<i64> =
        sqlx::query_scalar("SELECT through_seq FROM audit_checkpoints WHERE chain = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
    let cut: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_events
         WHERE chain = $1 AND occurred_at < $2 AND seq > $3
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .bind(previous.unwrap_or(0))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((through_seq, through_hash)) = cut else {
        return Ok(None);
    };
    let records = through_seq - previous.unwrap_or(0);
    let event = AuditEvent::new("audit.retention", Outcome::Success, Actor::System)
        .tenant(Some(tenant_id))
        .detail("through_seq", through_seq)
        .detail("through_hash", through_hash.clone())
        .detail("records", records)
        .detail("cutoff", crate::domain::time::rfc3339(cutoff));
    chain::append(&mut tx, &event).await?;
    sqlx::query(
        "INSERT INTO audit_checkpoints (chain, through_seq, through_hash, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (chain) DO UPDATE SET through_seq = $2, through_hash = $3, created_at = $4",
    )
    .bind(tenant_id)
    .bind(through_seq)
    .bind(&through_hash)
    .bind(crate::domain::time::now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq <= $2")
        .bind(tenant_id)
        .bind(through_seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Removed {
        chain: tenant_id.to_string(),
        through_seq,
        records,
    }))
}
