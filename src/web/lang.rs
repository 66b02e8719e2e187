//! The language switch on every page: a small form, remembered in a cookie (and on the account).

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::session;
use crate::db::users;
use crate::error::AppError;
use crate::i18n::{Lang, LANG_COOKIE};
use crate::startup::AppState;
use crate::web::ctx::{CsrfForm, CsrfProtected};
use crate::web::render::{safe_local_path, see_other};

#[derive(Deserialize)]
pub struct LangForm {
    csrf_token: String,
    lang: String,
    next: Option<String>,
}

impl CsrfProtected for LangForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<LangForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let lang = Lang::parse(&form.lang).ok_or(AppError::BadRequest("error.invalid_form"))?;
    if let Some(current) = session::current(&req).await? {
        users::set_language(&state.db, &current.user.id, lang.code()).await?;
    }
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .secure(state.settings.is_https())
        .http_only(true)
        .finish();
    let mut res = see_other(safe_local_path(form.next.as_deref()));
    res.add_cookie(&cookie)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(res)
}
