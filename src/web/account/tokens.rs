//! `/account/tokens`: an account's own API tokens. A new token is shown once; only its hash is
//! kept. Revoking is at once. Another account's token ids do not exist here.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::api_token;
use crate::auth::session::CurrentUser;
use crate::db::api_tokens;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::date_time;
use crate::web::render::{page, see_other};

struct Row {
    id: String,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    /// A token made just now, shown this once.
    new_token: Option<String>,
}

/// API tokens belong to accounts of a tenant (the operator has no API).
fn tenant_member(current: &CurrentUser) -> Result<(), AppError> {
    match current.user.tenant_id {
        Some(_) => Ok(()),
        None => Err(AppError::Forbidden),
    }
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    ctx: PageCtx,
    new_token: Option<String>,
) -> Result<HttpResponse, AppError> {
    let rows = api_tokens::of_user(&state.db, &current.user.id)
        .await?
        .into_iter()
        .map(|t| Row {
            created: date_time(t.created_at, ctx.lang),
            last_used: t
                .last_used_at
                .map(|at| date_time(at, ctx.lang))
                .unwrap_or_default(),
            revoked: t.revoked_at.is_some(),
            id: t.id,
            name: t.name,
        })
        .collect();
    page(&TokensPage {
        ctx,
        rows,
        new_token,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    tenant_member(&current)?;
    render(&state, &current, ctx, None).await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    csrf_token: String,
    name: String,
}

impl CsrfProtected for NewTokenForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn create(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    form: CsrfForm<NewTokenForm>,
) -> Result<HttpResponse, AppError> {
    tenant_member(&current)?;
    let name = form.0.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("error.token_name"));
    }
    let token = api_token::issue_as(
        &state.db,
        &current.user,
        &name,
        Actor::user(&current.user),
        Some(&client),
    )
    .await?;
    render(&state, &current, ctx, Some(token)).await
}

pub async fn revoke(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    tenant_member(&current)?;
    if uuid::Uuid::parse_str(&id).is_err()
        || !api_tokens::revoke(&state.db, &current.user.id, &id).await?
    {
        return Err(AppError::NotFound);
    }
    audit::record(
        &state.db,
        AuditEvent::new(
            "token.revoked",
            Outcome::Success,
            Actor::user(&current.user),
        )
        .tenant(current.user.tenant_id.as_deref())
        .client(&client)
        .detail("token_id", id.into_inner()),
    )
    .await?;
    Ok(see_other("/account/tokens"))
}
