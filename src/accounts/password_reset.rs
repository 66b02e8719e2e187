//! Forgotten passwords and one-time links: anyone may ask for a reset link for an address, and
//! the answer never tells whether the address has an account; whoever holds a live link sets a
//! new password once, which ends every session of that account.

use super::account_link;
use crate::audit::{self, chain, Actor, AuditEvent, Outcome};
use crate::auth::{password, password_rules};
use crate::config::Settings;
use crate::db::account_tokens::{self, LiveToken, Purpose};
use crate::db::users::{self, User};
use crate::db::Db;
use crate::domain::email::EmailAddress;
use crate::domain::secret::{looks_like_token, secret_hash};
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::web::client::ClientInfo;

/// At most one reset mail per account in this time, whatever is asked (no mail bombing).
pub const RESEND_AFTER_MS: i64 = 2 * 60 * 1000;

/// Handles a reset request in full; the caller answers the same whatever happens here, and runs
/// this apart from the request so that the answer takes the same time too.
pub async fn request(db: &Db, settings: &Settings, email: &EmailAddress, client: &ClientInfo) {
    if let Err(e) = request_inner(db, settings, email, client).await {
        tracing::error!(error = %format!("{e:#}"), "password reset request failed");
    }
}

async fn request_inner(
    db: &Db,
    settings: &Settings,
    email: &EmailAddress,
    client: &ClientInfo,
) -> anyhow::Result<()> {
    let refused = |tenant: Option<&str>, why: &str| {
        AuditEvent::new(
            "password.reset_requested",
            Outcome::Refused,
            Actor::External,
        )
        .tenant(tenant)
        .client(client)
        .reason(why)
        .detail("email", email.to_string())
    };
    let Some(user) = users::by_email(db, email).await? else {
        audit::record(db, refused(None, "no such account")).await?;
        return Ok(());
    };
    let tenant = user.tenant_id.as_deref();
    if user.is_disabled() || tenant_suspended(db, &user).await? {
        audit::record(db, refused(tenant, "account disabled or tenant suspended")).await?;
        return Ok(());
    }
    let now = now_ms();
    let mut conn = db.pool.acquire().await?;
    if account_tokens::last_issued(&mut conn, &user.id)
        .await?
        .is_some_and(|t| now - t < RESEND_AFTER_MS)
    {
        drop(conn);
        audit::record(db, refused(tenant, "a link was sent moments ago")).await?;
        return Ok(());
    }
    drop(conn);
    let mut tx = db.pool.begin().await?;
    account_link::send(&mut tx, settings, &user, Purpose::Reset, "", now).await?;
    let e = AuditEvent::new(
        "password.reset_requested",
        Outcome::Success,
        Actor::External,
    )
    .tenant(tenant)
    .client(client)
    .detail("user_id", user.id.clone())
    .detail("email", user.email.clone());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

async fn tenant_suspended(db: &Db, user: &User) -> sqlx::Result<bool> {
    match &user.tenant_id {
        Some(t) => Ok(crate::db::tenants::by_id(db, t)
            .await?
            .is_none_or(|t| t.suspended != 0)),
        None => Ok(false),
    }
}

/// The live link behind a token, for the page that asks for the new password.
pub async fn open(db: &Db, token: &str, client: &ClientInfo) -> Result<LiveToken, AppError> {
    let found = if looks_like_token(token) {
        let mut conn = db.pool.acquire().await?;
        account_tokens::live(&mut conn, &secret_hash(token), now_ms()).await?
    } else {
        None
    };
    match found {
        Some(live) => Ok(live),
        None => {
            record_refused(db, client).await;
            Err(AppError::NotFound)
        }
    }
}

async fn record_refused(db: &Db, client: &ClientInfo) {
    audit::record_or_log(
        db,
        AuditEvent::new("password.link_refused", Outcome::Refused, Actor::External)
            .client(client)
            .reason("unknown, used or expired link"),
    )
    .await;
}

/// Sets the password through a one-time link. The password is checked before the link is used,
/// so a typo does not spend it.
pub async fn complete(
    db: &Db,
    token: &str,
    new_password: &str,
    confirmation: &str,
    client: &ClientInfo,
) -> Result<User, AppError> {
    let live = open(db, token, client).await?;
    if new_password != confirmation {
        return Err(AppError::BadRequest("error.password_mismatch"));
    }
    password_rules::check(new_password, &live.user.email).map_err(AppError::BadRequest)?;
    let hash = password::hash(new_password.to_string()).await?;
    let mut tx = db.pool.begin().await?;
    let Some(used) = account_link::redeem(&mut tx, token, now_ms()).await? else {
        drop(tx);
        record_refused(db, client).await;
        return Err(AppError::NotFound);
    };
    users::replace_password(&mut tx, &used.user.id, &hash).await?;
    let e = AuditEvent::new("password.set", Outcome::Success, Actor::user(&used.user))
        .tenant(used.user.tenant_id.as_deref())
        .client(client)
        .detail("purpose", used.purpose.clone());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(used.user)
}
