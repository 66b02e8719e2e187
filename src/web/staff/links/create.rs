//! Creating a download link with its files in one step. The form is multipart: text fields come
//! first (the CSRF token before anything else), files are streamed to storage and clamd as they
//! arrive. Any error removes what was stored; nothing half-made stays behind.

use actix_multipart::{Field, Multipart};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::{StreamExt, TryStreamExt};

use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::db::users::User;
use crate::domain::file_name::FileName;
use crate::domain::link::{Expiry, LinkKind};
use crate::error::AppError;
use crate::sharing::ingest::{self, Limits};
use crate::sharing::links::{self as sharing, Incoming, LinkInput};
use crate::sharing::policy::{self, LinkPolicy};
use crate::sharing::quota::StorageRoom;
use crate::startup::AppState;
use crate::web::api::links::ingest_error;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::render::page;

#[derive(Template)]
#[template(path = "staff/links/new.html")]
struct NewPage {
    ctx: PageCtx,
    presets: Vec<i64>,
    default_days: i64,
    max_days: i64,
    /// The tenant's rules that apply here.
    rules: String,
    password_required: bool,
}

#[derive(Template)]
#[template(path = "staff/links/created.html")]
pub(super) struct CreatedPage {
    pub ctx: PageCtx,
    pub id: String,
    pub url: String,
    pub generated_password: Option<String>,
    pub files: Vec<ReceivedRow>,
    pub upload: bool,
}

/// One received file and what the scanner said, for the page right after creating the link.
pub(super) struct ReceivedRow {
    name: String,
    scan_key: &'static str,
    detail: String,
}

pub(super) fn may_create(user: &User) -> Result<&str, AppError> {
    if !user.role().can_share() {
        return Err(AppError::Forbidden);
    }
    user.tenant_id.as_deref().ok_or(AppError::Forbidden)
}

pub(super) fn presets(policy: &LinkPolicy) -> Vec<i64> {
    [1, 3, 7, 14, 30, 90]
        .into_iter()
        .filter(|d| *d <= policy.max_days)
        .collect()
}

pub async fn form(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let tenant_id = may_create(&current.user)?;
    let policy = policy::for_tenant(&state.db, tenant_id).await?;
    page(&NewPage {
        rules: policy.hints(&state.settings, ctx.lang).join(", "),
        password_required: policy.password_required,
        ctx,
        presets: presets(&policy),
        default_days: policy.default_days,
        max_days: policy.max_days,
    })
}

/// The text fields of the form, as received.
#[derive(Default)]
struct Fields {
    csrf_token: Option<String>,
    title: String,
    message: String,
    expires_days: String,
    expires_date: String,
    password_mode: String,
    password: String,
    max_downloads: String,
    recipients: String,
    notify_downloads: String,
    remind_expiry: String,
}

const MAX_FIELD: usize = 16 * 1024;

/// Reads past a part whose content is not wanted (an empty file input). Stops at the first
/// error: a body cut off before its closing boundary keeps answering with errors, never `None`.
pub async fn skip_field(field: &mut Field) -> Result<(), AppError> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(|_| AppError::BadRequest("error.invalid_form"))?;
    }
    Ok(())
}

/// A text field of a multipart form, at most 16 KiB.
pub async fn read_text(field: &mut Field) -> Result<String, AppError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("error.invalid_form"))?;
        if buf.len() + chunk.len() > MAX_FIELD {
            return Err(AppError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| AppError::BadRequest("error.invalid_form"))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let tenant_id = may_create(&current.user)?.to_string();
    let policy = policy::for_tenant(&state.db, &tenant_id).await?;
    let file_limit = policy.file_limit(&state.settings);
    let room = StorageRoom::of_tenant(&state.db, &tenant_id, policy.storage_quota_bytes).await?;
    let mut fields = Fields::default();
    let mut incoming: Vec<Incoming> = Vec::new();
    let result: Result<(), AppError> = async {
        while let Some(mut field) = payload
            .try_next()
            .await
            .map_err(|_| AppError::BadRequest("error.invalid_form"))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(str::to_string);
            if name == "files" {
                // Nothing is stored before the form has proved it comes from our page.
                let token = fields.csrf_token.as_deref().unwrap_or_default();
                if !csrf::matches_cookie(&req, token) {
                    return Err(AppError::CsrfRejected);
                }
                let Some(file_name) = file_name.filter(|n| !n.is_empty()) else {
                    // An empty file input sends a part without a name: no file chosen.
                    skip_field(&mut field).await?;
                    continue;
                };
                let received: u64 = incoming.iter().map(|f| f.data.size).sum();
                let limits = Limits {
                    file: file_limit,
                    quota_left: room.left_after(received),
                };
                let data = ingest::ingest(&state.store, &state.scanner, &mut field, limits)
                    .await
                    .map_err(ingest_error)?;
                incoming.push(Incoming {
                    name: FileName::sanitize(&file_name),
                    data,
                });
                continue;
            }
            let value = read_text(&mut field).await?;
            match name.as_str() {
                "csrf_token" => fields.csrf_token = Some(value),
                "title" => fields.title = value,
                "message" => fields.message = value,
                "expires_days" => fields.expires_days = value,
                "expires_date" => fields.expires_date = value,
                "password_mode" => fields.password_mode = value,
                "password" => fields.password = value,
                "max_downloads" => fields.max_downloads = value,
                "recipients" => fields.recipients = value,
                "notify_downloads" => fields.notify_downloads = value,
                "remind_expiry" => fields.remind_expiry = value,
                _ => {}
            }
        }
        let token = fields.csrf_token.as_deref().unwrap_or_default();
        if !csrf::matches_cookie(&req, token) {
            return Err(AppError::CsrfRejected);
        }
        Ok(())
    }
    .await;
    let outcome = match result {
        Ok(()) => {
            create_link(
                &state,
                &current.user,
                &tenant_id,
                &fields,
                incoming,
                &client,
            )
            .await
        }
        Err(e) => Err((e, incoming)),
    };
    match outcome {
        Ok((id, token, generated, files)) => page(&CreatedPage {
            ctx,
            url: state.settings.public_url(&format!("s/{token}")),
            id,
            generated_password: generated,
            files,
            upload: false,
        }),
        Err((e, stored)) => {
            for f in stored {
                let _ = state.store.remove(&f.data.storage_key).await;
            }
            Err(e)
        }
    }
}

type Created = (String, String, Option<String>, Vec<ReceivedRow>);

async fn create_link(
    state: &AppState,
    user: &User,
    tenant_id: &str,
    fields: &Fields,
    incoming: Vec<Incoming>,
    client: &ClientInfo,
) -> Result<Created, (AppError, Vec<Incoming>)> {
    let input = match parse_input(state, tenant_id, fields).await {
        Ok(i) => i,
        Err(e) => return Err((e, incoming)),
    };
    let generated = (fields.password_mode == "generate")
        .then(|| input.password.clone())
        .flatten();
    let received: Vec<ReceivedRow> = incoming
        .iter()
        .map(|f| {
            let (state, detail, _) = crate::sharing::scanning::outcome(f.data.verdict.as_ref(), 0);
            ReceivedRow {
                name: f.name.to_string(),
                scan_key: super::scan_key(state),
                detail: detail.unwrap_or_default(),
            }
        })
        .collect();
    // On failure `create` has stored nothing in the database; the blobs are removed here.
    let keys: Vec<String> = incoming
        .iter()
        .map(|f| f.data.storage_key.clone())
        .collect();
    match sharing::create(
        state,
        user,
        LinkKind::Download,
        input,
        incoming,
        Some(client),
    )
    .await
    {
        Ok((id, token)) => Ok((id, token, generated, received)),
        Err(e) => {
            for k in keys {
                let _ = state.store.remove(&k).await;
            }
            Err((e, Vec::new()))
        }
    }
}

/// Expiry from the form's days (or the policy default) or date field.
pub(super) fn parse_expiry(policy: &LinkPolicy, days: &str, date: &str) -> Result<i64, AppError> {
    let expires = if !date.trim().is_empty() {
        Expiry::on_date(date, policy.max_days)
    } else {
        let days = match days.trim() {
            "" => policy.default_days,
            d => d
                .parse()
                .map_err(|_| AppError::BadRequest("error.expiry_invalid"))?,
        };
        Expiry::in_days(days, policy.max_days)
    }
    .map_err(AppError::from)?;
    Ok(expires.0)
}

/// The link password from the form: none, typed (checked against the tenant's rules) or
/// generated.
pub(super) fn parse_password(
    policy: &LinkPolicy,
    mode: &str,
    typed: &str,
) -> Result<Option<String>, AppError> {
    match mode {
        "" | "none" => Ok(None),
        "typed" => {
            policy.check_link_password(typed)?;
            Ok(Some(typed.to_string()))
        }
        "generate" => Ok(Some(sharing::generate_password(policy.password_min_len))),
        _ => Err(AppError::BadRequest("error.invalid_form")),
    }
}

async fn parse_input(state: &AppState, tenant_id: &str, f: &Fields) -> Result<LinkInput, AppError> {
    let policy = policy::for_tenant(&state.db, tenant_id).await?;
    let title = sharing::clean_text(&f.title, sharing::MAX_TITLE, false, "error.title")?;
    if title.is_empty() {
        return Err(AppError::BadRequest("error.title"));
    }
    let message = sharing::clean_text(&f.message, sharing::MAX_MESSAGE, true, "error.message")?;
    let expires_at = parse_expiry(&policy, &f.expires_days, &f.expires_date)?;
    let password = parse_password(&policy, &f.password_mode, &f.password)?;
    let max_downloads = match f.max_downloads.trim() {
        "" => None,
        n => Some(sharing::check_max_downloads(
            n.parse()
                .map_err(|_| AppError::BadRequest("error.max_downloads"))?,
        )?),
    };
    Ok(LinkInput {
        recipients: sharing::parse_recipients([f.recipients.as_str()])?,
        title,
        message,
        expires_at,
        password,
        max_downloads,
        upload: None,
        notices: crate::db::links::Notices {
            downloads: !f.notify_downloads.is_empty(),
            expiry: !f.remind_expiry.is_empty(),
        },
    })
}
