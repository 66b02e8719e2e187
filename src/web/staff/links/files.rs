//! Staff fetch what their links hold: one clean file, or all clean files as a ZIP. Owners and
//! tenant admins may; auditors see the details but never the contents. Each fetch is recorded.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::audit::Actor;
use crate::auth::session::CurrentUser;
use crate::db::files;
use crate::db::users::User;
use crate::error::AppError;
use crate::sharing::access;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::transfer::{attachment, zip_response, TransferRecord};

/// One clean file of a link the user manages, as an attachment (also for the API).
pub async fn send_file(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    client: ClientInfo,
    link_id: &str,
    file_id: &str,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, user, link_id).await?;
    if uuid::Uuid::parse_str(file_id).is_err() {
        return Err(AppError::NotFound);
    }
    let file = files::in_link(&state.db, &link.id, file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !file.is_clean() {
        return Err(AppError::Conflict("error.file_not_clean"));
    }
    let db = state.db.clone();
    let recorded_file = file.id.clone();
    attachment(req, &state.store, &file, move |len, range| TransferRecord {
        db,
        actor: Actor::user(user),
        tenant_id: link.tenant_id.clone(),
        link_id: link.id.clone(),
        file_id: Some(recorded_file),
        action: "file.downloaded",
        client,
        expected: len,
        range,
        counted: false,
    })
    .await
}

pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (link_id, file_id) = path.into_inner();
    send_file(&req, &state, &current.user, client, &link_id, &file_id).await
}

pub async fn zip(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let link = access::link_to_manage(&state.db, &current.user, &id).await?;
    let clean = files::clean_of_link(&state.db, &link.id).await?;
    if clean.is_empty() {
        return Err(AppError::Conflict("error.no_clean_files"));
    }
    let db = state.db.clone();
    let actor = Actor::user(&current.user);
    Ok(zip_response(
        &state.store,
        &clean,
        &link.title,
        move |len| TransferRecord {
            db,
            actor,
            tenant_id: link.tenant_id.clone(),
            link_id: link.id.clone(),
            file_id: None,
            action: "zip.downloaded",
            client,
            expected: len,
            range: None,
            counted: false,
        },
    ))
}
