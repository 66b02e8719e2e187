//! One link: its public URL to copy again, its files with size, hash and scan state, its
//! history, and revoking it.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::audit::query;
use crate::auth::session::CurrentUser;
use crate::db::{files, submissions};
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
    content_type: String,
    scan_key: &'static str,
    scan_detail: String,
    clean: bool,
    /// Who sent it (upload links): name, address, client address.
    sender: String,
    received: String,
}

/// One submission to an upload link.
struct SubmissionRow {
    time: String,
    name: String,
    email: String,
    client_addr: String,
    files: i64,
    size: String,
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
    notify_downloads: bool,
    remind_expiry: bool,
    can_manage: bool,
    files: Vec<FileRow>,
    events: Vec<EventRow>,
    upload: bool,
    /// An upload link's limits and what it has received, in words.
    upload_facts: Vec<(&'static str, String)>,
    submissions: Vec<SubmissionRow>,
    reopenable: bool,
    presets: Vec<i64>,
    default_days: i64,
    any_clean: bool,
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
    let subs = submissions::of_link(&state.db, &link.id).await?;
    let lang = ctx.lang;
    let files: Vec<FileRow> = files::of_link(&state.db, &link.id)
        .await?
        .into_iter()
        .map(|f| {
            let sub = f
                .submission_id
                .as_ref()
                .and_then(|id| subs.iter().find(|s| &s.id == id));
            FileRow {
                scan_key: super::scan_key(&f.scan_state),
                scan_detail: f.scan_detail.unwrap_or_default(),
                clean: f.scan_state == "clean",
                size: human_size(f.size as u64),
                sender: sub.map(sender_words).unwrap_or_default(),
                received: date_time(f.created_at, lang),
                id: f.id,
                name: f.name,
                sha256: f.sha256,
                content_type: f.content_type,
            }
        })
        .collect();
    let submissions = subs
        .iter()
        .map(|s| SubmissionRow {
            time: date_time(s.created_at, lang),
            name: s.sender_name.clone().unwrap_or_default(),
            email: s.sender_email.clone().unwrap_or_default(),
            client_addr: s.client_addr.clone(),
            files: s.file_count,
            size: human_size(s.total_bytes as u64),
        })
        .collect();
    let policy = crate::sharing::policy::for_tenant(&state.db, &link.tenant_id).await?;
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
    let upload = link.kind() == crate::domain::link::LinkKind::Upload;
    page(&DetailPage {
        upload,
        upload_facts: if upload {
            upload_facts(&link, &state.settings)
        } else {
            Vec::new()
        },
        reopenable: upload
            && matches!(
                link_state,
                crate::domain::link::LinkState::Closed | crate::domain::link::LinkState::Expired
            )
            && link.purged_at.is_none(),
        presets: super::create::presets(&policy),
        default_days: policy.default_days,
        any_clean: files.iter().any(|f| f.clean),
        submissions,
        state_key: super::state_key(link_state),
        active: link_state == crate::domain::link::LinkState::Active,
        expires: date_time(link.expires_at, ctx.lang),
        password: link.has_password(),
        downloads: match link.max_downloads {
            Some(max) => format!("{} / {max}", link.download_count),
            None => link.download_count.to_string(),
        },
        notify_downloads: link.notify_downloads == 1,
        remind_expiry: link.remind_expiry == 1,
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

fn sender_words(s: &crate::db::submissions::Submission) -> String {
    [
        s.sender_name.clone(),
        s.sender_email.clone(),
        Some(s.client_addr.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// An upload link's limits and how much of them is used, as label key and value.
fn upload_facts(
    link: &crate::db::links::Link,
    settings: &crate::config::Settings,
) -> Vec<(&'static str, String)> {
    let budget = crate::sharing::uploads::Budget::of(link, settings.max_file_bytes);
    let mut out = vec![(
        "links.received_count",
        match link.max_files {
            Some(m) => format!("{} / {m}", link.received_files),
            None => link.received_files.to_string(),
        },
    )];
    out.push((
        "links.received_size",
        match link.max_bytes {
            Some(m) => format!(
                "{} / {}",
                human_size(link.received_bytes as u64),
                human_size(m as u64)
            ),
            None => human_size(link.received_bytes as u64),
        },
    ));
    out.push(("links.field_max_file_mib", human_size(budget.per_file)));
    let kinds = crate::domain::file_type::from_stored(link.allowed_types.as_deref());
    out.push((
        "links.field_types",
        if kinds.is_empty() {
            "*".to_string()
        } else {
            kinds.iter().map(|k| k.key).collect::<Vec<_>>().join(", ")
        },
    ));
    let yes_no = |b: i64| if b == 1 { "✓" } else { "–" }.to_string();
    out.push(("links.require_identity", yes_no(link.require_identity)));
    out.push(("links.notify_uploads", yes_no(link.notify_uploads)));
    out.push(("links.single_use", yes_no(link.single_use)));
    out
}

pub async fn revoke(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &current.user, &id).await?;
    sharing::revoke(&state.db, &current.user, &link, Some(&client)).await?;
    Ok(see_other(&format!("/links/{}", link.id)))
}

pub async fn close(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &current.user, &id).await?;
    sharing::close(&state.db, &current.user, &link, Some(&client)).await?;
    Ok(see_other(&format!("/links/{}", link.id)))
}

#[derive(serde::Deserialize)]
pub struct ReopenForm {
    csrf_token: String,
    days: String,
}

impl crate::web::ctx::CsrfProtected for ReopenForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn reopen(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<ReopenForm>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &current.user, &id).await?;
    let days = form
        .0
        .days
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("error.expiry_invalid"))?;
    sharing::reopen(&state.db, &current.user, &link, days, Some(&client)).await?;
    Ok(see_other(&format!("/links/{}", link.id)))
}
