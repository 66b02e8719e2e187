//! All clean files of a link as one ZIP, streamed as it is produced (exact Content-Length, no
//! temporary file, flat memory). A ZIP counts as one download.

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::{files, links};
use crate::domain::file_name::FileName;
use crate::domain::time::{from_ms, now_ms};
use crate::error::AppError;
use crate::sharing::access::{self, PublicAccess};
use crate::sharing::unlock;
use crate::startup::AppState;
use crate::storage::zip_stream::{unique_names, zip_len, zip_stream, ZipEntry};
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::public::unavailable::refuse;
use crate::web::transfer::{AuditedBody, TransferRecord};

pub async fn all(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let action = "zip.downloaded";
    let found = match access::public_link(&state.db, &token).await? {
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
    if !links::claim_download(&state.db, &found.link.id, now_ms()).await? {
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
    let names = unique_names(
        &clean
            .iter()
            .map(|f| FileName::sanitize(&f.name).to_string())
            .collect::<Vec<_>>(),
    );
    let entries: Vec<ZipEntry> = clean
        .iter()
        .zip(names)
        .map(|(f, name)| ZipEntry {
            name,
            size: f.size as u64,
            modified: from_ms(f.created_at),
        })
        .collect();
    let len = zip_len(&entries);
    let keys: Vec<String> = clean.iter().map(|f| f.storage_key.clone()).collect();
    let store = state.store.clone();
    let body = zip_stream(entries, move |i| {
        let store = store.clone();
        let key = keys[i].clone();
        async move { store.read(&key, None).await.map_err(std::io::Error::other) }
    });
    let record = TransferRecord {
        db: state.db.clone(),
        tenant_id: found.link.tenant_id.clone(),
        link_id: found.link.id.clone(),
        file_id: None,
        action,
        client,
        expected: len,
        range: None,
        counted: true,
    };
    let zip_name = FileName::sanitize(&format!("{}.zip", found.link.title));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((header::CONTENT_DISPOSITION, zip_name.content_disposition()))
        .body(SizedStream::new(
            len,
            AuditedBody::new(Box::pin(body), record),
        )))
}
