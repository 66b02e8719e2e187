//! The tenant's mails that wait or were given up, with the last error; failed ones can be sent
//! again.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::session::CurrentUser;
use crate::error::AppError;
use crate::mail::outbox;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, PageCtx};
use crate::web::format::date_time;
use crate::web::render::{page, see_other};

use super::admin_tenant;

struct Row {
    id: String,
    created: String,
    kind: String,
    recipient: String,
    subject: String,
    state: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    relay: String,
    rows: Vec<Row>,
}

pub async fn list(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let relay = match state.mailer.ping().await {
        Ok(()) => ctx.tr.get("outbox.relay_ok").to_string(),
        Err(e) => format!("{} {e}", ctx.tr.get("outbox.relay_down")),
    };
    let rows = outbox::unsent_in_tenant(&state.db, tenant, 500)
        .await?
        .into_iter()
        .map(|m| Row {
            created: date_time(m.created_at, ctx.lang),
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            state: m.state,
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
        })
        .collect();
    page(&OutboxPage { ctx, relay, rows })
}

pub async fn retry(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    if uuid::Uuid::parse_str(&id).is_err() || !outbox::retry_failed(&state.db, tenant, &id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &state.db,
        AuditEvent::new("mail.retried", Outcome::Success, Actor::user(&current.user))
            .tenant(Some(tenant))
            .client(&client)
            .detail("mail_id", id.into_inner()),
    )
    .await?;
    Ok(see_other("/admin/mail"))
}
