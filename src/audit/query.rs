//! Reading the record back: always within one tenant.

use sqlx::FromRow;

use crate::db::Db;

#[derive(Debug, Clone, FromRow)]
pub struct StoredEvent {
    pub seq: i64,
    pub occurred_at: i64,
    pub actor_kind: String,
    pub actor_label: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub outcome: String,
    pub file_id: Option<String>,
    pub reason: Option<String>,
    pub details: String,
}

/// A link's history, oldest first.
pub async fn for_link(
    db: &Db,
    tenant_id: &str,
    link_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<StoredEvent>> {
    sqlx::query_as(
        "SELECT seq, occurred_at, actor_kind, actor_label, client_addr, user_agent, action, outcome,
                file_id, reason, details
         FROM audit_events WHERE tenant_id = $1 AND link_id = $2
         ORDER BY seq LIMIT $3",
    )
    .bind(tenant_id)
    .bind(link_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}
