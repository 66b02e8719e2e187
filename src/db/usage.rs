//! What each tenant uses, for the operator and for the storage quota: accounts, links, stored
//! bytes and when something last happened. Counts only; nothing here reads a tenant's records,
//! links or files themselves.

use std::collections::HashMap;

use super::Db;

/// Stored bytes: files not deleted. Infected files count for nothing (their blobs are removed
/// at once).
const STORED: &str = "deleted_at IS NULL AND scan_state <> 'infected'";

/// One tenant's figures.
#[derive(Debug, Clone, Default)]
pub struct TenantUsage {
    pub users: i64,
    pub links_active: i64,
    pub links_all: i64,
    pub storage_used: i64,
    /// The newest audit record of the tenant's own people and partners (the operator's changes
    /// to the tenant do not count).
    pub last_activity: Option<i64>,
}

/// The bytes a tenant's files take now.
pub async fn storage_used(db: &Db, tenant_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE tenant_id = $1 AND {STORED}"
    ))
    .bind(tenant_id)
    .fetch_one(&db.pool)
    .await
}

/// The figures of every tenant, by tenant id (tenants without any are absent). Grouped queries
/// over indexed columns, and one short index walk per tenant for the last activity.
pub async fn of_all_tenants(
    db: &Db,
    tenant_ids: &[String],
    now: i64,
) -> sqlx::Result<HashMap<String, TenantUsage>> {
    let mut out: HashMap<String, TenantUsage> = HashMap::new();
    let users: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tenant_id, COUNT(*) FROM users WHERE tenant_id IS NOT NULL GROUP BY tenant_id",
    )
    .fetch_all(&db.pool)
    .await?;
    for (tenant, n) in users {
        out.entry(tenant).or_default().users = n;
    }
    // Active as `Link::state_at` decides: not revoked, expired, closed or used up.
    let links: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT tenant_id, COUNT(*),
            CAST(COALESCE(SUM(CASE WHEN revoked_at IS NULL AND expires_at > $1 AND closed_at IS NULL
                AND NOT (kind = 'download' AND max_downloads IS NOT NULL
                         AND download_count >= max_downloads)
                AND NOT (kind = 'upload' AND ((max_files IS NOT NULL AND received_files >= max_files)
                         OR (max_bytes IS NOT NULL AND received_bytes >= max_bytes)))
                THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM links GROUP BY tenant_id",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    for (tenant, all, active) in links {
        let u = out.entry(tenant).or_default();
        u.links_all = all;
        u.links_active = active;
    }
    let stored: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT tenant_id, CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE {STORED}
         GROUP BY tenant_id"
    ))
    .fetch_all(&db.pool)
    .await?;
    for (tenant, bytes) in stored {
        out.entry(tenant).or_default().storage_used = bytes;
    }
    for tenant in tenant_ids {
        // Walks the (tenant_id, occurred_at) index from the newest end.
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT occurred_at FROM audit_events
             WHERE tenant_id = $1 AND action NOT LIKE 'tenant.%'
             ORDER BY occurred_at DESC LIMIT 1",
        )
        .bind(tenant)
        .fetch_optional(&db.pool)
        .await?;
        if last.is_some() {
            out.entry(tenant.clone()).or_default().last_activity = last;
        }
    }
    Ok(out)
}
