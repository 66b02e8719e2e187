//! The tenant's rules on one page for its admins: every rule with its current value, changed
//! together in one validated, recorded step.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::session::CurrentUser;
use crate::domain::file_type;
use crate::error::AppError;
use crate::sharing::policy::{self, LinkPolicy};
use crate::sharing::policy_update::{self, PolicyChange, PolicyError};
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::human_size;
use crate::web::render::{page, page_with_status, see_other};

use super::admin_tenant;

struct Kind {
    key: &'static str,
    label: &'static str,
    allowed: bool,
    blocked: bool,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage {
    ctx: PageCtx,
    p: LinkPolicy,
    max_file_size: String,
    max_link_size: String,
    deployment_max: String,
    kinds: Vec<Kind>,
    saved: bool,
    error: Option<&'static str>,
}

/// A size as an admin would type it: whole GiB or MiB where it fits.
fn size_text(bytes: Option<i64>) -> String {
    const MIB: i64 = 1 << 20;
    match bytes {
        None => String::new(),
        Some(b) if b % (1024 * MIB) == 0 => format!("{}G", b / (1024 * MIB)),
        Some(b) if b % MIB == 0 => format!("{}M", b / MIB),
        Some(b) => b.to_string(),
    }
}

fn render(
    state: &AppState,
    ctx: PageCtx,
    p: LinkPolicy,
    saved: bool,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let allowed = file_type::from_stored(p.allowed_types.as_deref());
    let blocked = file_type::from_stored(p.blocked_types.as_deref());
    let kinds = file_type::ALL
        .iter()
        .map(|k| Kind {
            key: k.key,
            label: k.label_key(),
            allowed: allowed.iter().any(|a| a.key == k.key),
            blocked: blocked.iter().any(|b| b.key == k.key),
        })
        .collect();
    let page_ = PolicyPage {
        max_file_size: size_text(p.max_file_bytes),
        max_link_size: size_text(p.max_link_bytes),
        deployment_max: human_size(state.settings.max_file_bytes),
        kinds,
        saved,
        error,
        ctx,
        p,
    };
    match error {
        None => page(&page_),
        Some(_) => page_with_status(&page_, StatusCode::BAD_REQUEST),
    }
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    query: web::Query<Saved>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let p = policy::for_tenant(&state.db, tenant).await?;
    render(&state, ctx, p, query.saved.is_some(), None)
}

#[derive(Deserialize)]
pub struct PolicyForm {
    csrf_token: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

impl CsrfProtected for PolicyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn number(f: &HashMap<String, String>, name: &str, key: &'static str) -> Result<i64, &'static str> {
    f.get(name)
        .map(|v| v.trim())
        .and_then(|v| v.parse().ok())
        .ok_or(key)
}

fn size(f: &HashMap<String, String>, name: &str) -> Result<Option<i64>, &'static str> {
    match f.get(name).map(|v| v.trim()).unwrap_or_default() {
        "" => Ok(None),
        t => crate::config::parse_size(name, t)
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or("error.policy_size"),
    }
}

fn choice(
    f: &HashMap<String, String>,
    name: &str,
    options: &[&str],
) -> Result<String, &'static str> {
    let v = f.get(name).map(|v| v.trim()).unwrap_or_default();
    options
        .contains(&v)
        .then(|| v.to_string())
        .ok_or("error.invalid_form")
}

/// The whole form as one change (checkboxes that are absent are off).
fn parse(f: &HashMap<String, String>) -> Result<PolicyChange, &'static str> {
    let checked = |name: &str| {
        f.get(name)
            .is_some_and(|v| v == "on" || v == "1" || v == "true")
    };
    let kinds = |prefix: &str| {
        policy_update::type_list(
            file_type::ALL
                .iter()
                .filter(|k| checked(&format!("{prefix}_{}", k.key)))
                .map(|k| k.key),
        )
    };
    Ok(PolicyChange {
        link_default_days: Some(number(f, "link_default_days", "error.policy_days")?),
        link_max_days: Some(number(f, "link_max_days", "error.policy_days")?),
        password_required: Some(checked("link_password_required")),
        password_min_len: Some(number(
            f,
            "link_password_min_len",
            "error.policy_password_len",
        )?),
        max_file_bytes: Some(size(f, "max_file_size")?),
        max_link_bytes: Some(size(f, "max_link_size")?),
        allowed_types: Some(kinds("allowed")?),
        blocked_types: Some(kinds("blocked")?),
        staff_upload_links: Some(checked("staff_upload_links")),
        file_retention_days: Some(number(f, "file_retention_days", "error.policy_retention")?),
        unscannable: Some(choice(f, "unscannable", &["hold", "refuse"])?),
        scanner_down: Some(choice(f, "scanner_down", &["accept", "refuse"])?),
        audit_retention_days: Some(number(f, "audit_retention_days", "error.policy_retention")?),
        client_addresses: Some(choice(
            f,
            "client_addresses",
            &["full", "shortened", "none"],
        )?),
    })
}

pub async fn save(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    form: CsrfForm<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let result = match parse(&form.0.fields) {
        Ok(change) => {
            policy_update::apply(
                &state.db,
                tenant,
                &change,
                Actor::user(&current.user),
                Some(&client),
            )
            .await
        }
        Err(key) => Err(PolicyError::Invalid(key)),
    };
    match result {
        Ok(_) => Ok(see_other("/admin/policy?saved=1")),
        Err(PolicyError::Invalid(key)) => {
            let p = policy::for_tenant(&state.db, tenant).await?;
            render(&state, ctx, p, false, Some(key))
        }
        Err(PolicyError::Failed(e)) => Err(AppError::Internal(e)),
    }
}
