//! The outbox table: enqueue in the caller's transaction, claim with a lease, mark the result.

use sqlx::FromRow;

use crate::db::{new_id, Db};
use crate::domain::time::now_ms;

pub struct NewMail {
    pub tenant_id: Option<String>,
    pub kind: &'static str,
    pub recipient: String,
    pub from_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Set for a link mail that must wait until every file of that link has a verdict.
    pub held_for_link: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct OutboxMail {
    pub id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub from_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, tenant_id, kind, recipient, from_name, subject, body_text, body_html, \
     state, attempts, last_error, created_at";

/// Puts a mail into the outbox, inside the transaction of the event that causes it.
pub async fn enqueue(conn: &mut sqlx::AnyConnection, mail: &NewMail) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outbox (id, tenant_id, kind, recipient, from_name, subject, body_text,
            body_html, state, attempts, next_attempt_at, created_at, held_for_link)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10, $11)",
    )
    .bind(new_id())
    .bind(mail.tenant_id.as_deref())
    .bind(mail.kind)
    .bind(&mail.recipient)
    .bind(&mail.from_name)
    .bind(&mail.subject)
    .bind(&mail.body_text)
    .bind(&mail.body_html)
    .bind(if mail.held_for_link.is_some() {
        "held"
    } else {
        "waiting"
    })
    .bind(now)
    .bind(mail.held_for_link.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Lets a link's held mails go once none of its files waits for a verdict.
pub async fn release_held(conn: &mut sqlx::AnyConnection, link_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'waiting', next_attempt_at = $1
         WHERE held_for_link = $2 AND state = 'held'
           AND NOT EXISTS (SELECT 1 FROM files
                           WHERE link_id = $2 AND scan_state = 'pending' AND deleted_at IS NULL)",
    )
    .bind(now_ms())
    .bind(link_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Mails that are due, each claimed for `lease_ms` so that only one instance sends it. A mail
/// whose sender died mid-send becomes due again after the lease.
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<OutboxMail>> {
    let due: Vec<OutboxMail> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE state = 'waiting' AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::new();
    for mail in due {
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND state = 'waiting' AND next_attempt_at <= $3",
        )
        .bind(now + lease_ms)
        .bind(&mail.id)
        .bind(now)
        .execute(&db.pool)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(mail);
        }
    }
    Ok(claimed)
}

pub async fn mark_sent(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1 WHERE id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried at `next` or, with `None`, given up (failed, visible).
pub async fn mark_attempt_failed(
    db: &Db,
    id: &str,
    error: &str,
    next: Option<i64>,
) -> sqlx::Result<()> {
    let error: String = error.chars().take(1000).collect();
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1,
            state = CASE WHEN $2 < 0 THEN 'failed' ELSE 'waiting' END,
            next_attempt_at = CASE WHEN $2 < 0 THEN next_attempt_at ELSE $2 END
         WHERE id = $3",
    )
    .bind(error)
    .bind(next.unwrap_or(-1))
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The tenant's mails that wait or failed, for the admin page.
pub async fn unsent_in_tenant(
    db: &Db,
    tenant_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<OutboxMail>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE tenant_id = $1 AND state IN ('waiting', 'failed')
         ORDER BY created_at DESC LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// An admin sends a given-up mail again (of their tenant only).
pub async fn retry_failed(db: &Db, tenant_id: &str, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'waiting', attempts = 0, next_attempt_at = $1
         WHERE id = $2 AND tenant_id = $3 AND state = 'failed'",
    )
    .bind(now_ms())
    .bind(id)
    .bind(tenant_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
