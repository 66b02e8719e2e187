//! The list of links: one's own, or the whole tenant's for admins and auditors.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::session::CurrentUser;
use crate::db::links;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::ctx::PageCtx;
use crate::web::format::date_time;
use crate::web::render::page;

struct Row {
    id: String,
    title: String,
    state_key: &'static str,
    expires: String,
    downloads: String,
}

#[derive(Template)]
#[template(path = "staff/links/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    can_create: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let user = &current.user;
    let tenant_id = user.tenant_id.as_deref().ok_or(AppError::Forbidden)?;
    let owner = match user.role() {
        Role::Admin | Role::Auditor => None,
        Role::Staff => Some(user.id.as_str()),
        Role::Operator => return Err(AppError::Forbidden),
    };
    let rows = links::list(&state.db, tenant_id, owner, 500)
        .await?
        .into_iter()
        .map(|l| Row {
            state_key: super::state_key(l.state()),
            expires: date_time(l.expires_at, ctx.lang),
            downloads: match l.max_downloads {
                Some(max) => format!("{} / {max}", l.download_count),
                None => l.download_count.to_string(),
            },
            id: l.id,
            title: l.title,
        })
        .collect();
    page(&ListPage {
        can_create: user.role().can_share(),
        ctx,
        rows,
    })
}
