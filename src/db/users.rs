//! Accounts: staff, admins and auditors of a tenant, or operators of the deployment.

use sqlx::FromRow;

use super::{new_id, Db};
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::domain::time::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: String,
    pub tenant_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub language: Option<String>,
    pub disabled: i64,
    pub created_at: i64,
}

impl User {
    pub fn role(&self) -> Role {
        // Roles are only ever written from `Role::as_str`; an unknown value gets the least power.
        Role::parse(&self.role).unwrap_or(Role::Auditor)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled != 0
    }
}

const COLUMNS: &str =
    "id, tenant_id, email, display_name, role, password_hash, language, disabled, created_at";

pub async fn by_email(db: &Db, email: &EmailAddress) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email.as_str())
        .fetch_optional(&db.pool)
        .await
}

pub async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub struct NewUser<'a> {
    pub tenant_id: Option<&'a str>,
    pub email: &'a EmailAddress,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

/// Creates an account; `None` when the address is taken.
pub async fn create(db: &Db, new: NewUser<'_>) -> sqlx::Result<Option<User>> {
    let id = new_id();
    let done = sqlx::query(
        "INSERT INTO users (id, tenant_id, email, display_name, role, password_hash, disabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(new.tenant_id)
    .bind(new.email.as_str())
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    by_id(db, &id).await
}

/// Disables an account and ends every session it has; its API tokens stop working because
/// token lookup checks the account. Returns whether the account existed.
pub async fn disable(db: &Db, user_id: &str) -> sqlx::Result<bool> {
    let mut tx = db.pool.begin().await?;
    let done = sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn enable(db: &Db, user_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET disabled = 0 WHERE id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password_hash(db: &Db, user_id: &str, hash: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_language(db: &Db, user_id: &str, language: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether any enabled tenant admin exists, so `serve` can tell a fresh install how to make one.
pub async fn any_admin(db: &Db) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role IN ('admin', 'operator') AND disabled = 0",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}
