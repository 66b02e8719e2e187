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

/// Creates an account inside the caller's transaction, with its mail language (`None` follows
/// the tenant); `None` when the address is taken.
pub async fn create_in(
    conn: &mut sqlx::AnyConnection,
    new: &NewUser<'_>,
    language: Option<&str>,
) -> sqlx::Result<Option<User>> {
    let id = new_id();
    let done = sqlx::query(
        "INSERT INTO users (id, tenant_id, email, display_name, role, password_hash, language,
            disabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(new.tenant_id)
    .bind(new.email.as_str())
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(language)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await
}

/// An account of this tenant (never another tenant's).
pub async fn in_tenant(db: &Db, tenant_id: &str, user_id: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(user_id)
    .bind(tenant_id)
    .fetch_optional(&db.pool)
    .await
}

/// An account with how many links it owns, for the admin's list.
#[derive(Debug, Clone, FromRow)]
pub struct UserWithLinks {
    #[sqlx(flatten)]
    pub user: User,
    pub links: i64,
    pub last_login: Option<i64>,
}

/// Every account of a tenant, by address.
pub async fn list_in_tenant(db: &Db, tenant_id: &str) -> sqlx::Result<Vec<UserWithLinks>> {
    sqlx::query_as(
        "SELECT u.id, u.tenant_id, u.email, u.display_name, u.role, u.password_hash, u.language,
                u.disabled, u.created_at,
                (SELECT COUNT(*) FROM links l WHERE l.owner_id = u.id) AS links,
                (SELECT MAX(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_login
         FROM users u WHERE u.tenant_id = $1 ORDER BY u.email",
    )
    .bind(tenant_id)
    .fetch_all(&db.pool)
    .await
}

/// Changes the role of an account of this tenant.
pub async fn set_role(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    user_id: &str,
    role: Role,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND tenant_id = $3")
        .bind(role.as_str())
        .bind(user_id)
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Disables or enables an account inside the caller's transaction; disabling ends every session
/// at once (API tokens stop working because token lookup checks the account).
pub async fn set_disabled_in(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    disabled: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 AND disabled <> $1")
        .bind(i64::from(disabled))
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Sets a new password and ends every session of the account (a reset must lock out whoever
/// knew the old one).
pub async fn replace_password(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
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
