//! Pages for the operator of the deployment: the tenants, their state and what they use. The
//! operator belongs to no tenant, so every tenant page (links, files, records, users) refuses
//! them on its own; these pages show counts only, never a tenant's contents.

pub mod tenants;

use actix_web::web;

use crate::auth::session::CurrentUser;
use crate::db::users::User;
use crate::domain::role::Role;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/operator", web::get().to(tenants::list))
        .route("/operator/tenants", web::post().to(tenants::create))
        .route(
            "/operator/tenants/{id}/suspend",
            web::post().to(tenants::suspend),
        )
        .route(
            "/operator/tenants/{id}/resume",
            web::post().to(tenants::resume),
        )
        .route(
            "/operator/tenants/{id}/quota",
            web::post().to(tenants::set_quota),
        )
        .route(
            "/operator/tenants/{id}/invite-admin",
            web::post().to(tenants::invite_admin),
        );
}

/// The operator; everyone else is refused (an account with the role but a tenant is not one).
pub fn operator_only(current: &CurrentUser) -> Result<&User, AppError> {
    match (current.user.role(), current.user.tenant_id.as_deref()) {
        (Role::Operator, None) => Ok(&current.user),
        _ => Err(AppError::Forbidden),
    }
}
