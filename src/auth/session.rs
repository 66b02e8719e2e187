//! Sessions of signed-in staff: created at login with a fresh id, checked on every request
//! against the idle and absolute timeouts, gone at logout or when the account is disabled.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::config::Settings;
use crate::db::sessions::{self, SessionRow};
use crate::db::users::User;
use crate::db::Db;
use crate::domain::secret::{looks_like_token, random_token, secret_hash};
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::detached::to_the_end;

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

/// One lookup per request, shared: a page's extractors (page frame, signed-in user) ask side by
/// side, and all of them get the one answer; the session's end is recorded once, before any of
/// them answers. The future holds no clone of the request (that would keep it alive in its own
/// extensions).
type Lookup = Shared<LocalBoxFuture<'static, Result<Option<Rc<CurrentUser>>, Rc<String>>>>;

#[derive(Clone)]
struct Pending(Lookup);

/// The signed-in user, if the request carries a live session.
pub async fn current(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let pending = req.extensions().get::<Pending>().cloned();
    let pending = match pending {
        Some(p) => p,
        None => {
            let state = req.app_data::<web::Data<AppState>>().cloned();
            let raw = req.cookie(COOKIE).map(|c| c.value().to_string());
            let client = ClientInfo::of(req);
            let lookup: LocalBoxFuture<'static, _> = Box::pin(async move {
                lookup(state, raw, client)
                    .await
                    .map(|found| found.map(Rc::new))
                    .map_err(|e| Rc::new(format!("{e:#}")))
            });
            let p = Pending(lookup.shared());
            req.extensions_mut().insert(p.clone());
            p
        }
    };
    match pending.0.await {
        Ok(found) => Ok(found.as_deref().cloned()),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!("session lookup: {e}"))),
    }
}

async fn lookup(
    state: Option<web::Data<AppState>>,
    raw: Option<String>,
    client: ClientInfo,
) -> Result<Option<CurrentUser>, AppError> {
    let (Some(state), Some(raw)) = (state, raw) else {
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
    let limits = Limits::of(&state.settings);
    if let Some(why) = limits.passed(&row, now) {
        // Whoever removes the session records its end: this request, or the cleanup job when
        // it got there first (then the session is gone and nothing is recorded twice). The end
        // is recorded on a task of its own: a page's extractors look the session up side by
        // side and actix drops the others as soon as one refuses, and a client may go away;
        // neither may lose the record halfway.
        let db = state.db.clone();
        let event = expiry_event(&row, why).client(&client);
        to_the_end(async move {
            if sessions::delete(&db, &row.id_hash).await? {
                audit::record_or_log(&db, event).await;
            }
            Ok::<_, sqlx::Error>(())
        })
        .await??;
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

/// How long a session may stay idle and how long it may last at most.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub idle: Duration,
    pub max_age: Duration,
}

impl Limits {
    pub fn of(settings: &Settings) -> Limits {
        Limits {
            idle: settings.session_idle_timeout,
            max_age: settings.session_max_age,
        }
    }

    /// Which limit the session has passed at `now`, if any.
    fn passed(&self, row: &SessionRow, now: i64) -> Option<&'static str> {
        if now - row.last_seen_at > self.idle.as_millis() as i64 {
            Some("idle timeout")
        } else if now - row.created_at > self.max_age.as_millis() as i64 {
            Some("absolute timeout")
        } else {
            None
        }
    }
}

fn expiry_event(row: &SessionRow, why: &str) -> AuditEvent {
    AuditEvent::new("session.expired", Outcome::Success, Actor::user(&row.user))
        .tenant(row.user.tenant_id.as_deref())
        .reason(why)
}

/// Removes every session past a limit at `now` and records each end (`session.expired`, without
/// a client: no request came). Returns how many ended. The cleanup job runs this; a session a
/// request ends at the same time is recorded once, by whichever removes it.
pub async fn end_expired(db: &Db, limits: Limits, now: i64) -> sqlx::Result<u64> {
    let candidates = sessions::past_limits(
        db,
        now - limits.idle.as_millis() as i64,
        now - limits.max_age.as_millis() as i64,
    )
    .await?;
    let mut ended = 0;
    for row in candidates {
        let Some(why) = limits.passed(&row, now) else {
            continue;
        };
        if sessions::delete(db, &row.id_hash).await? {
            ended += 1;
            audit::record_or_log(db, expiry_event(&row, why)).await;
        }
    }
    Ok(ended)
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { current(&req).await?.ok_or(AppError::LoginRequired) })
    }
}
