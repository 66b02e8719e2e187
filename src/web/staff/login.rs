//! Login and logout.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::login::{self, LoginResult};
use crate::auth::session::{self, CurrentUser};
use crate::db::sessions;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::render::{page, page_with_status, safe_local_path, see_other};

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    ctx: PageCtx,
    email: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(ctx: PageCtx, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let next = safe_local_path(query.next.as_deref()).to_string();
    if ctx.user.is_some() {
        return Ok(see_other(&next));
    }
    page(&LoginPage {
        ctx,
        email: String::new(),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: String,
    email: String,
    password: String,
    next: Option<String>,
}

impl CsrfProtected for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let next = safe_local_path(form.next.as_deref()).to_string();
    if form.email.len() > 320 {
        return Err(AppError::BadRequest("error.invalid_form"));
    }
    let (status, error) = match login::attempt(&state, &form.email, &form.password, &client).await?
    {
        LoginResult::Success(user) => {
            // A fresh id at every login; any session the browser had before ends here.
            if let Some(old) = session::current(&req).await? {
                sessions::delete(&state.db, &old.session_hash).await?;
            }
            let id = session::start(&state, &user.id).await?;
            let mut res = see_other(&next);
            res.add_cookie(&session::cookie(id, state.settings.is_https()))
                .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
            return Ok(res);
        }
        LoginResult::Rejected => (StatusCode::UNAUTHORIZED, "login.rejected"),
        LoginResult::Locked => (StatusCode::TOO_MANY_REQUESTS, "login.locked"),
    };
    page_with_status(
        &LoginPage {
            ctx,
            email: form.email.chars().take(320).collect(),
            next,
            error: Some(error),
        },
        status,
    )
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(CurrentUser { user, session_hash }) = session::current(&req).await? {
        sessions::delete(&state.db, &session_hash).await?;
        audit::record_or_log(
            &state.db,
            AuditEvent::new("logout", Outcome::Success, Actor::user(&user))
                .tenant(user.tenant_id.as_deref())
                .client(&client),
        )
        .await;
    }
    let mut res = see_other("/login");
    res.add_cookie(&session::removal_cookie(state.settings.is_https()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(res)
}
