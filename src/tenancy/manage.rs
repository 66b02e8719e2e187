//! Changes to a tenant as a whole, each in one transaction with its audit record. Creation goes
//! into the deployment's chain (the tenant has no chain yet); suspension, resumption and quota
//! changes go into the tenant's own chain, so its auditors see who did what to their tenant.

use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::db::tenants::{self, Tenant};
use crate::db::users::User;
use crate::db::Db;
use crate::domain::slug::TenantSlug;
use crate::i18n::Lang;
use crate::web::client::ClientInfo;

/// Longest tenant name.
pub const MAX_NAME: usize = 200;

/// Who changes a tenant: an operator on the page (with the request's client), or the command
/// line.
pub struct Changer<'a> {
    pub actor: Actor,
    pub client: Option<&'a ClientInfo>,
}

impl<'a> Changer<'a> {
    pub fn operator(user: &User, client: &'a ClientInfo) -> Changer<'a> {
        Changer {
            actor: Actor::user(user),
            client: Some(client),
        }
    }

    pub fn system() -> Changer<'static> {
        Changer {
            actor: Actor::System,
            client: None,
        }
    }

    fn event(&self, action: &'static str, tenant_id: Option<&str>) -> AuditEvent {
        let e = AuditEvent::new(action, Outcome::Success, self.actor.clone()).tenant(tenant_id);
        match self.client {
            Some(c) => e.client(c),
            None => e,
        }
    }
}

/// A tenant's name: 1-200 characters without control characters; `None` when it is not.
pub fn clean_name(text: &str) -> Option<String> {
    let name = text.trim();
    let ok =
        !name.is_empty() && name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control);
    ok.then(|| name.to_string())
}

/// Creates a tenant; `None` when the slug is taken (nothing is written then).
pub async fn create(
    db: &Db,
    by: &Changer<'_>,
    slug: &TenantSlug,
    name: &str,
    language: Lang,
) -> anyhow::Result<Option<Tenant>> {
    let mut tx = db.pool.begin().await?;
    let Some(tenant) = tenants::create_in(&mut tx, slug, name, language.code()).await? else {
        return Ok(None);
    };
    let e = by
        .event("tenant.created", None)
        .detail("tenant_id", tenant.id.clone())
        .detail("slug", tenant.slug.clone())
        .detail("name", tenant.name.clone())
        .detail("language", tenant.language.clone());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(Some(tenant))
}

/// Suspends (`true`) or resumes a tenant. Its sessions, API tokens, public links and logins stop
/// (or start) working with the next request: each of them checks the tenant. Returns `false`
/// when the tenant already was in that state (nothing is recorded then).
pub async fn set_suspended(
    db: &Db,
    by: &Changer<'_>,
    tenant: &Tenant,
    suspended: bool,
) -> anyhow::Result<bool> {
    let mut tx = db.pool.begin().await?;
    if !tenants::set_suspended(&mut tx, &tenant.id, suspended).await? {
        return Ok(false);
    }
    let action = if suspended {
        "tenant.suspended"
    } else {
        "tenant.resumed"
    };
    let e = by
        .event(action, Some(&tenant.id))
        .detail("slug", tenant.slug.clone());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets the storage quota in bytes (`None`: unlimited). Files already stored stay, also when
/// they exceed a lowered quota; only new uploads are refused. Returns `false` when the quota
/// was already this (nothing is recorded then).
pub async fn set_quota(
    db: &Db,
    by: &Changer<'_>,
    tenant: &Tenant,
    quota: Option<i64>,
) -> anyhow::Result<bool> {
    let mut tx = db.pool.begin().await?;
    let Some(previous) = tenants::set_quota(&mut tx, &tenant.id, quota).await? else {
        anyhow::bail!("tenant {} is gone", tenant.id);
    };
    if previous == quota {
        return Ok(false);
    }
    let e = by
        .event("tenant.quota_changed", Some(&tenant.id))
        .detail("slug", tenant.slug.clone())
        .detail("from", previous)
        .detail("to", quota);
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(true)
}
