//! Login sessions: the cookie holds a random id, the database only its hash.

use sqlx::FromRow;

use super::users::User;
use super::Db;
use crate::domain::time::now_ms;

/// The columns of a [`SessionRow`]: sessions `s` joined with their accounts `u` (a literal, so
/// the queries below are whole at compile time).
macro_rules! session_rows {
    () => {
        "SELECT s.id_hash, s.created_at, s.last_seen_at,
                u.id, u.tenant_id, u.email, u.display_name, u.role, u.password_hash, u.language,
                u.disabled, u.created_at
         FROM sessions s
         JOIN users u ON u.id = s.user_id"
    };
}

/// A session joined with its (enabled) account and tenant state.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    #[sqlx(flatten)]
    pub user: User,
}

pub async fn create(db: &Db, id_hash: &str, user_id: &str) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The session with this hash if its account is enabled and its tenant (if any) not suspended.
pub async fn find_active(db: &Db, id_hash: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(concat!(
        session_rows!(),
        " LEFT JOIN tenants t ON t.id = u.tenant_id
         WHERE s.id_hash = $1 AND u.disabled = 0 AND COALESCE(t.suspended, 0) = 0"
    ))
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await
}

pub async fn touch(db: &Db, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends a session; returns whether it existed.
pub async fn delete(db: &Db, id_hash: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sessions that are past their idle or absolute limit, with their accounts (disabled ones
/// and those of suspended tenants too: they expire all the same).
pub async fn past_limits(
    db: &Db,
    idle_before: i64,
    created_before: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(concat!(
        session_rows!(),
        " WHERE s.last_seen_at < $1 OR s.created_at < $2"
    ))
    .bind(idle_before)
    .bind(created_before)
    .fetch_all(&db.pool)
    .await
}
