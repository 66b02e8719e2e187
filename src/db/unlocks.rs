//! Unlocks of password-protected links: the cookie holds a random id, the database its hash,
//! bound to one link and to the password version it was made with.

use super::Db;

pub async fn create(
    db: &Db,
    id_hash: &str,
    link_id: &str,
    password_version: i64,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO unlocks (id_hash, link_id, password_version, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(link_id)
    .bind(password_version)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Whether this unlock is valid for this link and password version right now.
pub async fn is_valid(
    db: &Db,
    id_hash: &str,
    link_id: &str,
    password_version: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM unlocks
         WHERE id_hash = $1 AND link_id = $2 AND password_version = $3 AND expires_at > $4",
    )
    .bind(id_hash)
    .bind(link_id)
    .bind(password_version)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(n == 1)
}
