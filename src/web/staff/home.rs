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
    page(&HomePage {
        ctx,
        tenant_name,
        role_key,
    })
}
