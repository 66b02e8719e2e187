//! One file of a link, sent as an attachment; HEAD and single Range requests work so that an
//! interrupted download can resume. What counts as a download: any GET whose bytes include the
//! file's first byte (a whole-file GET, or a range starting at 0). A resumed range that starts
//! later is not counted; HEAD is never counted. On a link with a download limit, a later range
//! is only served to the browser whose counted download left a grant for this file; that
//! browser may resume even once the limit is used up (never after expiry or revocation).

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::{files, links};
use crate::domain::link::LinkKind;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::sharing::access::{self, PublicAccess};
use crate::sharing::{grants, unlock};
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::public::unavailable::refuse;
use crate::web::transfer::{unsatisfiable, FileReply, TransferRecord};

pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, file_id) = path.into_inner();
    let file_id_for_record = uuid::Uuid::parse_str(&file_id).ok().map(|u| u.to_string());
    let action = "file.downloaded";
    let resuming = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|r| {
            !r.trim_start().starts_with("bytes=0-") && !r.trim_start().starts_with("bytes=-")
        });
    let found = match access::public_link(&state.db, &token, LinkKind::Download).await? {
        PublicAccess::Live(found) => found,
        // A used-up link still lets the holder of a grant resume that file.
        PublicAccess::Dead {
            link: Some(found),
            reason: "download limit reached",
        } if resuming
            && grants::holds(
                &state.db,
                &req,
                &found.link.id,
                file_id_for_record.as_deref().unwrap_or_default(),
            )
            .await? =>
        {
            found
        }
        PublicAccess::Dead { link, reason } => {
            return refuse(
                &state,
                ctx,
                &client,
                action,
                link.as_ref(),
                file_id_for_record.as_deref(),
                reason,
            )
            .await
        }
    };
    let refuse_here = |reason: &'static str| {
        let found = found.clone();
        let id = file_id_for_record.clone();
        let state = state.clone();
        let client = client.clone();
        let ctx = ctx.clone();
        async move {
            refuse(
                &state,
                ctx,
                &client,
                action,
                Some(&found),
                id.as_deref(),
                reason,
            )
            .await
        }
    };
    if !unlock::is_unlocked(&state.db, &req, &found.link).await? {
        return refuse_here("not unlocked").await;
    }
    let Some(id) = file_id_for_record.as_deref() else {
        return refuse_here("unknown file").await;
    };
    let Some(file) = files::in_link(&state.db, &found.link.id, id).await? else {
        return refuse_here("unknown file").await;
    };
    if !file.is_clean() {
        return refuse_here("file is not clean").await;
    }

    let Some(reply) = FileReply::plan(&req, &file) else {
        record_now(
            &state,
            &found.link,
            &file.id,
            &client,
            "file.range_refused",
            Outcome::Refused,
        )
        .await;
        return Ok(unsatisfiable(&file));
    };
    if req.method() == Method::HEAD {
        record_now(
            &state,
            &found.link,
            &file.id,
            &client,
            "file.head",
            Outcome::Success,
        )
        .await;
        return Ok(reply.head());
    }
    let span = reply.span.clone();
    // A request that includes the first byte is a download and must fit the link's limit.
    let counted = span.start == 0;
    let limited = found.link.max_downloads.is_some();
    let mut grant = None;
    if counted {
        if !links::claim_download(
            &state.db,
            &found.link.id,
            now_ms(),
            state.settings.download_notice_delay.as_millis() as i64,
        )
        .await?
        {
            return refuse_here("download limit reached, expired or revoked meanwhile").await;
        }
        if limited {
            grant = Some(
                grants::issue(&state.db, &found.link.id, &file.id, found.link.expires_at).await?,
            );
        }
    } else if limited && !grants::holds(&state.db, &req, &found.link.id, &file.id).await? {
        return refuse_here("resume without a counted download").await;
    }
    let mut reply = reply;
    if let Some(value) = grant {
        reply.builder.cookie(grants::cookie(
            value,
            &token,
            &file.id,
            state.settings.is_https(),
        ));
    }
    let record = TransferRecord {
        db: state.db.clone(),
        actor: Actor::External,
        tenant_id: found.link.tenant_id.clone(),
        link_id: found.link.id.clone(),
        file_id: Some(file.id.clone()),
        action,
        client,
        expected: reply.byte_len(),
        range: reply.range_text(),
        counted,
    };
    reply.send(&state.store, &file, record).await
}

/// Records an access that sends no file bytes (HEAD, an unsatisfiable range).
async fn record_now(
    state: &AppState,
    link: &crate::db::links::Link,
    file_id: &str,
    client: &ClientInfo,
    action: &'static str,
    outcome: Outcome,
) {
    let mut e = AuditEvent::new(action, outcome, Actor::External)
        .tenant(Some(&link.tenant_id))
        .client(client);
    e.link_id = Some(link.id.clone());
    e.file_id = Some(file_id.to_string());
    audit::record_or_log(&state.db, e).await;
}
