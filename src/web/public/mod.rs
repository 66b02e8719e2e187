//! What an external partner sees at `/s/{token}`: the link page, its unlock, the downloads of a
//! download link, and the form, upload and receipts of an upload link.
//! Every dead end (unknown, expired, revoked, used up, other tenant, file not clean) looks the same.

pub mod download;
pub mod page;
pub mod receipt;
pub mod unavailable;
pub mod upload;
pub mod upload_page;
pub mod zip;

use actix_web::{guard, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/s/{token}")
            .route(web::get().to(page::show))
            .route(web::post().to(page::unlock)),
    )
    .route("/s/{token}/zip", web::get().to(zip::all))
    .route("/s/{token}/files", web::post().to(upload::submit))
    .route("/s/{token}/receipt/{id}", web::get().to(receipt::show))
    .service(
        web::resource("/s/{token}/files/{file_id}").route(
            web::route()
                .guard(guard::Any(guard::Get()).or(guard::Head()))
                .to(download::file),
        ),
    );
}
