//! What a tenant admin changes on colleagues' accounts: role, disabled or not, a new password
//! link, and the links of someone who leaves. Every change is recorded; an admin cannot lock
//! themselves out (own role, own account).

use super::account_link;
use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::config::Settings;
use crate::db::account_tokens::Purpose;
use crate::db::users::{self, User};
use crate::db::Db;
use crate::domain::role::Role;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::web::client::ClientInfo;

/// The account `user_id` of the admin's tenant; another tenant's account does not exist here.
pub async fn colleague(db: &Db, tenant_id: &str, user_id: &str) -> Result<User, AppError> {
    if uuid::Uuid::parse_str(user_id).is_err() {
        return Err(AppError::NotFound);
    }
    users::in_tenant(db, tenant_id, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

fn event(action: &'static str, admin: &User, target: &User, client: &ClientInfo) -> AuditEvent {
    AuditEvent::new(action, Outcome::Success, Actor::user(admin))
        .tenant(target.tenant_id.as_deref())
        .client(client)
        .detail("user_id", target.id.clone())
        .detail("email", target.email.clone())
}

pub async fn change_role(
    db: &Db,
    admin: &User,
    target: &User,
    role: Role,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    if target.id == admin.id {
        return Err(AppError::Conflict("error.own_account"));
    }
    let tenant_id = target.tenant_id.as_deref().ok_or(AppError::NotFound)?;
    if target.role() == role {
        return Ok(false);
    }
    let mut tx = db.pool.begin().await?;
    if !users::set_role(&mut tx, tenant_id, &target.id, role).await? {
        return Err(AppError::NotFound);
    }
    let e = event("user.role_changed", admin, target, client)
        .detail("from", target.role().as_str())
        .detail("to", role.as_str());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn set_disabled(
    db: &Db,
    admin: &User,
    target: &User,
    disabled: bool,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    if target.id == admin.id {
        return Err(AppError::Conflict("error.own_account"));
    }
    let mut tx = db.pool.begin().await?;
    if !users::set_disabled_in(&mut tx, &target.id, disabled).await? {
        return Ok(false);
    }
    let action = if disabled {
        "user.disabled"
    } else {
        "user.enabled"
    };
    chain::append(&mut tx, &event(action, admin, target, client)).await?;
    tx.commit().await?;
    Ok(true)
}

/// Mails the account a new one-time link: a reset for an account with a password, the
/// invitation again for one that never set its password.
pub async fn send_password_link(
    db: &Db,
    settings: &Settings,
    admin: &User,
    target: &User,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if target.is_disabled() {
        return Err(AppError::Conflict("error.account_disabled"));
    }
    let purpose = if target.password_hash.is_some() {
        Purpose::Reset
    } else {
        Purpose::Invite
    };
    let mut tx = db.pool.begin().await?;
    account_link::send(
        &mut tx,
        settings,
        target,
        purpose,
        &admin.display_name,
        now_ms(),
    )
    .await?;
    let e =
        event("user.password_link_sent", admin, target, client).detail("purpose", purpose.as_str());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives every link of `from` to `to` (same tenant, an account that may share). Returns how
/// many links moved; each one is recorded in its link's history.
pub async fn transfer_links(
    db: &Db,
    admin: &User,
    from: &User,
    to: &User,
    client: &ClientInfo,
) -> Result<usize, AppError> {
    if from.id == to.id {
        return Err(AppError::BadRequest("error.transfer_same"));
    }
    if from.tenant_id != to.tenant_id {
        return Err(AppError::NotFound);
    }
    if to.is_disabled() || !to.role().can_share() {
        return Err(AppError::Conflict("error.transfer_target"));
    }
    let tenant_id = to.tenant_id.as_deref().ok_or(AppError::NotFound)?;
    let mut tx = db.pool.begin().await?;
    let moved: Vec<(String,)> = sqlx::query_as(
        "UPDATE links SET owner_id = $1, updated_at = $2
         WHERE owner_id = $3 AND tenant_id = $4 RETURNING id",
    )
    .bind(&to.id)
    .bind(now_ms())
    .bind(&from.id)
    .bind(tenant_id)
    .fetch_all(&mut *tx)
    .await?;
    for (link_id,) in &moved {
        let mut e = AuditEvent::new("link.owner_changed", Outcome::Success, Actor::user(admin))
            .tenant(Some(tenant_id))
            .client(client)
            .detail("from_user_id", from.id.clone())
            .detail("from_email", from.email.clone())
            .detail("to_user_id", to.id.clone())
            .detail("to_email", to.email.clone());
        e.link_id = Some(link_id.clone());
        chain::append(&mut tx, &e).await?;
    }
    let e = event("user.links_transferred", admin, from, client)
        .detail("to_user_id", to.id.clone())
        .detail("to_email", to.email.clone())
        .detail("links", moved.len());
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(moved.len())
}
