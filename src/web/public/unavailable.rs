//! The one neutral answer for every link or file that cannot be reached, whatever the reason.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::links::PublicLink;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::render::page_with_status;

#[derive(Template)]
#[template(path = "public/unavailable.html")]
struct Unavailable {
    ctx: PageCtx,
}

/// Records the refused access (in the link's tenant when the token belongs to a link) and
/// answers with the neutral page.
pub async fn refuse(
    state: &AppState,
    ctx: PageCtx,
    client: &ClientInfo,
    action: &'static str,
    link: Option<&PublicLink>,
    file_id: Option<&str>,
    reason: &str,
) -> Result<HttpResponse, AppError> {
    record(state, client, action, link, file_id, reason).await;
    page(ctx)
}

/// The neutral page alone (for callers that recorded the refusal themselves).
pub fn page(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    page_with_status(&Unavailable { ctx }, StatusCode::NOT_FOUND)
}

/// Records a refused access, in the link's tenant when the token belongs to a link.
pub async fn record(
    state: &AppState,
    client: &ClientInfo,
    action: &'static str,
    link: Option<&PublicLink>,
    file_id: Option<&str>,
    reason: &str,
) {
    let mut e = AuditEvent::new(action, Outcome::Refused, Actor::External)
        .client(client)
        .reason(reason.to_string());
    if let Some(l) = link {
        e = e.tenant(Some(&l.link.tenant_id));
        e.link_id = Some(l.link.id.clone());
    }
    e.file_id = file_id.map(str::to_string);
    audit::record_or_log(&state.db, e).await;
}
