//! Pages for signed-in staff, and the login that leads there.

pub mod home;
pub mod links;
pub mod login;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::show))
        .service(
            web::resource("/login")
                .route(web::get().to(login::form))
                .route(web::post().to(login::submit)),
        )
        .route("/logout", web::post().to(login::logout))
        .configure(links::configure);
}
