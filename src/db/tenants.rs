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
}

const COLUMNS: &str = "id, slug, name, language, suspended, created_at";

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
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    by_id(db, &id).await
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
