//! Sessions of signed-in staff: created at login with a fresh id, checked on every request
//! against the idle and absolute timeouts, gone at logout or when the account is disabled.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::sessions::{self, SessionRow};
use crate::db::users::User;
use crate::domain::secret::{looks_like_token, random_token, secret_hash};
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;

pub const COOKIE: &str = "bote_session";

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub session_hash: String,
}

/// Starts a session for a user and returns the cookie value (the only place the raw id exists).
pub async fn start(state: &AppState, user_id: &str) -> Result<String, AppError> {
    let id = random_token();
    sessions::create(&state.db, &secret_hash(&id), user_id).await?;
    Ok(id)
}

pub fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = cookie(String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// Cached per request so the page frame and the handler share one lookup.
#[derive(Clone)]
struct Cached(Option<Rc<CurrentUser>>);

/// The signed-in user, if the request carries a live session.
pub async fn current(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    if let Some(cached) = req.extensions().get::<Cached>() {
        return Ok(cached.0.as_deref().cloned());
    }
    let found = lookup(req).await?;
    req.extensions_mut()
        .insert(Cached(found.clone().map(Rc::new)));
    Ok(found)
}

async fn lookup(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Ok(None);
    };
    let Some(raw) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if !looks_like_token(&raw) {
        return Ok(None);
    }
    let hash = secret_hash(&raw);
    let Some(row) = sessions::find_active(&state.db, &hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if let Some(why) = expired(state, &row, now) {
        sessions::delete(&state.db, &hash).await?;
        audit::record_or_log(
            &state.db,
            AuditEvent::new("session.expired", Outcome::Success, Actor::user(&row.user))
                .tenant(row.user.tenant_id.as_deref())
                .client(&ClientInfo::of(req))
                .reason(why),
        )
        .await;
        return Ok(None);
    }
    // Touch at most every few seconds: enough precision for the idle timeout, few writes.
    let touch_every =
        (state.settings.session_idle_timeout.as_millis() as i64 / 10).clamp(1_000, 60_000);
    if now - row.last_seen_at >= touch_every {
        sessions::touch(&state.db, &hash, now).await?;
    }
    Ok(Some(CurrentUser {
        user: row.user,
        session_hash: hash,
    }))
}

fn expired(state: &AppState, row: &SessionRow, now: i64) -> Option<&'static str> {
    let idle = state.settings.session_idle_timeout.as_millis() as i64;
    let max_age = state.settings.session_max_age.as_millis() as i64;
    if now - row.last_seen_at > idle {
        Some("idle timeout")
    } else if now - row.created_at > max_age {
        Some("absolute timeout")
    } else {
        None
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { current(&req).await?.ok_or(AppError::LoginRequired) })
    }
}
