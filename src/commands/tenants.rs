//! `bote tenant add|list`.

use std::path::Path;

use super::{load_settings, open_db, Failure};
use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::tenants;
use crate::domain::slug::TenantSlug;
use crate::i18n::Lang;

pub async fn add(
    config: Option<&Path>,
    slug: &str,
    name: &str,
    language: &str,
) -> Result<(), Failure> {
    let slug = TenantSlug::parse(slug).map_err(|e| Failure::usage(format!("--slug: {e}")))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Failure::usage(
            "--name: must be 1-200 characters without control characters",
        ));
    }
    let lang =
        Lang::parse(language).ok_or_else(|| Failure::usage("--language: must be de or en"))?;
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenants::create(&db, &slug, name, lang.code())
        .await?
        .ok_or_else(|| Failure::usage(format!("a tenant with slug {slug} exists already")))?;
    audit::record(
        &db,
        AuditEvent::new("tenant.created", Outcome::Success, Actor::System)
            .detail("tenant_id", tenant.id.clone())
            .detail("slug", tenant.slug.clone()),
    )
    .await?;
    println!("created tenant {} ({})", tenant.slug, tenant.name);
    Ok(())
}

pub async fn list(config: Option<&Path>) -> Result<(), Failure> {
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    for t in tenants::list(&db).await? {
        let state = if t.suspended != 0 {
            "suspended"
        } else {
            "active"
        };
        println!("{}\t{}\t{}\t{}", t.slug, state, t.language, t.name);
    }
    Ok(())
}
