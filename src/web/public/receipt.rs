//! `GET /s/{token}/receipt/{id}`: the receipt of one submission, for the browser that sent it
//! (its receipt cookie) and nobody else; the scan results are as far as known at each visit.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::{files, submissions};
use crate::domain::secret::{looks_like_token, secret_hash};
use crate::error::AppError;
use crate::sharing::access;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::format::{date_time, human_size};
use crate::web::public::unavailable::refuse;
use crate::web::public::upload::RECEIPT_COOKIE;
use crate::web::render::page;

struct Row {
    name: String,
    size: String,
    sha256: String,
    /// Catalogue key of what the scan means for the sender.
    state_key: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "public/receipt.html")]
struct ReceiptPage {
    ctx: PageCtx,
    token: String,
    title: String,
    tenant: String,
    recipient: String,
    id: String,
    received: String,
    sender_name: String,
    sender_email: String,
    files: Vec<Row>,
    pending: bool,
}

pub fn state_key(scan_state: &str) -> &'static str {
    match scan_state {
        "clean" => "receipt.clean",
        "infected" => "receipt.infected",
        "unscannable" => "receipt.held",
        _ => "receipt.pending",
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let action = "receipt.viewed";
    let Some(found) = access::upload_link_for_receipt(&state.db, &token).await? else {
        return refuse(&state, ctx, &client, action, None, None, "unknown token").await;
    };
    let submission = match uuid::Uuid::parse_str(&id) {
        Ok(_) => submissions::in_link(&state.db, &found.link.id, &id).await?,
        Err(_) => None,
    };
    let cookie = req
        .cookie(RECEIPT_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| looks_like_token(v));
    let Some(submission) =
        submission.filter(|s| cookie.is_some_and(|c| secret_hash(&c) == s.receipt_hash))
    else {
        return refuse(
            &state,
            ctx,
            &client,
            action,
            Some(&found),
            None,
            "unknown submission or no receipt cookie",
        )
        .await;
    };
    let files = files::of_submission(&state.db, &found.link.id, &submission.id).await?;
    let mut e = AuditEvent::new(action, Outcome::Success, Actor::External)
        .tenant(Some(&found.link.tenant_id))
        .client(&client)
        .detail("submission", submission.id.clone());
    e.link_id = Some(found.link.id.clone());
    audit::record(&state.db, e).await?;
    let rows: Vec<Row> = files
        .into_iter()
        .map(|f| Row {
            state_key: state_key(&f.scan_state),
            detail: if f.scan_state == "infected" {
                f.scan_detail.unwrap_or_default()
            } else {
                String::new()
            },
            name: f.name,
            size: human_size(f.size as u64),
            sha256: f.sha256,
        })
        .collect();
    page(&ReceiptPage {
        pending: rows.iter().any(|r| r.state_key == "receipt.pending"),
        received: date_time(submission.created_at, ctx.lang),
        ctx,
        token,
        title: found.link.title,
        tenant: found.tenant_name,
        recipient: found.owner_name,
        id: submission.id,
        sender_name: submission.sender_name.unwrap_or_default(),
        sender_email: submission.sender_email.unwrap_or_default(),
        files: rows,
    })
}
