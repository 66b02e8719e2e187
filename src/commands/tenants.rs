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
