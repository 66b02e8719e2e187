//! Files that are not available: waiting for the scanner, or held because they could not be
//! scanned completely. An admin may release a held file with a written reason, or delete it.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::auth::session::CurrentUser;
use crate::db::files;
use crate::error::AppError;
use crate::sharing::links as sharing;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::{date_time, human_size};
use crate::web::render::{page, see_other};

use super::admin_tenant;

struct Row {
    id: String,
    link_id: String,
    name: String,
    size: String,
    received: String,
    state: String,
    detail: String,
    releasable: bool,
}

#[derive(Template)]
#[template(path = "admin/held_files.html")]
struct HeldPage {
    ctx: PageCtx,
    rows: Vec<Row>,
}

pub async fn list(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let rows = files::held_in_tenant(&state.db, tenant, 500)
        .await?
        .into_iter()
        .map(|f| Row {
            releasable: f.scan_state == "unscannable",
            received: date_time(f.created_at, ctx.lang),
            size: human_size(f.size as u64),
            state: f.scan_state,
            detail: f.scan_detail.unwrap_or_default(),
            id: f.id,
            link_id: f.link_id,
            name: f.name,
        })
        .collect();
    page(&HeldPage { ctx, rows })
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    csrf_token: String,
    reason: String,
}

impl CsrfProtected for ReleaseForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn release(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<ReleaseForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let reason = sharing::clean_text(&form.0.reason, 1000, true, "error.release_reason")?;
    if reason.chars().count() < 10 {
        return Err(AppError::BadRequest("error.release_reason"));
    }
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(AppError::NotFound);
    }
    let file = files::in_tenant(&state.db, tenant, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.pool.begin().await?;
    let note = format!("released by {}: {reason}", current.user.email);
    if !files::release(&mut tx, &file.id, &note).await? {
        return Err(AppError::Conflict("error.not_releasable"));
    }
    let mut e = AuditEvent::new(
        "file.released",
        Outcome::Success,
        Actor::user(&current.user),
    )
    .tenant(Some(tenant))
    .client(&client)
    .reason(reason)
    .detail("name", file.name.clone())
    .detail("previous_state", file.scan_state.clone());
    e.link_id = Some(file.link_id.clone());
    e.file_id = Some(file.id.clone());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(see_other("/admin/files"))
}

pub async fn delete(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(AppError::NotFound);
    }
    let file = files::in_tenant(&state.db, tenant, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    sharing::remove_file(
        &state.db,
        &state.store,
        &state.settings,
        &current.user,
        &file,
        Some(&client),
    )
    .await?;
    Ok(see_other("/admin/files"))
}
