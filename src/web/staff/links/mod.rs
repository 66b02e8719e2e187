//! Staff pages for their links: list, create (download links with files, upload links with
//! their limits), details and history, what was received and from whom, revoke, close, reopen.

pub mod create;
pub mod create_upload;
pub mod detail;
pub mod edit;
pub mod files;
pub mod list;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/links")
            .route(web::get().to(list::show))
            .route(web::post().to(create::submit)),
    )
    .route("/links/new", web::get().to(create::form))
    .service(
        web::resource("/links/new-upload")
            .route(web::get().to(create_upload::form))
            .route(web::post().to(create_upload::submit)),
    )
    .route("/links/{id}/close", web::post().to(detail::close))
    .route("/links/{id}/reopen", web::post().to(detail::reopen))
    .route("/links/{id}/zip", web::get().to(files::zip))
    .service(
        web::resource("/links/{id}/files/{file_id}").route(
            web::route()
                .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
                .to(files::file),
        ),
    )
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
        Closed => "links.state_closed",
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
