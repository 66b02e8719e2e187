//! Staff pages for their links: list, create (with files), details and history, revoke.

pub mod create;
pub mod detail;
pub mod edit;
pub mod list;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/links")
            .route(web::get().to(list::show))
            .route(web::post().to(create::submit)),
    )
    .route("/links/new", web::get().to(create::form))
    .route("/links/{id}", web::get().to(detail::show))
    .route("/links/{id}/revoke", web::post().to(detail::revoke))
    .service(
        web::resource("/links/{id}/edit")
            .route(web::get().to(edit::form))
            .route(web::post().to(edit::submit)),
    )
    .route("/links/{id}/files", web::post().to(edit::add_files))
    .route(
        "/links/{id}/files/{file_id}/delete",
        web::post().to(edit::remove_file),
    );
}

/// The catalogue key of a link state.
pub fn state_key(state: crate::domain::link::LinkState) -> &'static str {
    use crate::domain::link::LinkState::*;
    match state {
        Active => "links.state_active",
        Expired => "links.state_expired",
        Revoked => "links.state_revoked",
        Exhausted => "links.state_exhausted",
    }
}

/// The catalogue key of a file's scan state.
pub fn scan_key(state: &str) -> &'static str {
    match state {
        "clean" => "scan.clean",
        "infected" => "scan.infected",
        "unscannable" => "scan.unscannable",
        "failed" => "scan.failed",
        _ => "scan.pending",
    }
}
