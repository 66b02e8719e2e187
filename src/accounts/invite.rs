//! A tenant admin invites a colleague: the account is created without a password and the
//! invitation mail carries a one-time link to set it.

use super::account_link;
use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::config::Settings;
use crate::db::account_tokens::Purpose;
use crate::db::users::{self, NewUser, User};
use crate::db::Db;
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::client::ClientInfo;

/// What the invitation form or API gives.
pub struct Invitation<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    /// `de`, `en`, or empty for the tenant's language.
    pub language: &'a str,
}

/// The roles a tenant admin may give: never operator.
pub fn tenant_role(text: &str) -> Result<Role, AppError> {
    match Role::parse(text) {
        Ok(role @ (Role::Admin | Role::Staff | Role::Auditor)) => Ok(role),
        _ => Err(AppError::BadRequest("error.role")),
    }
}

/// A display name: 1-200 characters, no control characters.
pub fn display_name(text: &str) -> Result<String, AppError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("error.display_name"));
    }
    Ok(name.to_string())
}

/// Who invites: a tenant admin on the page (with the request's client), or the operator's
/// command line.
pub struct Inviter<'a> {
    pub actor: Actor,
    pub name: &'a str,
    pub client: Option<&'a ClientInfo>,
}

impl<'a> Inviter<'a> {
    /// A person on a page: a tenant admin, or the operator giving a tenant its first admin.
    pub fn admin(admin: &'a User, client: &'a ClientInfo) -> Inviter<'a> {
        Inviter {
            actor: Actor::user(admin),
            name: &admin.display_name,
            client: Some(client),
        }
    }
}

pub async fn invite(
    db: &Db,
    settings: &Settings,
    by: Inviter<'_>,
    tenant_id: &str,
    input: &Invitation<'_>,
) -> Result<User, AppError> {
    let email =
        EmailAddress::parse(input.email).map_err(|_| AppError::BadRequest("error.email"))?;
    let name = display_name(input.display_name)?;
    let role = tenant_role(input.role)?;
    let language = match input.language.trim() {
        "" => None,
        code => Some(Lang::parse(code).ok_or(AppError::BadRequest("error.language"))?),
    };
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let user = users::create_in(
        &mut tx,
        &NewUser {
            tenant_id: Some(tenant_id),
            email: &email,
            display_name: &name,
            role,
            password_hash: None,
        },
        language.map(Lang::code),
    )
    .await?
    .ok_or(AppError::Conflict("error.email_taken"))?;
    account_link::send(&mut tx, settings, &user, Purpose::Invite, by.name, now).await?;
    let mut e = AuditEvent::new("user.invited", Outcome::Success, by.actor)
        .tenant(Some(tenant_id))
        .detail("user_id", user.id.clone())
        .detail("email", user.email.clone())
        .detail("role", role.as_str());
    if let Some(client) = by.client {
        e = e.client(client);
    }
    chain::append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(user)
}
