//! The page of an upload link: who asks for what, the limits in plain words, and the form (or,
//! for a protected link, its password form first). It never lists what the link received.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::db::links::PublicLink;
use crate::domain::file_type;
use crate::error::AppError;
use crate::sharing::uploads::Budget;
use crate::startup::AppState;
use crate::web::ctx::PageCtx;
use crate::web::format::{date_time, human_size};
use crate::web::render::page_with_status;

#[derive(Template)]
#[template(path = "public/upload.html")]
struct UploadPage {
    ctx: PageCtx,
    token: String,
    title: String,
    message: String,
    sender: String,
    tenant: String,
    expires: String,
    locked: bool,
    error: Option<&'static str>,
    require_identity: bool,
    /// The limits in plain words.
    rules: Vec<String>,
    /// For the file input's `accept` (a hint to the browser; the server checks the content).
    accept: String,
    /// For the script's checks before sending: the limits as set (the server enforces what is
    /// left).
    per_file: u64,
    total_left: String,
    files_left: String,
}

pub fn render(
    state: &AppState,
    ctx: PageCtx,
    token: String,
    found: &PublicLink,
    unlocked: bool,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let link = &found.link;
    // The link's limits as set at creation (within the tenant's then); the tenant's current
    // rules are enforced again when files arrive.
    let budget = Budget::of(link, state.settings.max_file_bytes);
    let tr = ctx.tr;
    let mut rules = Vec::new();
    if let Some(n) = budget.max_files {
        rules.push(tr.getf("upload.rule_files", &[("count", &n.to_string())]));
    }
    rules.push(tr.getf(
        "upload.rule_file_size",
        &[("size", &human_size(budget.per_file))],
    ));
    if let Some(total) = budget.max_total {
        rules.push(tr.getf("upload.rule_total", &[("size", &human_size(total))]));
    }
    let kinds = file_type::from_stored(link.allowed_types.as_deref());
    if !kinds.is_empty() {
        let names: Vec<&str> = kinds.iter().map(|k| tr.get(k.label_key())).collect();
        rules.push(tr.getf("upload.rule_types", &[("types", &names.join(", "))]));
    }
    if link.require_identity == 1 {
        rules.push(tr.get("upload.rule_identity").to_string());
    }
    if link.single_use == 1 {
        rules.push(tr.get("upload.rule_single_use").to_string());
    }
    let accept = kinds
        .iter()
        .flat_map(|k| k.extensions())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",");
    let expires = date_time(link.expires_at, ctx.lang);
    page_with_status(
        &UploadPage {
            ctx,
            token,
            title: link.title.clone(),
            message: link.message.clone(),
            sender: found.owner_name.clone(),
            tenant: found.tenant_name.clone(),
            expires,
            locked: !unlocked,
            error,
            require_identity: link.require_identity == 1,
            rules,
            accept,
            per_file: budget.per_file,
            total_left: budget.max_total.map(|t| t.to_string()).unwrap_or_default(),
            files_left: budget.max_files.map(|t| t.to_string()).unwrap_or_default(),
        },
        status,
    )
}
