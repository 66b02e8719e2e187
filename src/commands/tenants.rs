//! `bote tenant add|list|suspend|resume|quota|policy`.

use std::path::Path;

use super::{load_settings, open_db, Failure};
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::db::tenants::{self, Tenant};
use crate::db::{usage, Db};
use crate::domain::slug::TenantSlug;
use crate::domain::time::now_ms;
use crate::i18n::Lang;
use crate::tenancy::manage::{self, Changer};
use crate::tenancy::quota;

pub async fn add(
    config: Option<&Path>,
    slug: &str,
    name: &str,
    language: &str,
) -> Result<(), Failure> {
    let slug = TenantSlug::parse(slug).map_err(|e| Failure::usage(format!("--slug: {e}")))?;
    let name = manage::clean_name(name).ok_or_else(|| {
        Failure::usage("--name: must be 1-200 characters without control characters")
    })?;
    let lang =
        Lang::parse(language).ok_or_else(|| Failure::usage("--language: must be de or en"))?;
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = manage::create(&db, &Changer::system(), &slug, &name, lang)
        .await?
        .ok_or_else(|| {
            Failure::usage(format!("--slug: a tenant with slug {slug} exists already"))
        })?;
    println!("created tenant {} ({})", tenant.slug, tenant.name);
    Ok(())
}

/// One line per tenant, tab-separated under a header; sizes in bytes, so scripts can use them.
pub async fn list(config: Option<&Path>) -> Result<(), Failure> {
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let all = tenants::list(&db).await?;
    let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
    let mut figures = usage::of_all_tenants(&db, &ids, now_ms()).await?;
    println!(
        "slug\tstate\tlanguage\tusers\tlinks_active\tlinks_all\tstorage_bytes\tquota_bytes\tname"
    );
    for t in all {
        let u = figures.remove(&t.id).unwrap_or_default();
        let state = if t.is_suspended() {
            "suspended"
        } else {
            "active"
        };
        let quota = t
            .storage_quota_bytes
            .map_or_else(|| "unlimited".to_string(), |q| q.to_string());
        println!(
            "{}\t{state}\t{}\t{}\t{}\t{}\t{}\t{quota}\t{}",
            t.slug, t.language, u.users, u.links_active, u.links_all, u.storage_used, t.name
        );
    }
    Ok(())
}

async fn tenant_by_slug(db: &Db, slug: &str) -> Result<Tenant, Failure> {
    tenants::by_slug(db, slug)
        .await?
        .ok_or_else(|| Failure::usage(format!("--slug: no tenant with slug {slug:?}")))
}

/// `bote tenant suspend|resume`: the tenant's logins, sessions, API tokens and public links stop
/// (or start) working at once.
pub async fn set_suspended(
    config: Option<&Path>,
    slug: &str,
    suspended: bool,
) -> Result<(), Failure> {
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenant_by_slug(&db, slug).await?;
    let changed = manage::set_suspended(&db, &Changer::system(), &tenant, suspended).await?;
    let state = if suspended { "suspended" } else { "active" };
    if changed {
        println!("tenant {} is {state} now", tenant.slug);
    } else {
        println!(
            "tenant {} was {state} already; nothing changed",
            tenant.slug
        );
    }
    Ok(())
}

/// `bote tenant quota --bytes N|--none`.
pub async fn set_quota(
    config: Option<&Path>,
    slug: &str,
    bytes: Option<&str>,
    none: bool,
) -> Result<(), Failure> {
    let quota = match (bytes, none) {
        (Some(_), true) => {
            return Err(Failure::usage("give either --bytes or --none, not both"));
        }
        (None, false) => {
            return Err(Failure::usage(
                "give --bytes (e.g. 1073741824 or 1G) or --none for unlimited",
            ));
        }
        (Some(text), false) => {
            if text.trim().is_empty() {
                return Err(Failure::usage(
                    "--bytes: empty; use --none for unlimited storage",
                ));
            }
            quota::parse(text).map_err(|e| Failure::usage(format!("--bytes: {e}")))?
        }
        (None, true) => None,
    };
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenant_by_slug(&db, slug).await?;
    let changed = manage::set_quota(&db, &Changer::system(), &tenant, quota).await?;
    let text = quota.map_or_else(|| "unlimited".to_string(), |q| format!("{q} bytes"));
    if changed {
        println!("quota of {} is {text} now", tenant.slug);
    } else {
        println!(
            "quota of {} was {text} already; nothing changed",
            tenant.slug
        );
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
