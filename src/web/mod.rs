//! HTTP: routes grouped by audience, plus the middleware every request passes.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod audit;
pub mod client;
pub mod ctx;
pub mod detached;
pub mod error_pages;
pub mod format;
pub mod health;
pub mod lang;
pub mod operator;
pub mod public;
pub mod render;
pub mod request_log;
pub mod security;
pub mod staff;
pub mod transfer;

use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{name}", web::get().to(assets::serve))
        .route("/lang", web::post().to(lang::switch))
        .configure(staff::configure)
        .configure(public::configure)
        .configure(account::configure)
        .configure(admin::configure)
        .configure(audit::configure)
        .configure(operator::configure)
        .service(
            web::scope("/api/v1")
                .wrap(from_fn(crate::auth::api_token::check_first))
                .configure(api::configure),
        );
}
