//! The login procedure: throttling, constant-time account lookup, password check, audit.

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::{password, throttle};
use crate::config::Settings;
use crate::db::users::User;
use crate::db::{tenants, users, Db};
use crate::domain::email::EmailAddress;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::detached::to_the_end;

pub enum LoginResult {
    Success(User),
    /// Wrong address or password; the two are never told apart.
    Rejected,
    /// Too many failures for this account or this client address.
    Locked,
}

/// Checks a login. Once begun, the check runs to its end on a task of its own: a client that
/// hangs up while its password is checked is still counted against the limits and recorded.
pub async fn attempt(
    state: &AppState,
    email_text: &str,
    password_text: &str,
    client: &ClientInfo,
) -> Result<LoginResult, AppError> {
    let (db, settings) = (state.db.clone(), state.settings.clone());
    let (email, password, client) = (
        email_text.to_string(),
        password_text.to_string(),
        client.clone(),
    );
    to_the_end(async move { check(&db, &settings, &email, &password, &client).await }).await?
}

async fn check(
    db: &Db,
    settings: &Settings,
    email_text: &str,
    password_text: &str,
    client: &ClientInfo,
) -> Result<LoginResult, AppError> {
    let keys = throttle::LoginKeys::new(email_text, &client.addr);
    let email = EmailAddress::parse(email_text).ok();
    let user = match &email {
        Some(e) => users::by_email(db, e).await?,
        None => None,
    };
    let tenant_id = user.as_ref().and_then(|u| u.tenant_id.clone());
    let attempted = email
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_else(|| email_text.chars().take(254).collect());
    let event = |action: &'static str, outcome: Outcome| {
        let actor = user.as_ref().map(Actor::user).unwrap_or(Actor::External);
        AuditEvent::new(action, outcome, actor)
            .tenant(tenant_id.as_deref())
            .client(client)
            .detail("email", attempted.clone())
    };

    if throttle::is_locked(db, &keys).await? {
        audit::record_or_log(
            db,
            event("login.failure", Outcome::Refused).reason("locked after repeated failures"),
        )
        .await;
        return Ok(LoginResult::Locked);
    }

    let usable = match &user {
        Some(u) if !u.is_disabled() => match &u.tenant_id {
            Some(t) => tenants::by_id(db, t)
                .await?
                .is_some_and(|t| t.suspended == 0),
            None => true,
        },
        _ => false,
    };
    let stored = user
        .as_ref()
        .filter(|_| usable)
        .and_then(|u| u.password_hash.clone());
    let ok = password_text.len() <= password::MAX_LEN
        && password::verify(password_text.to_string(), stored).await?;

    if ok {
        throttle::record_success(db, settings, &keys).await?;
        audit::record(db, event("login.success", Outcome::Success)).await?;
        let user = user
            .clone()
            .expect("a verified password belongs to an account");
        return Ok(LoginResult::Success(user));
    }

    let failure = throttle::record_failure(db, settings, &keys).await?;
    let reason = match &user {
        None => "unknown account",
        Some(_) if !usable => "account disabled or tenant suspended",
        Some(_) => "wrong password",
    };
    audit::record_or_log(db, event("login.failure", Outcome::Failure).reason(reason)).await;
    if failure.locked_now {
        audit::record_or_log(
            db,
            event("login.lockout", Outcome::Refused).reason("too many failed attempts"),
        )
        .await;
    }
    tokio::time::sleep(failure.delay).await;
    Ok(if failure.locked_now {
        LoginResult::Locked
    } else {
        LoginResult::Rejected
    })
}
