//! The owners' opt-in notices about their links: which are due, claiming each exactly once, and
//! the downloads a notice reports.

use sqlx::FromRow;

use super::Db;

/// Links whose batch of download notices is due.
pub async fn due_download_notices(db: &Db, now: i64, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM links WHERE download_notice_due_at <= $1
         ORDER BY download_notice_due_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Takes a due batch off the link (so that one instance mails it) and returns the sequence
/// number of the last download already mailed; `None` when another instance was faster.
pub async fn claim_download_notice(
    conn: &mut sqlx::AnyConnection,
    link_id: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE links SET download_notice_due_at = NULL
         WHERE id = $1 AND download_notice_due_at <= $2 AND notify_downloads = 1
         RETURNING download_notice_seq",
    )
    .bind(link_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// Remembers the last audit record a notice covered: nothing is listed twice.
pub async fn set_download_notice_seq(
    conn: &mut sqlx::AnyConnection,
    link_id: &str,
    seq: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE links SET download_notice_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(link_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Makes the next batch due at once (a batch larger than one query reads).
pub async fn due_again(conn: &mut sqlx::AnyConnection, link_id: &str, at: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE links SET download_notice_due_at = $1
         WHERE id = $2 AND download_notice_due_at IS NULL",
    )
    .bind(at)
    .bind(link_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A partner's file or ZIP transfer of a link as the audit record holds it.
#[derive(Debug, Clone, FromRow)]
pub struct DownloadEvent {
    pub seq: i64,
    pub occurred_at: i64,
    pub action: String,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub details: String,
    pub file_name: Option<String>,
}

impl DownloadEvent {
    /// Whether the transfer counted as a download (a resumed range does not).
    pub fn counted(&self) -> bool {
        serde_json::from_str::<serde_json::Value>(&self.details)
            .ok()
            .and_then(|d| d.get("counted").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

/// Partners' transfers of a link recorded after `after_seq` in its tenant's chain, oldest first.
pub async fn downloads_after(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    link_id: &str,
    after_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<DownloadEvent>> {
    sqlx::query_as(
        "SELECT a.seq, a.occurred_at, a.action, a.outcome, a.client_addr, a.details,
                f.name AS file_name
         FROM audit_events a LEFT JOIN files f ON f.id = a.file_id
         WHERE a.chain = $1 AND a.link_id = $2 AND a.seq > $3
           AND a.action IN ('file.downloaded', 'zip.downloaded')
           AND a.actor_kind = 'external' AND a.outcome <> 'refused'
         ORDER BY a.seq LIMIT $4",
    )
    .bind(tenant_id)
    .bind(link_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// Links whose owner wants a reminder and which expire within `lead_ms`, not reminded yet for
/// this expiry, and neither revoked, closed nor expired.
pub async fn due_expiry_reminders(
    db: &Db,
    now: i64,
    lead_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM links
         WHERE remind_expiry = 1 AND expiry_reminded_at IS NULL
           AND expires_at > $1 AND expires_at <= $2
           AND revoked_at IS NULL AND closed_at IS NULL
         ORDER BY expires_at LIMIT $3",
    )
    .bind(now)
    .bind(now.saturating_add(lead_ms))
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Marks the reminder as sent for the link's current expiry; false when it is no longer due
/// (another instance sent it, or the link changed meanwhile).
pub async fn claim_expiry_reminder(
    conn: &mut sqlx::AnyConnection,
    link_id: &str,
    now: i64,
    lead_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET expiry_reminded_at = $1
         WHERE id = $2 AND remind_expiry = 1 AND expiry_reminded_at IS NULL
           AND expires_at > $1 AND expires_at <= $3
           AND revoked_at IS NULL AND closed_at IS NULL",
    )
    .bind(now)
    .bind(link_id)
    .bind(now.saturating_add(lead_ms))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
