//! `/api/v1/links`: create, list, show and revoke links, and upload files to them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::api_token::ApiCaller;
use crate::db::files::{self, StoredFile};
use crate::db::links::{self, Link, UploadRules};
use crate::domain::file_name::FileName;
use crate::domain::link::{Expiry, LinkKind};
use crate::domain::time::rfc3339;
use crate::error::AppError;
use crate::sharing::access::{self, LinkAccess};
use crate::sharing::ingest::{self, IngestError, Limits};
use crate::sharing::links::{self as sharing, Incoming, LinkInput};
use crate::sharing::policy;
use crate::sharing::quota::StorageRoom;
use crate::startup::AppState;
use crate::web::client::ClientInfo;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/links")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/links/{id}")
            .route(web::get().to(show))
            .route(web::patch().to(change))
            .route(web::delete().to(revoke)),
    )
    .service(web::resource("/links/{id}/files").route(web::post().to(upload)))
    .route("/links/{id}/files/{file_id}", web::get().to(download))
    .route("/links/{id}/close", web::post().to(close))
    .route("/links/{id}/reopen", web::post().to(reopen));
}

pub fn file_json(f: &StoredFile) -> Value {
    let mut v = json!({
        "id": f.id,
        "name": f.name,
        "size": f.size,
        "sha256": f.sha256,
        "content_type": f.content_type,
        "scan": f.scan_state,
        "scan_detail": f.scan_detail,
        "created_at": rfc3339(f.created_at),
    });
    if let Some(s) = &f.submission_id {
        v["submission"] = json!(s);
    }
    v
}

fn submission_json(s: &crate::db::submissions::Submission) -> Value {
    json!({
        "id": s.id,
        "received_at": rfc3339(s.created_at),
        "sender_name": s.sender_name,
        "sender_email": s.sender_email,
        "client_addr": s.client_addr,
        "files": s.file_count,
        "bytes": s.total_bytes,
    })
}

/// A link as JSON. The public URL opens the files, so it is only given to those who manage the
/// link (owner, admin), never to auditors.
fn link_json(
    state: &AppState,
    link: &Link,
    access: LinkAccess,
    files: Option<&[StoredFile]>,
) -> Value {
    let url = (access == LinkAccess::Manage)
        .then(|| state.sealer.open(&link.token_sealed))
        .flatten()
        .map(|t| state.settings.public_url(&format!("s/{t}")));
    let mut v = json!({
        "id": link.id,
        "kind": link.kind,
        "url": url,
        "title": link.title,
        "message": link.message,
        "state": link.state().as_str(),
        "expires_at": rfc3339(link.expires_at),
        "created_at": rfc3339(link.created_at),
        "password": link.has_password(),
        "max_downloads": link.max_downloads,
        "downloads": link.download_count,
        "notify_downloads": link.notify_downloads == 1,
        "remind_expiry": link.remind_expiry == 1,
    });
    if link.kind() == LinkKind::Upload {
        v["max_files"] = json!(link.max_files);
        v["max_bytes"] = json!(link.max_bytes);
        v["max_file_bytes"] = json!(link.max_file_bytes);
        v["allowed_types"] = json!(crate::domain::file_type::from_stored(
            link.allowed_types.as_deref()
        )
        .iter()
        .map(|t| t.key)
        .collect::<Vec<_>>());
        v["require_identity"] = json!(link.require_identity == 1);
        v["notify_uploads"] = json!(link.notify_uploads == 1);
        v["single_use"] = json!(link.single_use == 1);
        v["received_files"] = json!(link.received_files);
        v["received_bytes"] = json!(link.received_bytes);
        if let Some(o) = v.as_object_mut() {
            o.remove("max_downloads");
            o.remove("downloads");
            o.remove("notify_downloads");
        }
    }
    if let Some(files) = files {
        v["files"] = files.iter().map(file_json).collect();
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    kind: String,
    title: String,
    #[serde(default)]
    message: String,
    expires_at: Option<String>,
    expires_in_days: Option<i64>,
    password: Option<String>,
    max_downloads: Option<i64>,
    #[serde(default)]
    recipients: Vec<String>,
    /// Download links only: the owner hears of downloads, in batches.
    notify_downloads: Option<bool>,
    /// The owner is reminded once before the link expires.
    remind_expiry: Option<bool>,
    // Upload links only.
    max_files: Option<i64>,
    max_bytes: Option<i64>,
    max_file_bytes: Option<i64>,
    allowed_types: Option<Vec<String>>,
    require_identity: Option<bool>,
    notify_uploads: Option<bool>,
    single_use: Option<bool>,
}

impl CreateLink {
    /// The upload rules of an upload link; for a download link, any upload field is an error
    /// (and so is a download limit on an upload link).
    fn upload_rules(
        &self,
        kind: LinkKind,
        settings: &crate::config::Settings,
    ) -> Result<Option<UploadRules>, AppError> {
        let given = self.max_files.is_some()
            || self.max_bytes.is_some()
            || self.max_file_bytes.is_some()
            || self.allowed_types.is_some()
            || self.require_identity.is_some()
            || self.notify_uploads.is_some()
            || self.single_use.is_some();
        match kind {
            LinkKind::Download if given => {
                Err(AppError::BadRequest("error.upload_fields_on_download"))
            }
            LinkKind::Download => Ok(None),
            LinkKind::Upload if self.max_downloads.is_some() => {
                Err(AppError::BadRequest("error.max_downloads_on_upload"))
            }
            LinkKind::Upload => Ok(Some(sharing::upload_rules(
                settings,
                self.max_files,
                self.max_bytes,
                self.max_file_bytes,
                self.allowed_types
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str),
                self.require_identity.unwrap_or(false),
                self.notify_uploads.unwrap_or(false),
                self.single_use.unwrap_or(false),
            )?)),
        }
    }
}

async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    body: web::Json<CreateLink>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let user = &caller.user;
    if !user.role().can_share() {
        return Err(AppError::Forbidden);
    }
    let kind = LinkKind::parse(&body.kind).ok_or(AppError::BadRequest("error.link_kind"))?;
    let upload = body.upload_rules(kind, &state.settings)?;
    if kind != LinkKind::Download && body.notify_downloads.is_some() {
        return Err(AppError::BadRequest("error.notify_downloads_on_upload"));
    }
    let tenant_id = user.tenant_id.as_deref().ok_or(AppError::Forbidden)?;
    let policy = policy::for_tenant(&state.db, tenant_id).await?;
    let expires = match (&body.expires_at, body.expires_in_days) {
        (Some(_), Some(_)) => return Err(AppError::BadRequest("error.expiry_invalid")),
        (Some(at), None) => Expiry::at_rfc3339(at, policy.max_days),
        (None, Some(days)) => Expiry::in_days(days, policy.max_days),
        (None, None) => Expiry::in_days(policy.default_days, policy.max_days),
    }
    .map_err(AppError::from)?;
    let title = sharing::clean_text(&body.title, sharing::MAX_TITLE, false, "error.title")?;
    if title.is_empty() {
        return Err(AppError::BadRequest("error.title"));
    }
    let message = sharing::clean_text(&body.message, sharing::MAX_MESSAGE, true, "error.message")?;
    if let Some(pw) = &body.password {
        policy.check_link_password(pw)?;
    }
    let max_downloads = body
        .max_downloads
        .map(sharing::check_max_downloads)
        .transpose()?;
    let (id, _token) = sharing::create(
        &state,
        user,
        kind,
        LinkInput {
            recipients: sharing::parse_recipients(body.recipients.iter().map(String::as_str))?,
            title,
            message,
            expires_at: expires.0,
            password: body.password,
            max_downloads,
            upload,
            notices: links::Notices {
                downloads: body.notify_downloads.unwrap_or(false),
                expiry: body.remind_expiry.unwrap_or(false),
            },
        },
        Vec::new(),
        Some(&client),
    )
    .await?;
    let link = links::in_tenant(&state.db, tenant_id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(link_json(
        &state,
        &link,
        LinkAccess::Manage,
        Some(&[]),
    )))
}

async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    let user = &caller.user;
    let tenant_id = user.tenant_id.as_deref().ok_or(AppError::NotFound)?;
    let owner = match user.role() {
        crate::domain::role::Role::Admin | crate::domain::role::Role::Auditor => None,
        _ => Some(user.id.as_str()),
    };
    let rows = links::list(&state.db, tenant_id, owner, 1000).await?;
    let out: Vec<Value> = rows
        .iter()
        .map(|l| {
            let access = match user.role() {
                crate::domain::role::Role::Admin => LinkAccess::Manage,
                _ if l.owner_id == user.id => LinkAccess::Manage,
                _ => LinkAccess::Read,
            };
            link_json(&state, l, access, None)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "links": out })))
}

async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (link, access) = access::link_for_user(&state.db, &caller.user, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let files = files::of_link(&state.db, &link.id).await?;
    let mut v = link_json(&state, &link, access, Some(&files));
    if link.kind() == LinkKind::Upload {
        let subs = crate::db::submissions::of_link(&state.db, &link.id).await?;
        v["submissions"] = subs.iter().map(submission_json).collect();
    }
    Ok(HttpResponse::Ok().json(v))
}

/// A clean file of one of the caller's links (any link of the tenant for its admins).
async fn download(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, file_id) = path.into_inner();
    crate::web::staff::links::files::send_file(&req, &state, &caller.user, client, &id, &file_id)
        .await
}

async fn close(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &caller.user, &id).await?;
    sharing::close(&state.db, &caller.user, &link, Some(&client)).await?;
    let link = links::in_tenant(&state.db, &link.tenant_id, &link.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(link_json(&state, &link, LinkAccess::Manage, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    expires_in_days: Option<i64>,
}

async fn reopen(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // No body: the tenant's default lifetime; a body must be exactly `{"expires_in_days": n}`.
    let body: Option<Reopen> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(
            serde_json::from_slice(&body)
                .map_err(|_| AppError::BadRequest("error.invalid_form"))?,
        )
    };
    let link = access::link_to_manage(&state.db, &caller.user, &id).await?;
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    let days = body
        .and_then(|b| b.expires_in_days)
        .unwrap_or(policy.default_days);
    sharing::reopen(&state.db, &caller.user, &link, days, Some(&client)).await?;
    let link = links::in_tenant(&state.db, &link.tenant_id, &link.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(link_json(&state, &link, LinkAccess::Manage, None)))
}

/// Changes a link. Absent fields stay as they are; `"password": null` removes the password and
/// `"max_downloads": null` removes the limit. `notify_downloads` (download links) and
/// `remind_expiry` are true or false.
async fn change(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    id: web::Path<String>,
    body: web::Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &caller.user, &id).await?;
    if link.state() != crate::domain::link::LinkState::Active {
        return Err(AppError::Conflict("error.link_not_active"));
    }
    let body = body.into_inner();
    const KNOWN: [&str; 8] = [
        "title",
        "message",
        "expires_at",
        "expires_in_days",
        "password",
        "max_downloads",
        "notify_downloads",
        "remind_expiry",
    ];
    if body.keys().any(|k| !KNOWN.contains(&k.as_str())) {
        return Err(AppError::BadRequest("error.invalid_form"));
    }
    let text = |key: &str| -> Result<Option<&str>, AppError> {
        match body.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(AppError::BadRequest("error.invalid_form")),
        }
    };
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    let mut changes = crate::db::links::LinkChanges::default();
    if let Some(t) = text("title")? {
        let t = sharing::clean_text(t, sharing::MAX_TITLE, false, "error.title")?;
        if t.is_empty() {
            return Err(AppError::BadRequest("error.title"));
        }
        changes.title = Some(t);
    }
    if let Some(m) = text("message")? {
        changes.message = Some(sharing::clean_text(
            m,
            sharing::MAX_MESSAGE,
            true,
            "error.message",
        )?);
    }
    changes.expires_at = match (text("expires_at")?, body.get("expires_in_days")) {
        (Some(_), Some(_)) => return Err(AppError::BadRequest("error.expiry_invalid")),
        (Some(at), None) => Some(
            Expiry::at_rfc3339(at, policy.max_days)
                .map_err(AppError::from)?
                .0,
        ),
        (None, Some(days)) => {
            let days = days
                .as_i64()
                .ok_or(AppError::BadRequest("error.expiry_invalid"))?;
            Some(
                Expiry::in_days(days, policy.max_days)
                    .map_err(AppError::from)?
                    .0,
            )
        }
        (None, None) => None,
    };
    changes.password_hash = match body.get("password") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(pw)) => {
            policy.check_link_password(pw)?;
            Some(Some(crate::auth::password::hash(pw.clone()).await?))
        }
        Some(_) => return Err(AppError::BadRequest("error.invalid_form")),
    };
    changes.max_downloads = match body.get("max_downloads") {
        None => None,
        Some(_) if link.kind() == LinkKind::Upload => {
            return Err(AppError::BadRequest("error.max_downloads_on_upload"))
        }
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(sharing::check_max_downloads(
            v.as_i64()
                .ok_or(AppError::BadRequest("error.max_downloads"))?,
        )?)),
    };
    let flag = |key: &str| -> Result<Option<bool>, AppError> {
        match body.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(AppError::BadRequest("error.notice_flag")),
        }
    };
    changes.notify_downloads = flag("notify_downloads")?;
    if changes.notify_downloads.is_some() && link.kind() != LinkKind::Download {
        return Err(AppError::BadRequest("error.notify_downloads_on_upload"));
    }
    changes.remind_expiry = flag("remind_expiry")?;
    sharing::change(&state.db, &caller.user, &link, changes, Some(&client)).await?;
    let link = links::in_tenant(&state.db, &link.tenant_id, &link.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(link_json(&state, &link, LinkAccess::Manage, None)))
}

async fn revoke(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &caller.user, &id).await?;
    sharing::revoke(&state.db, &caller.user, &link, Some(&client)).await?;
    let link = links::in_tenant(&state.db, &link.tenant_id, &link.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(link_json(&state, &link, LinkAccess::Manage, None)))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    name: String,
}

async fn upload(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    id: web::Path<String>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &caller.user, &id).await?;
    if link.kind() != LinkKind::Download {
        return Err(AppError::Forbidden);
    }
    if link.state() != crate::domain::link::LinkState::Active {
        return Err(AppError::Conflict("error.link_not_active"));
    }
    let name = FileName::sanitize(&query.name);
    let policy = policy::for_tenant(&state.db, &link.tenant_id).await?;
    let room =
        StorageRoom::of_tenant(&state.db, &link.tenant_id, policy.storage_quota_bytes).await?;
    let limits = Limits {
        file: policy.file_limit(&state.settings),
        quota_left: room.left_after(0),
    };
    let data = ingest::ingest(&state.store, &state.scanner, body, limits)
        .await
        .map_err(ingest_error)?;
    let file_id = sharing::add_file(
        &state,
        &caller.user,
        &link,
        Incoming { name, data },
        Some(&client),
    )
    .await?;
    let file = files::in_link(&state.db, &link.id, &file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(file_json(&file)))
}

pub fn ingest_error(e: IngestError) -> AppError {
    match e {
        IngestError::TooLarge { .. } => AppError::PayloadTooLarge,
        IngestError::OverQuota => AppError::QuotaExceeded,
        IngestError::Interrupted(_) => AppError::BadRequest("error.upload_interrupted"),
        IngestError::Storage(e) => AppError::Internal(e),
    }
}
