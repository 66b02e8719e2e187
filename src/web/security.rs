//! Protection on every response (CSP, nosniff, no-referrer, HSTS, no-store) and on every unsafe
//! request (Origin check, CSRF cookie).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use crate::auth::csrf::{self, CsrfToken};
use crate::error::AppError;
use crate::startup::AppState;

/// No inline script or style anywhere, so this policy holds on every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.is_https());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let set = |h: &mut header::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if https {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    // Anything not explicitly cacheable (static assets) is never stored by browsers or proxies.
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    Ok(res)
}

/// Gives every visitor a CSRF token (new ones get a cookie) and refuses unsafe requests from
/// another origin. API routes authenticate with bearer tokens only, so they need neither.
pub async fn csrf(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_api = req.path().starts_with("/api/");
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if unsafe_method && !is_api {
        if let Some(state) = &state {
            if !same_origin(&req, &state.settings.origin()) {
                let (http_req, _) = req.into_parts();
                let res = AppError::CsrfRejected.error_response();
                return Ok(ServiceResponse::new(http_req, res).map_into_right_body());
            }
        }
    }
    let existing = csrf::from_cookie(req.request());
    let token = existing.clone().unwrap_or_else(csrf::new_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.call(req).await?;
    if existing.is_none() && !is_api {
        let secure = state.is_some_and(|s| s.settings.is_https());
        let _ = res.response_mut().add_cookie(&csrf::cookie(token, secure));
    }
    Ok(res.map_into_left_body())
}

/// Whether the request comes from our own pages. A present Origin (or, without it, Referer) must
/// be our base URL's origin; `Sec-Fetch-Site: cross-site` is refused. Requests with none of these
/// (old clients, curl) pass here and still need the CSRF token of their form.
fn same_origin(req: &ServiceRequest, ours: &str) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return false;
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.as_bytes() == ours.as_bytes();
    }
    if let Some(referer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) {
        return url::Url::parse(referer)
            .map(|u| u.origin().ascii_serialization() == ours)
            .unwrap_or(false);
    }
    true
}
