//! `/password/forgot` asks for a reset link and always answers the same; `/password/set/{token}`
//! sets the password of an invitation or reset link once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::password_reset;
use crate::db::account_tokens::Purpose;
use crate::domain::email::EmailAddress;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{CsrfForm, CsrfProtected, PageCtx};
use crate::web::render::{page, page_with_status};

#[derive(Template)]
#[template(path = "account/forgot.html")]
struct ForgotPage {
    ctx: PageCtx,
    email: String,
    error: Option<&'static str>,
    sent: bool,
}

pub async fn forgot_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    page(&ForgotPage {
        ctx,
        email: String::new(),
        error: None,
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    csrf_token: String,
    email: String,
}

impl CsrfProtected for ForgotForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn forgot_submit(
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let Ok(email) = EmailAddress::parse(&form.0.email) else {
        return page_with_status(
            &ForgotPage {
                ctx,
                email: form.0.email.chars().take(320).collect(),
                error: Some("error.email"),
                sent: false,
            },
            StatusCode::BAD_REQUEST,
        );
    };
    // The work (lookup, mail) runs apart from the answer: same page, same time, account or not.
    let state = state.into_inner();
    tokio::spawn(async move {
        password_reset::request(&state.db, &state.settings, &email, &client).await;
    });
    page(&ForgotPage {
        ctx,
        email: String::new(),
        error: None,
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "account/set_password.html")]
struct SetPage {
    ctx: PageCtx,
    token: String,
    invite: bool,
    email: String,
    expires: String,
    min_len: usize,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "account/password_done.html")]
struct DonePage {
    ctx: PageCtx,
    email: String,
}

pub async fn set_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let live = password_reset::open(&state.db, &token, &client).await?;
    page(&SetPage {
        invite: Purpose::parse(&live.purpose) == Some(Purpose::Invite),
        email: live.user.email,
        expires: crate::web::format::date_time(live.expires_at, ctx.lang),
        min_len: crate::auth::password::MIN_LEN,
        token: token.into_inner(),
        error: None,
        ctx,
    })
}

#[derive(Deserialize)]
pub struct SetForm {
    csrf_token: String,
    password: String,
    confirm: String,
}

impl CsrfProtected for SetForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn set_submit(
    state: web::Data<AppState>,
    ctx: PageCtx,
    client: ClientInfo,
    token: web::Path<String>,
    form: CsrfForm<SetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    match password_reset::complete(&state.db, &token, &form.password, &form.confirm, &client).await
    {
        Ok(user) => page(&DonePage {
            ctx,
            email: user.email,
        }),
        Err(AppError::BadRequest(key)) => {
            // The rules were not met: the link is still unused; ask again.
            let live = password_reset::open(&state.db, &token, &client).await?;
            page_with_status(
                &SetPage {
                    invite: Purpose::parse(&live.purpose) == Some(Purpose::Invite),
                    email: live.user.email,
                    expires: crate::web::format::date_time(live.expires_at, ctx.lang),
                    min_len: crate::auth::password::MIN_LEN,
                    token: token.into_inner(),
                    error: Some(key),
                    ctx,
                },
                StatusCode::BAD_REQUEST,
            )
        }
        Err(e) => Err(e),
    }
}
