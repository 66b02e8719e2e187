//! Errors that reach a person: `AppError` says what went wrong; `web::error_pages` renders it as
//! an HTML page in the user's language, or as JSON under `/api/`.
//!
//! Use `AppError` in handlers and anything they call directly. Lower layers (db, storage, scan)
//! return `anyhow::Result` or their own `thiserror` enums with `.context(...)`; they become
//! `AppError::Internal` through `?`, which logs the chain and shows a neutral 500 page.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request was malformed; the key names the message shown (`error.*` in the catalogues).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// An API call without a valid token.
    #[error("not authenticated")]
    Unauthorized,
    /// A page that needs a signed-in user; answered with a redirect to the login page.
    #[error("login required")]
    LoginRequired,
    #[error("forbidden")]
    Forbidden,
    /// A form without the right CSRF token, or a request from another origin.
    #[error("CSRF check failed")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The upload would take the tenant over its storage quota.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// Understood but refused by a rule (e.g. the tenant refuses unscannable files).
    #[error("unprocessable: {0}")]
    Unprocessable(&'static str),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::domain::link::ExpiryError> for AppError {
    fn from(e: crate::domain::link::ExpiryError) -> Self {
        use crate::domain::link::ExpiryError;
        AppError::BadRequest(match e {
            ExpiryError::Invalid => "error.expiry_invalid",
            ExpiryError::InPast => "error.expiry_past",
            ExpiryError::TooLate => "error.expiry_too_late",
        })
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl AppError {
    /// The stable machine-readable code used in JSON errors.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(key) => key.strip_prefix("error.").unwrap_or(key),
            AppError::Unauthorized | AppError::LoginRequired => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::CsrfRejected => "csrf_rejected",
            AppError::NotFound => "not_found",
            AppError::Conflict(key) | AppError::Unprocessable(key) | AppError::Unavailable(key) => {
                key.strip_prefix("error.").unwrap_or(key)
            }
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::QuotaExceeded => "quota_exceeded",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// The catalogue key of the message shown to the person.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::BadRequest(key)
            | AppError::Conflict(key)
            | AppError::Unavailable(key)
            | AppError::Unprocessable(key) => key,
            AppError::Unauthorized | AppError::LoginRequired => "error.unauthorized",
            AppError::Forbidden => "error.forbidden",
            AppError::CsrfRejected => "error.csrf",
            AppError::NotFound => "error.not_found",
            AppError::PayloadTooLarge => "error.too_large",
            AppError::QuotaExceeded => "error.quota_exceeded",
            AppError::TooManyRequests { .. } => "error.too_many",
            AppError::Internal(_) => "error.internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::LoginRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge | AppError::QuotaExceeded => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare response; the body is rendered by `web::error_pages`, which knows the language.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        match self {
            AppError::LoginRequired => {
                res.insert_header((header::LOCATION, "/login"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        res.finish()
    }
}
