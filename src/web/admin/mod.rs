//! Pages for the tenant's administrators.

pub mod held_files;
pub mod outbox;
pub mod policy;
pub mod users;

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
        )
        .route("/admin/mail", web::get().to(outbox::list))
        .route("/admin/mail/{id}/retry", web::post().to(outbox::retry))
        .route("/admin/policy", web::get().to(policy::show))
        .route("/admin/policy", web::post().to(policy::save))
        .route("/admin/users", web::get().to(users::list))
        .route("/admin/users/invite", web::post().to(users::invite))
        .route("/admin/users/{id}/role", web::post().to(users::change_role))
        .route(
            "/admin/users/{id}/transfer",
            web::post().to(users::transfer),
        )
        // disable, enable, password-link
        .route("/admin/users/{id}/{action}", web::post().to(users::button));
}

/// The tenant of an admin; everyone else is refused.
pub fn admin_tenant(current: &CurrentUser) -> Result<&str, AppError> {
    match (current.user.role(), current.user.tenant_id.as_deref()) {
        (Role::Admin, Some(t)) => Ok(t),
        _ => Err(AppError::Forbidden),
    }
}
