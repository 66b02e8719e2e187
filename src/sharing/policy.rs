//! A tenant's rules for links, as far as links need them.

use crate::db::Db;

#[derive(Debug, Clone, Copy)]
pub struct LinkPolicy {
    pub default_days: i64,
    pub max_days: i64,
    pub retention_days: i64,
}

pub async fn for_tenant(db: &Db, tenant_id: &str) -> sqlx::Result<LinkPolicy> {
    let (default_days, max_days, retention_days): (i64, i64, i64) = sqlx::query_as(
        "SELECT link_default_days, link_max_days, file_retention_days FROM tenants WHERE id = $1",
    )
    .bind(tenant_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(LinkPolicy {
        default_days,
        max_days,
        retention_days,
    })
}
