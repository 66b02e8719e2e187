//! All clean files of a link as one ZIP, streamed as it is produced (exact Content-Length, no
//! temporary file, flat memory). A ZIP counts as one download.

use crate::audit::Actor;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::{files, links};
use crate::domain::link::LinkKind;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::sharing::access::{self, PublicAccess};
use crate::sharing::unlock;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::public::unavailable::refuse;
use crate::web::transfer::{zip_response, TransferRecord};

pub async fn all(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let action = "zip.downloaded";
    let found = match access::public_link(&state.db, &token, LinkKind::Download).await? {
        PublicAccess::Live(found) => found,
        PublicAccess::Dead { link, reason } => {
            return refuse(&state, ctx, &client, action, link.as_ref(), None, reason).await
        }
    };
    if !unlock::is_unlocked(&state.db, &req, &found.link).await? {
        return refuse(
            &state,
            ctx,
            &client,
            action,
            Some(&found),
            None,
            "not unlocked",
        )
        .await;
    }
    let clean = files::clean_of_link(&state.db, &found.link.id).await?;
    if clean.is_empty() {
        return refuse(
            &state,
            ctx,
            &client,
            action,
            Some(&found),
            None,
            "no clean files",
        )
        .await;
    }
    if !links::claim_download(
        &state.db,
        &found.link.id,
        now_ms(),
        state.settings.download_notice_delay.as_millis() as i64,
    )
    .await?
    {
        return refuse(
            &state,
            ctx,
            &client,
            action,
            Some(&found),
            None,
            "download limit reached",
        )
        .await;
    }
    let db = state.db.clone();
    let tenant_id = found.link.tenant_id.clone();
    let link_id = found.link.id.clone();
    Ok(zip_response(
        &state.store,
        &clean,
        &found.link.title,
        move |len| TransferRecord {
            db,
            actor: Actor::External,
            tenant_id,
            link_id,
            file_id: None,
            action,
            client,
            expected: len,
            range: None,
            counted: true,
        },
    ))
}
