//! `bote tenant add|list|suspend|resume|quota|policy`.

use std::path::Path;

use super::{load_settings, open_db, Failure};
use crate::audit::Actor;
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
    pub link_password_required: Option<bool>,
    pub link_password_min_len: Option<i64>,
    /// A size like `100M`, or `none` for the deployment's limit only.
    pub max_file_size: Option<&'a str>,
    pub max_link_size: Option<&'a str>,
    /// Comma-separated kinds, or `none`.
    pub allowed_types: Option<&'a str>,
    pub blocked_types: Option<&'a str>,
    pub staff_upload_links: Option<bool>,
}

fn size_arg(flag: &str, text: Option<&str>) -> Result<Option<Option<i64>>, Failure> {
    match text.map(str::trim) {
        None => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(t) => crate::config::parse_size(flag, t)
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(|n| Some(Some(n)))
            .ok_or_else(|| Failure::usage(format!("{flag}: {t:?} is not a size like 100M or 2G"))),
    }
}

fn types_arg(flag: &str, text: Option<&str>) -> Result<Option<Option<String>>, Failure> {
    match text.map(str::trim) {
        None => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(t) => crate::sharing::policy_update::type_list(t.split(','))
            .map(Some)
            .map_err(|_| {
                Failure::usage(format!(
                    "{flag}: kinds are pdf, image, office, text, archive, video, audio (or none)"
                ))
            }),
    }
}

pub async fn set_policy(
    config: Option<&Path>,
    slug: &str,
    args: PolicyArgs<'_>,
) -> Result<(), Failure> {
    use crate::sharing::policy_update::{self, PolicyChange, PolicyError};
    let change = PolicyChange {
        link_default_days: args.link_default_days,
        link_max_days: args.link_max_days,
        password_required: args.link_password_required,
        password_min_len: args.link_password_min_len,
        max_file_bytes: size_arg("--max-file-size", args.max_file_size)?,
        max_link_bytes: size_arg("--max-link-size", args.max_link_size)?,
        allowed_types: types_arg("--allowed-types", args.allowed_types)?,
        blocked_types: types_arg("--blocked-types", args.blocked_types)?,
        staff_upload_links: args.staff_upload_links,
        file_retention_days: args.retention_days,
        unscannable: args.unscannable.map(str::to_string),
        scanner_down: args.scanner_down.map(str::to_string),
        audit_retention_days: args.audit_retention_days,
        client_addresses: args.client_addresses.map(str::to_string),
    };
    // Checked before the database is opened, so a typo never waits for it.
    change
        .validate()
        .map_err(|key| Failure::usage(Lang::En.t(key)))?;
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenants::by_slug(&db, slug)
        .await?
        .ok_or_else(|| Failure::usage(format!("--slug: no tenant with slug {slug:?}")))?;
    let changed = policy_update::apply(&db, &tenant.id, &change, Actor::System, None)
        .await
        .map_err(|e| match e {
            PolicyError::Invalid(key) => Failure::usage(Lang::En.t(key)),
            PolicyError::Failed(e) => Failure::from(e),
        })?;
    if changed.is_empty() {
        println!("policy of {} unchanged", tenant.slug);
    } else {
        println!("policy of {} updated: {}", tenant.slug, changed.join(", "));
    }
    Ok(())
}
