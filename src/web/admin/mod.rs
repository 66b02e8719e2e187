//! Pages for the tenant's administrators.

pub mod held_files;
pub mod outbox;

use actix_web::web;

use crate::auth::session::CurrentUser;
use crate::domain::role::Role;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/files", web::get().to(held_files::list))
        .route(
            "/admin/files/{id}/release",
            web::post().to(held_files::release),
        )
        .route(
            "/admin/files/{id}/delete",
            web::post().to(held_files::delete),
        );
}

/// The tenant of an admin; everyone else is refused.
pub fn admin_tenant(current: &CurrentUser) -> Result<&str, AppError> {
    match (current.user.role(), current.user.tenant_id.as_deref()) {
        (Role::Admin, Some(t)) => Ok(t),
        _ => Err(AppError::Forbidden),
    }
}
