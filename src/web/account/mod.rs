//! Pages for people on their way into their account: a forgotten password, and the one-time link
//! of an invitation or reset that sets a new one.

pub mod password;
pub mod tokens;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/password/forgot", web::get().to(password::forgot_form))
        .route("/password/forgot", web::post().to(password::forgot_submit))
        .route("/password/set/{token}", web::get().to(password::set_form))
        .route(
            "/password/set/{token}",
            web::post().to(password::set_submit),
        )
        .route("/account/tokens", web::get().to(tokens::list))
        .route("/account/tokens", web::post().to(tokens::create))
        .route(
            "/account/tokens/{id}/revoke",
            web::post().to(tokens::revoke),
        );
}
