//! The link page and its password form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::files::{self, StoredFile};
use crate::db::links::PublicLink;
use crate::domain::link::LinkKind;
use crate::error::AppError;
use crate::sharing::access::{self, PublicAccess};
use crate::sharing::unlock::{self, UnlockResult};
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::{date_time, human_size};
use crate::web::public::unavailable::refuse;
use crate::web::render::{page_with_status, see_other};

#[derive(Template)]
#[template(path = "public/link.html")]
struct LinkPage {
    ctx: PageCtx,
    token: String,
    title: String,
    message: String,
    sender: String,
    tenant: String,
    expires: String,
    locked: bool,
    error: Option<&'static str>,
    files: Vec<FileRow>,
}

struct FileRow {
    id: String,
    name: String,
    size: String,
}

impl FileRow {
    fn of(f: &StoredFile) -> FileRow {
        FileRow {
            id: f.id.clone(),
            name: f.name.clone(),
            size: human_size(f.size as u64),
        }
    }
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    token: String,
    found: &PublicLink,
    unlocked: bool,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    if found.link.kind() == LinkKind::Upload {
        return super::upload_page::render(state, ctx, token, found, unlocked, error, status);
    }
    let files = if unlocked {
        files::clean_of_link(&state.db, &found.link.id)
            .await?
            .iter()
            .map(FileRow::of)
            .collect()
    } else {
        Vec::new()
    };
    let expires = date_time(found.link.expires_at, ctx.lang);
    page_with_status(
        &LinkPage {
            ctx,
            token,
            title: found.link.title.clone(),
            message: found.link.message.clone(),
            sender: found.owner_name.clone(),
            tenant: found.tenant_name.clone(),
            expires,
            locked: !unlocked,
            error,
            files,
        },
        status,
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let found = match access::public_page_link(&state.db, &token).await? {
        PublicAccess::Live(found) => found,
        PublicAccess::Dead { link, reason } => {
            return refuse(
                &state,
                ctx,
                &client,
                "link.opened",
                link.as_ref(),
                None,
                reason,
            )
            .await
        }
    };
    let unlocked = unlock::is_unlocked(&state.db, &req, &found.link).await?;
    let mut e = AuditEvent::new("link.opened", Outcome::Success, Actor::External)
        .tenant(Some(&found.link.tenant_id))
        .client(&client)
        .detail("unlocked", unlocked);
    e.link_id = Some(found.link.id.clone());
    audit::record(&state.db, e).await?;
    render(&state, ctx, token, &found, unlocked, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct UnlockForm {
    csrf_token: String,
    password: String,
}

impl CsrfProtected for UnlockForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn unlock(
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
    form: CsrfForm<UnlockForm>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let found = match access::public_page_link(&state.db, &token).await? {
        PublicAccess::Live(found) => found,
        PublicAccess::Dead { link, reason } => {
            return refuse(
                &state,
                ctx,
                &client,
                "link.unlock",
                link.as_ref(),
                None,
                reason,
            )
            .await
        }
    };
    if !found.link.has_password() {
        return Ok(see_other(&format!("/s/{token}")));
    }
    match unlock::try_unlock(&state, &found.link, &form.0.password, &client).await? {
        UnlockResult::Unlocked(value) => {
            let mut res = see_other(&format!("/s/{token}"));
            res.add_cookie(&unlock::cookie(value, &token, state.settings.is_https()))
                .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
            Ok(res)
        }
        UnlockResult::Wrong => {
            render(
                &state,
                ctx,
                token,
                &found,
                false,
                Some("link.wrong_password"),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        UnlockResult::Locked => {
            render(
                &state,
                ctx,
                token,
                &found,
                false,
                Some("link.locked"),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
    }
}
