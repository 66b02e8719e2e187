//! The start page after login.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::session::CurrentUser;
use crate::db::tenants;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::ctx::PageCtx;
use crate::web::render::page;

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
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let tenant_name = match &current.user.tenant_id {
        Some(id) => tenants::by_id(&state.db, id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let role_key = match current.user.role() {
        crate::domain::role::Role::Operator => "role.operator",
        crate::domain::role::Role::Admin => "role.admin",
        crate::domain::role::Role::Staff => "role.staff",
        crate::domain::role::Role::Auditor => "role.auditor",
    };
    let (mut scanner_down, mut waiting, mut waiting_since) = (false, 0, String::new());
    if let (crate::domain::role::Role::Admin, Some(tenant)) =
        (current.user.role(), current.user.tenant_id.as_deref())
    {
        scanner_down = state.scanner.ping().await.is_err();
        let (count, oldest) = crate::db::files::pending_summary(&state.db, tenant).await?;
        waiting = count;
        waiting_since = oldest
            .map(|ms| crate::web::format::date_time(ms, ctx.lang))
            .unwrap_or_default();
    }
    page(&HomePage {
        ctx,
        tenant_name,
        role_key,
        scanner_down,
        waiting,
        waiting_since,
    })
}
