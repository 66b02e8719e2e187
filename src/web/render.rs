//! Turns a template into a response: one place for content type, status and the marker that tells
//! the error-page middleware the body is already a finished page.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

use crate::error::AppError;

/// Marks a response whose body must not be replaced by the generic error page.
#[derive(Clone, Copy)]
pub struct Rendered;

pub fn page(template: &impl Template) -> Result<HttpResponse, AppError> {
    page_with_status(template, StatusCode::OK)
}

pub fn page_with_status(
    template: &impl Template,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let body = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let mut res = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body);
    res.extensions_mut().insert(Rendered);
    Ok(res)
}

/// Marks a response built by hand (JSON, plain text) as final, so that an error status keeps
/// its body.
pub fn as_rendered(mut res: HttpResponse) -> HttpResponse {
    res.extensions_mut().insert(Rendered);
    res
}

/// A redirect after a successful POST (303, so the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Only local paths are followed after login or a language switch, so nobody can use Bote to
/// send people to another site.
pub fn safe_local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && p.is_ascii()
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_control()) =>
        {
            p
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn only_local_paths() {
        assert_eq!(safe_local_path(Some("/links?x=1")), "/links?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "x",
            "/a\r\nb",
            "/ä",
        ] {
            assert_eq!(safe_local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_local_path(None), "/");
    }
}
