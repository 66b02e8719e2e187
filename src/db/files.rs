//! Files of links, with their scan state. Only `clean` files are ever served.

use sqlx::FromRow;

use super::Db;
use crate::domain::time::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct StoredFile {
    pub id: String,
    pub tenant_id: String,
    pub link_id: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub content_type: String,
    pub storage_key: String,
    pub scan_state: String,
    pub scan_detail: Option<String>,
    pub scan_attempts: i64,
    pub uploaded_by: Option<String>,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    /// The partner's submission that brought the file (upload links only).
    pub submission_id: Option<String>,
}

impl StoredFile {
    pub fn is_clean(&self) -> bool {
        self.scan_state == "clean" && self.deleted_at.is_none()
    }
}

const COLUMNS: &str = "id, tenant_id, link_id, name, size, sha256, content_type, storage_key, \
     scan_state, scan_detail, scan_attempts, uploaded_by, created_at, deleted_at, submission_id";

pub struct NewFile<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub link_id: &'a str,
    pub name: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub storage_key: &'a str,
    pub scan_state: &'a str,
    pub scan_detail: Option<&'a str>,
    pub next_scan_at: Option<i64>,
    pub uploaded_by: Option<&'a str>,
    pub submission_id: Option<&'a str>,
}

pub async fn insert(conn: &mut sqlx::AnyConnection, f: &NewFile<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO files (id, tenant_id, link_id, name, size, sha256, content_type, storage_key,
            scan_state, scan_detail, scan_attempts, next_scan_at, uploaded_by, created_at, scanned_at,
            submission_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13,
                 CASE WHEN $9 = 'pending' THEN NULL ELSE $13 END, $14)",
    )
    .bind(f.id)
    .bind(f.tenant_id)
    .bind(f.link_id)
    .bind(f.name)
    .bind(f.size)
    .bind(f.sha256)
    .bind(f.content_type)
    .bind(f.storage_key)
    .bind(f.scan_state)
    .bind(f.scan_detail)
    .bind(f.next_scan_at)
    .bind(f.uploaded_by)
    .bind(now_ms())
    .bind(f.submission_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every file of a link that has not been deleted (any scan state), oldest first.
/// Bytes of a link's files that are not deleted (for the tenant's per-link total).
pub async fn total_bytes(db: &Db, link_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files
         WHERE link_id = $1 AND deleted_at IS NULL",
    )
    .bind(link_id)
    .fetch_one(&db.pool)
    .await
}

pub async fn of_link(db: &Db, link_id: &str) -> sqlx::Result<Vec<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    ))
    .bind(link_id)
    .fetch_all(&db.pool)
    .await
}

/// The files a partner may fetch: clean and not deleted.
pub async fn clean_of_link(db: &Db, link_id: &str) -> sqlx::Result<Vec<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files
         WHERE link_id = $1 AND deleted_at IS NULL AND scan_state = 'clean'
         ORDER BY created_at, id"
    ))
    .bind(link_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn in_link(db: &Db, link_id: &str, file_id: &str) -> sqlx::Result<Option<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files WHERE id = $1 AND link_id = $2 AND deleted_at IS NULL"
    ))
    .bind(file_id)
    .bind(link_id)
    .fetch_optional(&db.pool)
    .await
}

/// The files one submission brought (deleted ones too: the receipt names what was received).
pub async fn of_submission(
    db: &Db,
    link_id: &str,
    submission_id: &str,
) -> sqlx::Result<Vec<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 AND submission_id = $2 ORDER BY created_at, id"
    ))
    .bind(link_id)
    .bind(submission_id)
    .fetch_all(&db.pool)
    .await
}

/// Stores a verdict. `next_scan_at` is set only for files that stay pending.
pub async fn set_scan_result(
    db: &Db,
    file_id: &str,
    state: &str,
    detail: Option<&str>,
    next_scan_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE files SET scan_state = $1, scan_detail = $2, next_scan_at = $3,
            scan_attempts = scan_attempts + 1
         WHERE id = $4",
    )
    .bind(state)
    .bind(detail)
    .bind(next_scan_at)
    .bind(file_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Pending files whose retry is due, claimed for `lease_ms` so that another instance does not
/// scan the same file at the same time.
pub async fn claim_pending(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<StoredFile>> {
    let due: Vec<StoredFile> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files
         WHERE scan_state = 'pending' AND deleted_at IS NULL AND next_scan_at <= $1
         ORDER BY next_scan_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::new();
    for file in due {
        let done = sqlx::query(
            "UPDATE files SET next_scan_at = $1
             WHERE id = $2 AND scan_state = 'pending' AND next_scan_at <= $3",
        )
        .bind(now + lease_ms)
        .bind(&file.id)
        .bind(now)
        .execute(&db.pool)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(file);
        }
    }
    Ok(claimed)
}

/// How many files wait for a verdict, and since when the oldest waits (for the admin banner).
pub async fn pending_summary(db: &Db, tenant_id: &str) -> sqlx::Result<(i64, Option<i64>)> {
    sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM files
         WHERE tenant_id = $1 AND scan_state = 'pending' AND deleted_at IS NULL",
    )
    .bind(tenant_id)
    .fetch_one(&db.pool)
    .await
}

pub async fn mark_deleted(conn: &mut sqlx::AnyConnection, file_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE files SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(now_ms())
        .bind(file_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Files of a tenant that wait or are held: pending, unscannable, failed (newest first).
pub async fn held_in_tenant(db: &Db, tenant_id: &str, limit: i64) -> sqlx::Result<Vec<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files
         WHERE tenant_id = $1 AND deleted_at IS NULL
           AND scan_state IN ('pending', 'unscannable', 'failed')
         ORDER BY created_at DESC LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn in_tenant(
    db: &Db,
    tenant_id: &str,
    file_id: &str,
) -> sqlx::Result<Option<StoredFile>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL"
    ))
    .bind(file_id)
    .bind(tenant_id)
    .fetch_optional(&db.pool)
    .await
}

/// An admin releases a held (unscannable) file: it becomes available, with the reason kept.
pub async fn release(
    conn: &mut sqlx::AnyConnection,
    file_id: &str,
    note: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE files SET scan_state = 'clean', scan_detail = $1, next_scan_at = NULL
         WHERE id = $2 AND scan_state = 'unscannable' AND deleted_at IS NULL",
    )
    .bind(note)
    .bind(file_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Clean files of live links not scanned since `before`, claimed by moving their scan time to
/// now (so one instance takes each).
pub async fn claim_for_rescan(
    db: &Db,
    now: i64,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<StoredFile>> {
    let due: Vec<StoredFile> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files f
         WHERE f.scan_state = 'clean' AND f.deleted_at IS NULL
           AND COALESCE(f.scanned_at, f.created_at) < $1
           AND EXISTS (SELECT 1 FROM links l WHERE l.id = f.link_id AND l.revoked_at IS NULL
                       AND l.expires_at > $2)
         ORDER BY COALESCE(f.scanned_at, f.created_at) LIMIT $3"
    ))
    .bind(before)
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::new();
    for f in due {
        let done = sqlx::query(
            "UPDATE files SET scanned_at = $1
             WHERE id = $2 AND scan_state = 'clean' AND COALESCE(scanned_at, created_at) < $3",
        )
        .bind(now)
        .bind(&f.id)
        .bind(before)
        .execute(&db.pool)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(f);
        }
    }
    Ok(claimed)
}
