//! Submissions to upload links: who sent a set of files, from where, and whether the owner has
//! been told.

use sqlx::FromRow;

use super::Db;

#[derive(Debug, Clone, FromRow)]
pub struct Submission {
    pub id: String,
    pub tenant_id: String,
    pub link_id: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub client_addr: String,
    pub user_agent: Option<String>,
    pub receipt_hash: String,
    pub file_count: i64,
    pub total_bytes: i64,
    pub notify: i64,
    pub notified_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, tenant_id, link_id, sender_name, sender_email, client_addr, user_agent, \
     receipt_hash, file_count, total_bytes, notify, notified_at, created_at";

pub async fn insert(conn: &mut sqlx::AnyConnection, s: &Submission) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO submissions (id, tenant_id, link_id, sender_name, sender_email, client_addr,
            user_agent, receipt_hash, file_count, total_bytes, notify, notified_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&s.id)
    .bind(&s.tenant_id)
    .bind(&s.link_id)
    .bind(&s.sender_name)
    .bind(&s.sender_email)
    .bind(&s.client_addr)
    .bind(&s.user_agent)
    .bind(&s.receipt_hash)
    .bind(s.file_count)
    .bind(s.total_bytes)
    .bind(s.notify)
    .bind(s.notified_at)
    .bind(s.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A submission of this link (the link was found through the caller's access first).
pub async fn in_link(db: &Db, link_id: &str, id: &str) -> sqlx::Result<Option<Submission>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM submissions WHERE id = $1 AND link_id = $2"
    ))
    .bind(id)
    .bind(link_id)
    .fetch_optional(&db.pool)
    .await
}

/// Every submission of a link, oldest first.
pub async fn of_link(db: &Db, link_id: &str) -> sqlx::Result<Vec<Submission>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM submissions WHERE link_id = $1 ORDER BY created_at, id"
    ))
    .bind(link_id)
    .fetch_all(&db.pool)
    .await
}

/// Claims the one notice of a submission once none of its files waits for a verdict; true for
/// exactly one caller (several instances may finish scans at the same moment).
pub async fn claim_notice(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE submissions SET notified_at = $1
         WHERE id = $2 AND notify = 1 AND notified_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM files f WHERE f.submission_id = $2
                           AND f.scan_state = 'pending' AND f.deleted_at IS NULL)",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
