//! A tenant's rules for links, as far as links need them.

use crate::db::Db;

#[derive(Debug, Clone, Copy)]
pub struct LinkPolicy {
    pub default_days: i64,
    pub max_days: i64,
    pub retention_days: i64,
    /// Files that cannot be scanned completely are refused at upload instead of held.
    pub refuse_unscannable: bool,
    /// While clamd does not answer, uploads are refused instead of accepted and held.
    pub refuse_while_scanner_down: bool,
}

pub async fn for_tenant(db: &Db, tenant_id: &str) -> sqlx::Result<LinkPolicy> {
    let (default_days, max_days, retention_days, unscannable, scanner_down): (
        i64,
        i64,
        i64,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT link_default_days, link_max_days, file_retention_days, unscannable_policy,
                    scanner_down_policy
             FROM tenants WHERE id = $1",
    )
    .bind(tenant_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(LinkPolicy {
        default_days,
        max_days,
        retention_days,
        refuse_unscannable: unscannable == "refuse",
        refuse_while_scanner_down: scanner_down == "refuse",
    })
}
