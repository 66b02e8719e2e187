//! `bote user add|disable|enable` and `bote token create`.

use std::io::BufRead;
use std::path::Path;

use super::{load_settings, open_db, Failure};
use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::{api_token, password, password_rules};
use crate::db::{tenants, users};
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;

pub struct AddUser<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub tenant: Option<&'a str>,
    pub name: Option<&'a str>,
    pub password_stdin: bool,
}

fn parse_email(text: &str) -> Result<EmailAddress, Failure> {
    EmailAddress::parse(text).map_err(|e| Failure::usage(format!("--email: {text:?}: {e}")))
}

/// Reads one line from standard input as the password of `email`, held to the account rules.
fn read_password(email: &EmailAddress) -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    password_rules::check(&pw, email.as_str())
        .map_err(|key| Failure::usage(crate::i18n::Lang::En.t(key)))?;
    Ok(pw)
}

pub async fn add_user(config: Option<&Path>, args: AddUser<'_>) -> Result<(), Failure> {
    let email = parse_email(args.email)?;
    let role = Role::parse(args.role).map_err(|e| Failure::usage(format!("--role: {e}")))?;
    if !args.password_stdin {
        return Err(Failure::usage(
            "give the password on standard input with --password-stdin",
        ));
    }
    let name = args
        .name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default())
        .to_string();
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Failure::usage(
            "--name: at most 200 characters, no control characters",
        ));
    }
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant_id = if role == Role::Operator {
        if args.tenant.is_some() {
            return Err(Failure::usage(
                "an operator belongs to no tenant; drop --tenant",
            ));
        }
        None
    } else {
        let slug = args.tenant.unwrap_or(tenants::DEFAULT_SLUG);
        let tenant = tenants::by_slug(&db, slug)
            .await?
            .ok_or_else(|| Failure::usage(format!("--tenant: no tenant with slug {slug:?}")))?;
        Some(tenant.id)
    };
    let pw = read_password(&email)?;
    let hash = password::hash(pw).await?;
    let user = users::create(
        &db,
        users::NewUser {
            tenant_id: tenant_id.as_deref(),
            email: &email,
            display_name: &name,
            role,
            password_hash: Some(&hash),
        },
    )
    .await?
    .ok_or_else(|| Failure::usage(format!("an account for {email} exists already")))?;
    audit::record(
        &db,
        AuditEvent::new("user.created", Outcome::Success, Actor::System)
            .tenant(tenant_id.as_deref())
            .detail("user_id", user.id.clone())
            .detail("email", email.to_string())
            .detail("role", role.as_str()),
    )
    .await?;
    println!("created {role} {email}");
    Ok(())
}

pub struct InviteUser<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub tenant: &'a str,
    pub name: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// `bote user invite`: the account is created without a password and mailed a one-time link
/// (how an operator gives a new municipality its first admin).
pub async fn invite_user(config: Option<&Path>, args: InviteUser<'_>) -> Result<(), Failure> {
    use crate::accounts::invite::{self, Invitation, Inviter};
    let email = parse_email(args.email)?;
    let name = args
        .name
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default())
        .to_string();
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let tenant = tenants::by_slug(&db, args.tenant).await?.ok_or_else(|| {
        Failure::usage(format!("--tenant: no tenant with slug {:?}", args.tenant))
    })?;
    let invited = invite::invite(
        &db,
        &settings,
        Inviter {
            actor: Actor::System,
            name: &tenant.name,
            client: None,
        },
        &tenant.id,
        &Invitation {
            email: email.as_str(),
            display_name: &name,
            role: args.role,
            language: args.language.unwrap_or(""),
        },
    )
    .await
    .map_err(|e| match e {
        crate::error::AppError::Internal(e) => Failure::from(e),
        other => Failure::usage(crate::i18n::Lang::En.t(other.message_key())),
    })?;
    println!(
        "invited {} {} to {}; the invitation waits in the outbox",
        invited.role, invited.email, tenant.slug
    );
    Ok(())
}

pub async fn set_disabled(
    config: Option<&Path>,
    email: &str,
    disabled: bool,
) -> Result<(), Failure> {
    let email = parse_email(email)?;
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let user = users::by_email(&db, &email)
        .await?
        .ok_or_else(|| Failure::usage(format!("no account for {email}")))?;
    if disabled {
        users::disable(&db, &user.id).await?;
    } else {
        users::enable(&db, &user.id).await?;
    }
    audit::record(
        &db,
        AuditEvent::new(
            if disabled {
                "user.disabled"
            } else {
                "user.enabled"
            },
            Outcome::Success,
            Actor::System,
        )
        .tenant(user.tenant_id.as_deref())
        .detail("user_id", user.id.clone())
        .detail("email", email.to_string()),
    )
    .await?;
    println!("{} {email}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

pub async fn create_token(
    config: Option<&Path>,
    email: &str,
    name: Option<&str>,
) -> Result<(), Failure> {
    let email = parse_email(email)?;
    let name = name.map(str::trim).unwrap_or("cli").to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Failure::usage(
            "--name: 1-100 characters, no control characters",
        ));
    }
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let user = users::by_email(&db, &email)
        .await?
        .ok_or_else(|| Failure::usage(format!("no account for {email}")))?;
    if user.is_disabled() {
        return Err(Failure::usage(format!("the account {email} is disabled")));
    }
    let token = api_token::issue(&db, &user, &name).await?;
    eprintln!("API token {name:?} for {email} (shown once; store it safely):");
    println!("{token}");
    Ok(())
}
