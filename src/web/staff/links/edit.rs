//! Changing a link: message, title, expiry within policy, password (which ends every earlier
//! unlock), download limit, the owner's notices; adding and removing files.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::auth::csrf;
use crate::auth::password;
use crate::auth::session::CurrentUser;
use crate::db::files;
use crate::db::links::{Link, LinkChanges};
use crate::domain::file_name::FileName;
use crate::domain::link::{Expiry, LinkKind, LinkState};
use crate::error::AppError;
use crate::sharing::access;
use crate::sharing::ingest::{self, Limits};
use crate::sharing::links::{self as sharing, Incoming};
use crate::sharing::policy;
use crate::sharing::quota::StorageRoom;
use crate::startup::AppState;
use crate::web::api::links::ingest_error;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::date_time;
use crate::web::render::{page, see_other};

#[derive(Template)]
#[template(path = "staff/links/edit.html")]
struct EditPage {
    ctx: PageCtx,
    id: String,
    title: String,
    message: String,
    expires: String,
    max_days: i64,
    max_downloads: String,
    password: bool,
    generated_password: Option<String>,
    /// Upload links have no download limit and take no files from staff.
    upload: bool,
    notify_downloads: bool,
    remind_expiry: bool,
}

/// The link if the user may change it and it is still alive.
async fn manageable(state: &AppState, current: &CurrentUser, id: &str) -> Result<Link, AppError> {
    let link = access::link_to_manage(&state.db, &current.user, id).await?;
    if link.state() != LinkState::Active {
        return Err(AppError::Conflict("error.link_not_active"));
    }
    Ok(link)
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    link: Link,
    generated: Option<String>,
) -> Result<HttpResponse, AppError> {
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    page(&EditPage {
        expires: date_time(link.expires_at, ctx.lang),
        ctx,
        max_days: policy.max_days,
        max_downloads: link
            .max_downloads
            .map(|m| m.to_string())
            .unwrap_or_default(),
        password: link.has_password(),
        upload: link.kind() == LinkKind::Upload,
        notify_downloads: link.notify_downloads == 1,
        remind_expiry: link.remind_expiry == 1,
        id: link.id,
        title: link.title,
        message: link.message,
        generated_password: generated,
    })
}

pub async fn form(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let link = manageable(&state, &current, &id).await?;
    render(&state, ctx, link, None).await
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf_token: String,
    title: String,
    message: String,
    #[serde(default)]
    expires_days: String,
    #[serde(default)]
    expires_date: String,
    #[serde(default)]
    password_mode: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    max_downloads: String,
    /// Checkboxes: absent when not ticked.
    #[serde(default)]
    notify_downloads: String,
    #[serde(default)]
    remind_expiry: String,
}

impl CsrfProtected for EditForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<EditForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let link = manageable(&state, &current, &id).await?;
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    let title = sharing::clean_text(&f.title, sharing::MAX_TITLE, false, "error.title")?;
    if title.is_empty() {
        return Err(AppError::BadRequest("error.title"));
    }
    let message = sharing::clean_text(&f.message, sharing::MAX_MESSAGE, true, "error.message")?;
    let expires_at = if !f.expires_date.trim().is_empty() {
        Some(
            Expiry::on_date(&f.expires_date, policy.max_days)
                .map_err(AppError::from)?
                .0,
        )
    } else if !f.expires_days.trim().is_empty() {
        let days = f
            .expires_days
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest("error.expiry_invalid"))?;
        Some(
            Expiry::in_days(days, policy.max_days)
                .map_err(AppError::from)?
                .0,
        )
    } else {
        None
    };
    let mut generated = None;
    let password_hash = match f.password_mode.as_str() {
        "" | "keep" => None,
        "remove" => Some(None),
        "typed" => {
            policy.check_link_password(&f.password)?;
            Some(Some(password::hash(f.password.clone()).await?))
        }
        "generate" => {
            let pw = sharing::generate_password(policy.password_min_len);
            let hash = password::hash(pw.clone()).await?;
            generated = Some(pw);
            Some(Some(hash))
        }
        _ => return Err(AppError::BadRequest("error.invalid_form")),
    };
    let max_downloads = match f.max_downloads.trim() {
        "" => None,
        n => Some(sharing::check_max_downloads(
            n.parse()
                .map_err(|_| AppError::BadRequest("error.max_downloads"))?,
        )?),
    };
    sharing::change(
        &state.db,
        &current.user,
        &link,
        LinkChanges {
            title: Some(title),
            message: Some(message),
            expires_at,
            password_hash,
            max_downloads: Some(max_downloads),
            notify_downloads: (link.kind() == LinkKind::Download)
                .then_some(!f.notify_downloads.is_empty()),
            remind_expiry: Some(!f.remind_expiry.is_empty()),
        },
        Some(&client),
    )
    .await?;
    if generated.is_some() {
        // The new password is shown once, on this page.
        let link = manageable(&state, &current, &link.id).await?;
        return render(&state, ctx, link, generated).await;
    }
    Ok(see_other(&format!("/links/{}", link.id)))
}

/// Adds files to a download link (multipart, the CSRF token first).
pub async fn add_files(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let link = manageable(&state, &current, &id).await?;
    if link.kind() != LinkKind::Download {
        return Err(AppError::Forbidden);
    }
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    let file_limit = policy.file_limit(&state.settings);
    let room =
        StorageRoom::of_tenant(&state.db, &link.tenant_id, policy.storage_quota_bytes).await?;
    let mut received: u64 = 0;
    let mut csrf_ok = false;
    while let Some(mut field) = payload
        .try_next()
        .await
        .map_err(|_| AppError::BadRequest("error.invalid_form"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "csrf_token" {
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| AppError::BadRequest("error.invalid_form"))?;
                if value.len() + chunk.len() > 256 {
                    return Err(AppError::CsrfRejected);
                }
                value.extend_from_slice(&chunk);
            }
            csrf_ok = csrf::matches_cookie(&req, &String::from_utf8_lossy(&value));
            continue;
        }
        if name != "files" {
            super::create::skip_field(&mut field).await?;
            continue;
        }
        if !csrf_ok {
            return Err(AppError::CsrfRejected);
        }
        let Some(file_name) = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
        else {
            super::create::skip_field(&mut field).await?;
            continue;
        };
        let limits = Limits {
            file: file_limit,
            quota_left: room.left_after(received),
        };
        let data = ingest::ingest(&state.store, &state.scanner, &mut field, limits)
            .await
            .map_err(ingest_error)?;
        received += data.size;
        sharing::add_file(
            &state,
            &current.user,
            &link,
            Incoming {
                name: FileName::sanitize(&file_name),
                data,
            },
            Some(&client),
        )
        .await?;
    }
    if !csrf_ok {
        return Err(AppError::CsrfRejected);
    }
    Ok(see_other(&format!("/links/{}", link.id)))
}

pub async fn remove_file(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    path: web::Path<(String, String)>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let (id, file_id) = path.into_inner();
    // What an upload link received may be deleted whatever state the link is in.
    let link = access::link_to_manage(&state.db, &current.user, &id).await?;
    if link.kind() != LinkKind::Upload && link.state() != LinkState::Active {
        return Err(AppError::Conflict("error.link_not_active"));
    }
    if uuid::Uuid::parse_str(&file_id).is_err() {
        return Err(AppError::NotFound);
    }
    let file = files::in_link(&state.db, &link.id, &file_id)
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
    Ok(see_other(&format!("/links/{}", link.id)))
}
