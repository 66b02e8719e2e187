//! `POST /s/{token}/files`: a partner sends files through an upload link, as a plain multipart
//! form (several files at once; the page's script only adds progress), or with curl. Each file is
//! streamed to storage, SHA-256 and clamd as it arrives; the link's limits cut a file off the
//! moment it goes over. A refused or broken submission leaves nothing in storage or the database.
//!
//! A browser's post carries the CSRF cookie and must echo its token; a client without cookies
//! (curl) has no ambient authority to abuse, so the token in the URL (and, for a protected link,
//! the password as HTTP Basic auth: `curl -u :password`) is what authorises it.

use actix_multipart::Multipart;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::csrf;
use crate::db::links::{Link, PublicLink};
use crate::domain::file_name::FileName;
use crate::domain::link::LinkKind;
use crate::domain::time::rfc3339;
use crate::error::AppError;
use crate::sharing::access::{self, PublicAccess};
use crate::sharing::ingest::{self, IngestError, Limits};
use crate::sharing::links::Incoming;
use crate::sharing::quota::StorageRoom;
use crate::sharing::unlock::{self, Verified};
use crate::sharing::uploads::{self, Budget, ReceiveError, Received, Refusal, Sender};
use crate::startup::AppState;
use crate::storage::PendingBlobs;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::format::human_size;
use crate::web::public::unavailable;
use crate::web::render::{as_rendered, page_with_status, see_other};
use crate::web::staff::links::create::{read_text, skip_field};

pub const RECEIPT_COOKIE: &str = "bote_receipt";
/// How long the sender's browser can open the receipt again.
const RECEIPT_DAYS: i64 = 30;
/// After a refusal, this much of the rest of the request is read and discarded so that the
/// client gets to see the answer instead of a reset connection; beyond it the connection closes.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// What the client wants back: the receipt page (browsers), JSON (the page's script, tools), or
/// plain text (curl's default).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Page,
    Json,
    Text,
}

impl Reply {
    pub fn of(req: &HttpRequest) -> Reply {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accept.contains("application/json") {
            Reply::Json
        } else if accept.contains("text/html") {
            Reply::Page
        } else {
            Reply::Text
        }
    }
}

#[derive(Template)]
#[template(path = "public/upload_refused.html")]
struct RefusedPage {
    ctx: PageCtx,
    token: String,
    message: &'static str,
    file: Option<String>,
    limit: Option<String>,
}

/// The text fields of the upload form.
#[derive(Default)]
struct Fields {
    csrf_token: Option<String>,
    sender_name: String,
    sender_email: String,
    identity_seen: bool,
}

/// The file name of a part: `filename`, or the RFC 5987 `filename*` some clients send instead
/// (percent-encoded, so it may carry any byte; the name is sanitized afterwards either way).
fn file_name_of(cd: &actix_web::http::header::ContentDisposition) -> Option<String> {
    let plain = cd
        .get_filename()
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let extended = cd
        .get_filename_ext()
        .map(|ext| String::from_utf8_lossy(&ext.value).into_owned())
        .filter(|n| !n.is_empty());
    extended.or(plain)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let reply = Reply::of(&req);
    let found = match access::public_link(&state.db, &token, LinkKind::Upload).await? {
        PublicAccess::Live(found) => found,
        PublicAccess::Dead { link, reason } => {
            unavailable::record(
                &state,
                &client,
                "upload.refused",
                link.as_ref(),
                None,
                reason,
            )
            .await;
            return dead_end(reply, ctx);
        }
    };
    if let Some(answer) = check_password(&req, &state, &found, &client, reply, &token).await? {
        return Ok(answer);
    }
    let mut blobs = PendingBlobs::new(&state.store);
    let read = read_submission(&req, &state, &found.link, &mut payload, &mut blobs).await;
    let result = match read {
        Ok((sender, incoming)) => {
            commit(&state, &found.link, sender, incoming, &client, blobs).await
        }
        // Dropping the guard removes whatever this request stored.
        Err(e) => Err(e),
    };
    match result {
        Ok(received) => receipt_reply(&state, reply, &token, &received),
        Err(ReceiveError::Refused(refusal)) => {
            record_refusal(&state, &found.link, &client, &refusal).await;
            drain(&mut payload).await;
            refusal_reply(reply, ctx, &token, &refusal)
        }
        Err(ReceiveError::Failed(e)) => Err(e),
    }
}

/// Takes the submission in, in a task of its own: a client that goes away at that moment must
/// not tear the commit apart from keeping its blobs (rows without data), nor leave blobs of a
/// submission that did not commit.
async fn commit(
    state: &web::Data<AppState>,
    link: &Link,
    sender: Sender,
    incoming: Vec<Incoming>,
    client: &ClientInfo,
    blobs: PendingBlobs,
) -> Result<Received, ReceiveError> {
    let (state, link, client) = (state.clone(), link.clone(), client.clone());
    tokio::spawn(async move {
        let result = uploads::receive(&state, &link, sender, &incoming, &client).await;
        if result.is_ok() {
            blobs.keep();
        }
        result
    })
    .await
    .map_err(|e| ReceiveError::Failed(anyhow::anyhow!("submission task: {e}").into()))?
}

/// Reads the form: text fields as they come, each file through ingest within what is left of
/// the link's limits. Files are checked for their type as soon as they are in.
async fn read_submission(
    req: &HttpRequest,
    state: &AppState,
    link: &Link,
    payload: &mut Multipart,
    blobs: &mut PendingBlobs,
) -> Result<(Sender, Vec<Incoming>), ReceiveError> {
    let policy = crate::sharing::policy::for_tenant(&state.db, &link.tenant_id).await?;
    let budget = Budget::of(link, policy.file_limit(&state.settings));
    let room =
        StorageRoom::of_tenant(&state.db, &link.tenant_id, policy.storage_quota_bytes).await?;
    let needs_csrf = csrf::from_cookie(req).is_some();
    let require_identity = link.require_identity == 1;
    let mut fields = Fields::default();
    let mut incoming: Vec<Incoming> = Vec::new();
    let mut used: u64 = 0;
    let malformed = || ReceiveError::Refused(Refusal::bad("error.invalid_form", "malformed form"));
    while let Some(mut field) = payload.try_next().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "files" {
            let value = read_text(&mut field).await?;
            match name.as_str() {
                "csrf_token" => fields.csrf_token = Some(value),
                "sender_name" => {
                    fields.sender_name = value;
                    fields.identity_seen = true;
                }
                "sender_email" => {
                    fields.sender_email = value;
                    fields.identity_seen = true;
                }
                _ => {}
            }
            continue;
        }
        let Some(raw_name) = field.content_disposition().and_then(file_name_of) else {
            // An empty file input sends a part without a name: no file chosen.
            skip_field(&mut field).await?;
            continue;
        };
        let file_name = FileName::sanitize(&raw_name);
        // Nothing is stored before the form proved where it comes from and who sends it.
        if needs_csrf && !csrf::matches_cookie(req, fields.csrf_token.as_deref().unwrap_or("")) {
            return Err(AppError::CsrfRejected.into());
        }
        // Sent before the files (as the page does): checked before anything is stored. Sent
        // after them (curl in another order): checked at the end, and nothing is kept if wrong.
        if require_identity && incoming.is_empty() && fields.identity_seen {
            Sender::parse(&fields.sender_name, &fields.sender_email, true)
                .map_err(ReceiveError::Refused)?;
        }
        if !budget.may_add_file(incoming.len() as u64) {
            return Err(ReceiveError::Refused(
                Refusal::too_large(
                    "error.upload_too_many_files",
                    "file count limit",
                    budget.max_files.unwrap_or_default(),
                )
                .for_file(file_name.as_str()),
            ));
        }
        let limits = Limits {
            file: budget.next_file_limit(used),
            quota_left: room.left_after(used),
        };
        let data = match ingest::ingest(&state.store, &state.scanner, &mut field, limits).await {
            Ok(data) => data,
            Err(IngestError::OverQuota) => {
                return Err(ReceiveError::Refused(
                    Refusal::over_quota().for_file(file_name.as_str()),
                ))
            }
            Err(IngestError::TooLarge { limit }) => {
                return Err(ReceiveError::Refused(
                    budget.refusal_at(limit).for_file(file_name.as_str()),
                ))
            }
            Err(IngestError::Interrupted(_)) => {
                return Err(ReceiveError::Refused(
                    Refusal::bad("error.upload_interrupted", "upload interrupted")
                        .for_file(file_name.as_str()),
                ))
            }
            Err(IngestError::Storage(e)) => return Err(ReceiveError::Failed(e.into())),
        };
        blobs.add(&data.storage_key);
        used += data.size;
        let file = Incoming {
            name: file_name,
            data,
        };
        uploads::check_type(link, &policy, &file).map_err(ReceiveError::Refused)?;
        incoming.push(file);
    }
    if needs_csrf && !csrf::matches_cookie(req, fields.csrf_token.as_deref().unwrap_or("")) {
        return Err(AppError::CsrfRejected.into());
    }
    let sender = Sender::parse(&fields.sender_name, &fields.sender_email, require_identity)
        .map_err(ReceiveError::Refused)?;
    if incoming.is_empty() {
        return Err(ReceiveError::Refused(Refusal::bad(
            "error.upload_no_files",
            "no files",
        )));
    }
    Ok((sender, incoming))
}

/// A protected link needs an unlock (browsers) or the password as HTTP Basic auth (curl). Returns
/// the answer to send when neither is there or the password is wrong.
async fn check_password(
    req: &HttpRequest,
    state: &AppState,
    found: &PublicLink,
    client: &ClientInfo,
    reply: Reply,
    token: &str,
) -> Result<Option<HttpResponse>, AppError> {
    if unlock::is_unlocked(&state.db, req, &found.link).await? {
        return Ok(None);
    }
    let refused = |status: StatusCode, key: &'static str| {
        let mut res = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"Bote upload link\""));
        }
        let message = crate::web::ctx::request_lang(req).t(key);
        match reply {
            Reply::Json => {
                res.json(json!({ "error": key.trim_start_matches("link."), "message": message }))
            }
            _ => res
                .content_type("text/plain; charset=utf-8")
                .body(format!("{message}\n")),
        }
    };
    let Some(password) = basic_password(req) else {
        unavailable::record(
            state,
            client,
            "upload.refused",
            Some(found),
            None,
            "not unlocked",
        )
        .await;
        return Ok(Some(match reply {
            // The link page asks for the password first.
            Reply::Page => see_other(&format!("/s/{token}")),
            _ => refused(StatusCode::UNAUTHORIZED, "link.password_needed"),
        }));
    };
    Ok(
        match unlock::verify(state, &found.link, &password, client).await? {
            Verified::Right => None,
            Verified::Wrong => Some(refused(StatusCode::UNAUTHORIZED, "link.wrong_password")),
            Verified::Locked => Some(refused(StatusCode::TOO_MANY_REQUESTS, "link.locked")),
        },
    )
}

/// The password of `Authorization: Basic` (any user name).
fn basic_password(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    Some(password.to_string())
}

async fn record_refusal(state: &AppState, link: &Link, client: &ClientInfo, r: &Refusal) {
    let mut e = AuditEvent::new("upload.refused", Outcome::Refused, Actor::External)
        .tenant(Some(&link.tenant_id))
        .client(client)
        .reason(r.reason)
        .detail("message", r.key);
    if let Some(f) = &r.file {
        e = e.detail("name", f.clone());
    }
    if let Some(l) = r.limit {
        e = e.detail("limit", l);
    }
    e.link_id = Some(link.id.clone());
    audit::record_or_log(&state.db, e).await;
}

/// Reads and discards what is left of a refused request, within limits, so the client reads the
/// answer rather than a reset.
async fn drain(payload: &mut Multipart) {
    let mut seen: u64 = 0;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Ok(Some(mut field)) = payload.try_next().await {
            while let Some(Ok(chunk)) = field.next().await {
                seen += chunk.len() as u64;
                if seen > DRAIN_LIMIT {
                    return;
                }
            }
        }
    })
    .await;
}

fn dead_end(reply: Reply, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let message = ctx.tr.get("link.unavailable_text");
    match reply {
        Reply::Page => unavailable::page(ctx),
        Reply::Json => {
            Ok(HttpResponse::NotFound().json(json!({ "error": "not_found", "message": message })))
        }
        Reply::Text => Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("{message}\n"))),
    }
}

fn refusal_reply(
    reply: Reply,
    ctx: PageCtx,
    token: &str,
    r: &Refusal,
) -> Result<HttpResponse, AppError> {
    let message = ctx.tr.get(r.key);
    let limit = r.limit.map(|l| {
        if r.key == "error.upload_too_many_files" {
            l.to_string()
        } else {
            human_size(l)
        }
    });
    let mut res = HttpResponse::build(r.status);
    // The rest of the request may not have been read: this connection is not reused.
    res.force_close();
    match reply {
        Reply::Page => {
            let mut out = page_with_status(
                &RefusedPage {
                    ctx,
                    token: token.to_string(),
                    message,
                    file: r.file.clone(),
                    limit,
                },
                r.status,
            )?;
            out.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            Ok(out)
        }
        Reply::Json => Ok(as_rendered(res.json(json!({ "error": {
            "code": r.key.trim_start_matches("error."),
            "message": message,
            "file": r.file,
            "limit": r.limit,
        }})))),
        Reply::Text => {
            let mut text = format!("{message}\n");
            if let Some(f) = &r.file {
                text.push_str(&format!("{f}\n"));
            }
            if let Some(l) = &limit {
                text.push_str(&format!("{l}\n"));
            }
            Ok(as_rendered(
                res.content_type("text/plain; charset=utf-8").body(text),
            ))
        }
    }
}

/// The receipt cookie: only under this submission's receipt path.
fn receipt_cookie(state: &AppState, token: &str, r: &Received) -> Cookie<'static> {
    Cookie::build(RECEIPT_COOKIE, r.receipt_secret.clone())
        .path(format!("/s/{token}/receipt/{}", r.submission_id))
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(RECEIPT_DAYS))
        .finish()
}

fn receipt_reply(
    state: &AppState,
    reply: Reply,
    token: &str,
    r: &Received,
) -> Result<HttpResponse, AppError> {
    let path = format!("/s/{token}/receipt/{}", r.submission_id);
    let cookie = receipt_cookie(state, token, r);
    let mut res = match reply {
        Reply::Page => see_other(&path),
        Reply::Json => HttpResponse::Created().json(json!({
            "submission": r.submission_id,
            "received_at": rfc3339(r.received_at),
            "receipt_url": path,
            "files": r.files.iter().map(|f| json!({
                "name": f.name,
                "size": f.size,
                "sha256": f.sha256,
                "scan": f.scan_state,
                "scan_detail": (f.scan_state == "infected").then_some(f.scan_detail.clone()).flatten(),
            })).collect::<Vec<_>>(),
        })),
        Reply::Text => {
            let mut text = format!(
                "Bote receipt {}\nreceived {}\n",
                r.submission_id,
                rfc3339(r.received_at)
            );
            for f in &r.files {
                text.push_str(&format!(
                    "{}  {}  {} bytes  {}\n",
                    f.sha256, f.scan_state, f.size, f.name
                ));
            }
            HttpResponse::Created()
                .content_type("text/plain; charset=utf-8")
                .body(text)
        }
    };
    res.add_cookie(&cookie)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(res)
}
