//! One link: its public URL to copy again, its files with size, hash and scan state, its
//! history, and revoking it.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::audit::query;
use crate::auth::session::CurrentUser;
use crate::db::files;
use crate::error::AppError;
use crate::sharing::access::{self, LinkAccess};
use crate::sharing::links as sharing;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, PageCtx};
use crate::web::format::{date_time, human_size};
use crate::web::render::{page, see_other};

struct FileRow {
    id: String,
    name: String,
    size: String,
    sha256: String,
    scan_key: &'static str,
    scan_detail: String,
}

struct EventRow {
    time: String,
    who: String,
    action: String,
    outcome: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "staff/links/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    id: String,
    title: String,
    message: String,
    url: String,
    state_key: &'static str,
    active: bool,
    expires: String,
    password: bool,
    downloads: String,
    can_manage: bool,
    files: Vec<FileRow>,
    events: Vec<EventRow>,
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (link, access) = access::link_for_user(&state.db, &current.user, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let files = files::of_link(&state.db, &link.id)
        .await?
        .into_iter()
        .map(|f| FileRow {
            scan_key: super::scan_key(&f.scan_state),
            scan_detail: f.scan_detail.unwrap_or_default(),
            size: human_size(f.size as u64),
            id: f.id,
            name: f.name,
            sha256: f.sha256,
        })
        .collect();
    let events = query::for_link(&state.db, &link.tenant_id, &link.id, 1000)
        .await?
        .into_iter()
        .map(|e| EventRow {
            time: date_time(e.occurred_at, ctx.lang),
            who: match (e.actor_label, e.client_addr) {
                (Some(l), _) => l,
                (None, Some(a)) => a,
                (None, None) => e.actor_kind,
            },
            action: e.action,
            outcome: e.outcome,
            detail: [e.reason.unwrap_or_default(), e.details]
                .into_iter()
                .filter(|s| !s.is_empty() && s != "{}")
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let url = state
        .sealer
        .open(&link.token_sealed)
        .map(|t| state.settings.public_url(&format!("s/{t}")))
        .unwrap_or_default();
    let link_state = link.state();
    page(&DetailPage {
        state_key: super::state_key(link_state),
        active: link_state == crate::domain::link::LinkState::Active,
        expires: date_time(link.expires_at, ctx.lang),
        password: link.has_password(),
        downloads: match link.max_downloads {
            Some(max) => format!("{} / {max}", link.download_count),
            None => link.download_count.to_string(),
        },
        can_manage: access == LinkAccess::Manage,
        ctx,
        id: link.id,
        title: link.title,
        message: link.message,
        url,
        files,
        events,
    })
}

pub async fn revoke(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let (link, access) = access::link_for_user(&state.db, &current.user, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    if access != LinkAccess::Manage {
        return Err(AppError::Forbidden);
    }
    sharing::revoke(&state.db, &current.user, &link, Some(&client)).await?;
    Ok(see_other(&format!("/links/{}", link.id)))
}
