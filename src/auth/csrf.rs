//! CSRF protection: a random token in a SameSite=Strict cookie that every form must echo
//! (double submit), plus an Origin check on every unsafe request (see `web::security`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpMessage, HttpRequest};

use crate::domain::secret::{looks_like_token, random_token, secrets_equal};

pub const COOKIE: &str = "bote_csrf";

/// The token of this request, placed in the request extensions by the middleware.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// The request's token from its cookie, if it has a well-formed one.
pub fn from_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| looks_like_token(v))
}

/// Whether a submitted token equals the one this request's cookie carries.
pub fn matches_cookie(req: &HttpRequest, submitted: &str) -> bool {
    let expected = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
    match (expected, from_cookie(req)) {
        (Some(_), Some(cookie)) => secrets_equal(&cookie, submitted),
        _ => false,
    }
}

pub fn new_token() -> String {
    random_token()
}

pub fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}
