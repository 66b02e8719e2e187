//! API tokens for automation: only the hash is stored.

use sqlx::FromRow;

use super::users::User;
use super::{new_id, Db};
use crate::domain::time::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct TokenOwner {
    pub token_id: String,
    pub token_name: String,
    #[sqlx(flatten)]
    pub user: User,
}

pub async fn create(db: &Db, user_id: &str, name: &str, token_hash: &str) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

/// The owner of a live token: not revoked, account enabled, tenant not suspended.
pub async fn find_owner(db: &Db, token_hash: &str) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as(
        "SELECT k.id AS token_id, k.name AS token_name,
                u.id, u.tenant_id, u.email, u.display_name, u.role, u.password_hash, u.language,
                u.disabled, u.created_at
         FROM api_tokens k
         JOIN users u ON u.id = k.user_id
         LEFT JOIN tenants t ON t.id = u.tenant_id
         WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND u.disabled = 0
           AND COALESCE(t.suspended, 0) = 0",
    )
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await
}

/// Records use at most once a minute per token, to keep writes off the hot path.
pub async fn mark_used(db: &Db, token_id: &str) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(token_id)
    .bind(now - 60_000)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A token as its owner sees it (never the token itself).
#[derive(Debug, Clone, FromRow)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The account's tokens, newest first.
pub async fn of_user(db: &Db, user_id: &str) -> sqlx::Result<Vec<TokenInfo>> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// Revokes one of the account's own tokens; false for another account's or an unknown id.
pub async fn revoke(db: &Db, user_id: &str, token_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(token_id)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
