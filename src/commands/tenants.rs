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

/// Policy values given on the command line; `None` leaves a value as it is.
#[derive(Default)]
pub struct PolicyArgs<'a> {
    pub link_default_days: Option<i64>,
    pub link_max_days: Option<i64>,
    pub retention_days: Option<i64>,
    pub unscannable: Option<&'a str>,
    pub scanner_down: Option<&'a str>,
    pub audit_retention_days: Option<i64>,
    pub client_addresses: Option<&'a str>,
}

pub async fn set_policy(
    config: Option<&Path>,
    slug: &str,
    args: PolicyArgs<'_>,
) -> Result<(), Failure> {
    let check_days = |name: &str, v: Option<i64>, min: i64| match v {
        Some(d) if !(min..=3650).contains(&d) => Err(Failure::usage(format!(
            "{name}: {d} is not between {min} and 3650"
        ))),
        _ => Ok(()),
    };
    check_days("--link-default-days", args.link_default_days, 1)?;
    check_days("--link-max-days", args.link_max_days, 1)?;
    check_days("--retention-days", args.retention_days, 0)?;
    if let Some(u) = args.unscannable {
        if !["hold", "refuse"].contains(&u) {
            return Err(Failure::usage("--unscannable: hold or refuse"));
        }
    }
    if let Some(d) = args.scanner_down {
        if !["accept", "refuse"].contains(&d) {
            return Err(Failure::usage("--scanner-down: accept or refuse"));
        }
    }
    check_days("--audit-retention-days", args.audit_retention_days, 0)?;
    if let Some(m) = args.client_addresses {
        if crate::audit::privacy::AddressMode::parse(m).is_none() {
            return Err(Failure::usage(
                "--client-addresses: full, shortened or none",
            ));
        }
    }
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenants::by_slug(&db, slug)
        .await?
        .ok_or_else(|| Failure::usage(format!("--slug: no tenant with slug {slug:?}")))?;
    let current = crate::sharing::policy::for_tenant(&db, &tenant.id).await?;
    let default_days = args.link_default_days.unwrap_or(current.default_days);
    let max_days = args.link_max_days.unwrap_or(current.max_days);
    if default_days > max_days {
        return Err(Failure::usage(format!(
            "the default link lifetime ({default_days} days) is longer than the maximum ({max_days} days)"
        )));
    }
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE tenants SET link_default_days = $1, link_max_days = $2, file_retention_days = $3,
            unscannable_policy = COALESCE($4, unscannable_policy),
            scanner_down_policy = COALESCE($5, scanner_down_policy),
            audit_retention_days = COALESCE($7, audit_retention_days),
            client_address_mode = COALESCE($8, client_address_mode)
         WHERE id = $6",
    )
    .bind(default_days)
    .bind(max_days)
    .bind(args.retention_days.unwrap_or(current.retention_days))
    .bind(args.unscannable)
    .bind(args.scanner_down)
    .bind(&tenant.id)
    .bind(args.audit_retention_days)
    .bind(args.client_addresses)
    .execute(&mut *tx)
    .await?;
    let mut changed = serde_json::Map::new();
    for (key, value) in [
        (
            "link_default_days",
            args.link_default_days.map(serde_json::Value::from),
        ),
        (
            "link_max_days",
            args.link_max_days.map(serde_json::Value::from),
        ),
        (
            "retention_days",
            args.retention_days.map(serde_json::Value::from),
        ),
        ("unscannable", args.unscannable.map(serde_json::Value::from)),
        (
            "scanner_down",
            args.scanner_down.map(serde_json::Value::from),
        ),
        (
            "audit_retention_days",
            args.audit_retention_days.map(serde_json::Value::from),
        ),
        (
            "client_addresses",
            args.client_addresses.map(serde_json::Value::from),
        ),
    ] {
        if let Some(v) = value {
            changed.insert(key.to_string(), v);
        }
    }
    let mut event =
        AuditEvent::new("policy.changed", Outcome::Success, Actor::System).tenant(Some(&tenant.id));
    event.details = serde_json::Value::Object(changed);
    crate::audit::chain::append(&mut tx, &event).await?;
    tx.commit().await?;
    println!("policy of {} updated", tenant.slug);
    Ok(())
}
