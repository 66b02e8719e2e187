//! The start page after login. Operators belong to no tenant: theirs is the list of tenants.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::session::CurrentUser;
use crate::db::tenants;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::ctx::PageCtx;
use crate::web::render::{page, see_other};

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    ctx: PageCtx,
    tenant_name: String,
    role_key: &'static str,
    /// For admins: whether clamd answers, and how many files wait since when.
    scanner_down: bool,
    waiting: i64,
    waiting_since: String,
    /// For admins: `Storage: X of Y used` (or only X without a quota).
    storage: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    if current.user.role() == crate::domain::role::Role::Operator {
        return Ok(see_other("/operator"));
    }
    let tenant = match &current.user.tenant_id {
        Some(id) => tenants::by_id(&state.db, id).await?,
        None => None,
    };
    let role_key = match current.user.role() {
        crate::domain::role::Role::Operator => "role.operator",
        crate::domain::role::Role::Admin => "role.admin",
        crate::domain::role::Role::Staff => "role.staff",
        crate::domain::role::Role::Auditor => "role.auditor",
    };
    let (mut scanner_down, mut waiting, mut waiting_since) = (false, 0, String::new());
    let mut storage = None;
    if let (crate::domain::role::Role::Admin, Some(tenant)) = (current.user.role(), &tenant) {
        let quota = tenant.storage_quota_bytes;
        let tenant = tenant.id.as_str();
        scanner_down = state.scanner.ping().await.is_err();
        let (count, oldest) = crate::db::files::pending_summary(&state.db, tenant).await?;
        waiting = count;
        waiting_since = oldest
            .map(|ms| crate::web::format::date_time(ms, ctx.lang))
            .unwrap_or_default();
        storage = Some(storage_line(&state, tenant, quota, &ctx).await?);
    }
    page(&HomePage {
        ctx,
        tenant_name: tenant.map(|t| t.name).unwrap_or_default(),
        role_key,
        scanner_down,
        waiting,
        waiting_since,
        storage,
    })
}

/// How much of the tenant's storage quota its files take.
async fn storage_line(
    state: &AppState,
    tenant_id: &str,
    quota: Option<i64>,
    ctx: &PageCtx,
) -> Result<String, AppError> {
    use crate::web::format::binary_size;
    let used = crate::db::usage::storage_used(&state.db, tenant_id).await?;
    let used_text = binary_size(used.max(0) as u64);
    Ok(match quota {
        Some(q) => ctx.tr.getf(
            "home.storage_of",
            &[
                ("used", &used_text),
                ("quota", &binary_size(q.max(0) as u64)),
                (
                    "percent",
                    &crate::tenancy::quota::percent_used(used, q).to_string(),
                ),
            ],
        ),
        None => ctx
            .tr
            .getf("home.storage_unlimited", &[("used", &used_text)]),
    })
}
