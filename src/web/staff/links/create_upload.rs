//! Creating an upload link: what partners may send (count, sizes, kinds of file), whether they
//! must say who they are, whether the owner hears of each submission, single use. No files here.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::create::{may_create, parse_expiry, parse_password, presets, CreatedPage};
use crate::auth::session::CurrentUser;
use crate::domain::file_type::{self, FileType};
use crate::domain::link::LinkKind;
use crate::error::AppError;
use crate::sharing::links::{self as sharing, LinkInput};
use crate::sharing::policy;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::human_size;
use crate::web::render::page;

const MIB: i64 = 1024 * 1024;

struct TypeOption {
    key: &'static str,
    label_key: &'static str,
}

#[derive(Template)]
#[template(path = "staff/links/new_upload.html")]
struct NewUploadPage {
    ctx: PageCtx,
    presets: Vec<i64>,
    default_days: i64,
    max_days: i64,
    types: Vec<TypeOption>,
    /// The deployment's largest file, in MiB, and in words.
    max_file_mib: u64,
    max_file_words: String,
    /// The tenant's rules that apply here.
    rules: String,
    password_required: bool,
}

pub async fn form(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let tenant_id = may_create(&current.user)?;
    let policy = policy::for_tenant(&state.db, tenant_id).await?;
    policy.may_create(current.user.role(), crate::domain::link::LinkKind::Upload)?;
    let file_limit = policy.file_limit(&state.settings);
    page(&NewUploadPage {
        rules: policy.hints(&state.settings, ctx.lang).join(", "),
        password_required: policy.password_required,
        ctx,
        presets: presets(&policy),
        default_days: policy.default_days,
        max_days: policy.max_days,
        types: file_type::ALL
            .iter()
            .map(|t: &FileType| TypeOption {
                key: t.key,
                label_key: t.label_key(),
            })
            .collect(),
        max_file_mib: (file_limit / MIB as u64).max(1),
        max_file_words: human_size(file_limit),
    })
}

#[derive(Deserialize)]
pub struct UploadLinkForm {
    csrf_token: String,
    title: String,
    #[serde(default)]
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
    max_files: String,
    #[serde(default)]
    max_total_mib: String,
    #[serde(default)]
    max_file_mib: String,
    #[serde(default)]
    recipients: String,
    /// Checkboxes: `type_<key>`, `require_identity`, `notify_uploads`, `single_use`,
    /// `remind_expiry`.
    #[serde(flatten)]
    checks: HashMap<String, String>,
}

impl CsrfProtected for UploadLinkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// An optional positive number from a form field.
fn number(text: &str, key: &'static str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or(AppError::BadRequest(key)),
    }
}

fn mib(text: &str, key: &'static str) -> Result<Option<i64>, AppError> {
    number(text, key)?
        .map(|n| n.checked_mul(MIB).ok_or(AppError::BadRequest(key)))
        .transpose()
}

pub async fn submit(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    form: CsrfForm<UploadLinkForm>,
) -> Result<HttpResponse, AppError> {
    let tenant_id = may_create(&current.user)?.to_string();
    let f = form.0;
    let policy = policy::for_tenant(&state.db, &tenant_id).await?;
    policy.may_create(current.user.role(), crate::domain::link::LinkKind::Upload)?;
    let title = sharing::clean_text(&f.title, sharing::MAX_TITLE, false, "error.title")?;
    if title.is_empty() {
        return Err(AppError::BadRequest("error.title"));
    }
    let message = sharing::clean_text(&f.message, sharing::MAX_MESSAGE, true, "error.message")?;
    let expires_at = parse_expiry(&policy, &f.expires_days, &f.expires_date)?;
    let password = parse_password(&policy, &f.password_mode, &f.password)?;
    let checked = |name: &str| f.checks.get(name).is_some_and(|v| !v.is_empty());
    let types: Vec<&str> = file_type::ALL
        .iter()
        .filter(|t| checked(&format!("type_{}", t.key)))
        .map(|t| t.key)
        .collect();
    let upload = sharing::upload_rules(
        &state.settings,
        number(&f.max_files, "error.max_files")?,
        mib(&f.max_total_mib, "error.max_bytes")?,
        mib(&f.max_file_mib, "error.max_file_bytes")?,
        types,
        checked("require_identity"),
        checked("notify_uploads"),
        checked("single_use"),
    )?;
    let generated = (f.password_mode == "generate")
        .then(|| password.clone())
        .flatten();
    let (id, token) = sharing::create(
        &state,
        &current.user,
        LinkKind::Upload,
        LinkInput {
            recipients: sharing::parse_recipients([f.recipients.as_str()])?,
            title,
            message,
            expires_at,
            password,
            max_downloads: None,
            upload: Some(upload),
            notices: crate::db::links::Notices {
                downloads: false,
                expiry: checked("remind_expiry"),
            },
        },
        Vec::new(),
        Some(&client),
    )
    .await?;
    page(&CreatedPage {
        ctx,
        url: state.settings.public_url(&format!("s/{token}")),
        id,
        generated_password: generated,
        files: Vec::new(),
        upload: true,
    })
}
