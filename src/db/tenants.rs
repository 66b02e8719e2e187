//! Tenants: the municipalities a deployment serves.

use sqlx::FromRow;

use super::{new_id, Db};
use crate::domain::slug::TenantSlug;
use crate::domain::time::now_ms;

pub const DEFAULT_SLUG: &str = "default";

#[derive(Debug, Clone, FromRow)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub language: String,
    pub suspended: i64,
    pub created_at: i64,
    /// The most bytes the tenant's files may take together; `None`: unlimited.
    pub storage_quota_bytes: Option<i64>,
}

impl Tenant {
    pub fn is_suspended(&self) -> bool {
        self.suspended != 0
    }
}

const COLUMNS: &str = "id, slug, name, language, suspended, created_at, storage_quota_bytes";

pub async fn by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&db.pool)
        .await
}

pub async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<Tenant>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tenants ORDER BY slug"))
        .fetch_all(&db.pool)
        .await
}

/// Creates a tenant; `None` when the slug is taken.
pub async fn create(
    db: &Db,
    slug: &TenantSlug,
    name: &str,
    language: &str,
) -> sqlx::Result<Option<Tenant>> {
    let mut conn = db.pool.acquire().await?;
    create_in(&mut conn, slug, name, language).await
}

/// Creates a tenant inside the caller's transaction; `None` when the slug is taken.
pub async fn create_in(
    conn: &mut sqlx::AnyConnection,
    slug: &TenantSlug,
    name: &str,
    language: &str,
) -> sqlx::Result<Option<Tenant>> {
    let id = new_id();
    let done = sqlx::query(
        "INSERT INTO tenants (id, slug, name, language, suspended, created_at)
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (slug) DO NOTHING",
    )
    .bind(&id)
    .bind(slug.as_str())
    .bind(name)
    .bind(language)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"))
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await
}

/// Suspends or resumes a tenant; `false` when it already was in that state.
pub async fn set_suspended(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    suspended: bool,
) -> sqlx::Result<bool> {
    let flag = i64::from(suspended);
    let done = sqlx::query("UPDATE tenants SET suspended = $1 WHERE id = $2 AND suspended <> $1")
        .bind(flag)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the storage quota (`None`: unlimited) and returns the one it replaces, read under the
/// same write (`None` when there is no such tenant).
pub async fn set_quota(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    quota: Option<i64>,
) -> sqlx::Result<Option<Option<i64>>> {
    // Written first (to itself), so the transaction holds the write lock before it reads.
    let done =
        sqlx::query("UPDATE tenants SET storage_quota_bytes = storage_quota_bytes WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let previous: Option<i64> =
        sqlx::query_scalar("SELECT storage_quota_bytes FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("UPDATE tenants SET storage_quota_bytes = $1 WHERE id = $2")
        .bind(quota)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(previous))
}

/// Makes sure the default tenant exists (first start) and returns it.
pub async fn ensure_default(db: &Db, language: &str) -> sqlx::Result<Tenant> {
    let slug = TenantSlug::parse(DEFAULT_SLUG).expect("default slug is valid");
    if let Some(t) = by_slug(db, DEFAULT_SLUG).await? {
        return Ok(t);
    }
    create(db, &slug, "Default", language).await?;
    Ok(by_slug(db, DEFAULT_SLUG)
        .await?
        .expect("default tenant was just created"))
}
