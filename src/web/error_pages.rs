//! Renders every error response as a page in the user's language (or JSON under `/api/`), so no
//! framework default text ever reaches a person.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::i18n::Tr;
use crate::web::ctx::request_lang;
use crate::web::render::Rendered;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: Tr,
    status: u16,
    title: &'a str,
    message: &'a str,
}

pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let lang = request_lang(req.request());
    let is_api = req.path().starts_with("/api/");
    let res = next.call(req).await?;
    let status = res.status();
    if status.as_u16() < 400 || res.response().extensions().get::<Rendered>().is_some() {
        return Ok(res.map_into_boxed_body());
    }
    let app_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    if let Some(AppError::Internal(e)) = app_error {
        tracing::error!(
            route = res.request().match_pattern().unwrap_or_default(),
            error = %format!("{e:#}"),
            "internal error"
        );
    }
    let (code, key) = match app_error {
        Some(e) => (e.code(), e.message_key()),
        None => by_status(status),
    };
    let message = lang.t(key);
    let mut new = if is_api {
        HttpResponse::build(status).json(serde_json::json!({
            "error": { "code": code, "message": message }
        }))
    } else {
        let page = ErrorPage {
            tr: Tr(lang),
            status: status.as_u16(),
            title: lang.t(title_key(status)),
            message,
        };
        let body = page.render().unwrap_or_else(|_| message.to_string());
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(body)
    };
    // Keep headers that carry meaning (Allow, Retry-After, Set-Cookie, ...).
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, new))
}

/// Errors the framework produced itself (no route, wrong method, bad extractor input).
fn by_status(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "error.bad_request"),
        401 => ("unauthorized", "error.unauthorized"),
        403 => ("forbidden", "error.forbidden"),
        404 => ("not_found", "error.not_found"),
        405 => ("method_not_allowed", "error.method_not_allowed"),
        411 | 413 => ("payload_too_large", "error.too_large"),
        415 => ("unsupported_media_type", "error.bad_request"),
        429 => ("too_many_requests", "error.too_many"),
        503 => ("unavailable", "error.unavailable"),
        s if s < 500 => ("bad_request", "error.bad_request"),
        _ => ("internal", "error.internal"),
    }
}

fn title_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        403 => "error.title_forbidden",
        404 => "error.title_not_found",
        429 => "error.title_too_many",
        s if s >= 500 => "error.title_internal",
        _ => "error.title_bad_request",
    }
}

/// Unknown routes answer with the not-found page.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
