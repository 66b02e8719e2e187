//! What every page needs to render its frame: language, CSRF token, the signed-in user, the path.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::auth::csrf::{self, CsrfToken};
use crate::auth::session::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::{self, Lang, Tr};
use crate::startup::AppState;

/// Shown in the page frame: who is signed in.
#[derive(Clone, Debug)]
pub struct UserView {
    pub display_name: String,
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct PageCtx {
    pub tr: Tr,
    pub lang: Lang,
    pub csrf: String,
    pub user: Option<UserView>,
    /// The current path and query, to come back to after switching the language.
    pub here: String,
}

impl PageCtx {
    pub fn langs(&self) -> [Lang; 2] {
        Lang::ALL
    }
}

/// The language of a request, decided the same way for pages, error pages and API messages.
pub fn request_lang(req: &HttpRequest) -> Lang {
    let default = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| Lang::parse(&s.settings.default_language))
        .unwrap_or(Lang::De);
    let cookie = req.cookie(i18n::LANG_COOKIE);
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(cookie.as_ref().map(|c| c.value()), accept, default)
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = session::current(&req).await?;
            let mut lang = request_lang(&req);
            if req.cookie(i18n::LANG_COOKIE).is_none() {
                if let Some(l) = current
                    .as_ref()
                    .and_then(|c| c.user.language.as_deref())
                    .and_then(Lang::parse)
                {
                    lang = l;
                }
            }
            let csrf = req
                .extensions()
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default();
            let here = match req.uri().path_and_query() {
                Some(pq) => pq.as_str().to_string(),
                None => "/".to_string(),
            };
            Ok(PageCtx {
                tr: Tr(lang),
                lang,
                csrf,
                user: current.map(|c: CurrentUser| UserView {
                    display_name: c.user.display_name.clone(),
                    email: c.user.email.clone(),
                    role: c.user.role.clone(),
                }),
                here,
            })
        })
    }
}

/// A form that carries a CSRF token.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// A form that carries nothing but its CSRF token (buttons such as revoke, delete, logout).
#[derive(serde::Deserialize)]
pub struct ButtonForm {
    csrf_token: String,
}

impl CsrfProtected for ButtonForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A URL-encoded form whose CSRF token has been checked against the request's cookie. Every form
/// handler takes this instead of `web::Form`, so none can forget the check.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + CsrfProtected + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = web::Form::<T>::from_request(&req, payload);
        Box::pin(async move {
            let form = form
                .await
                .map_err(
                    |e| match e.as_error::<actix_web::error::UrlencodedError>() {
                        Some(actix_web::error::UrlencodedError::Overflow { .. }) => {
                            AppError::PayloadTooLarge
                        }
                        _ => AppError::BadRequest("error.invalid_form"),
                    },
                )?
                .into_inner();
            if !csrf::matches_cookie(&req, form.csrf_token()) {
                return Err(AppError::CsrfRejected);
            }
            Ok(CsrfForm(form))
        })
    }
}
