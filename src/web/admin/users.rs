//! The tenant's accounts for its admins: invite, change roles, disable and enable, send a new
//! password link, hand a departing colleague's links to someone else.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::invite::{self, Invitation, Inviter};
use crate::accounts::manage;
use crate::auth::session::CurrentUser;
use crate::db::{account_tokens, users};
use crate::domain::role::Role;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::date_time;
use crate::web::render::{page, see_other};

use super::admin_tenant;

struct Row {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    /// `active`, `invited` or `disabled`.
    state_key: &'static str,
    invited_until: String,
    links: i64,
    last_login: String,
    is_me: bool,
    can_share: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    roles: [&'static str; 3],
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Flash {
    done: Option<String>,
}

/// What the page says after an action (a fixed set; nothing from the query is echoed).
fn notice_of(flash: &Flash) -> Option<&'static str> {
    match flash.done.as_deref()? {
        "invited" => Some("users.done_invited"),
        "role" => Some("users.done_role"),
        "disabled" => Some("users.done_disabled"),
        "enabled" => Some("users.done_enabled"),
        "link" => Some("users.done_link"),
        "transferred" => Some("users.done_transferred"),
        _ => None,
    }
}

pub async fn list(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let now = now_ms();
    let invites = account_tokens::open_invites(&state.db, tenant, now).await?;
    let rows = users::list_in_tenant(&state.db, tenant)
        .await?
        .into_iter()
        .map(|u| {
            let invite = invites.iter().find(|(id, _)| *id == u.user.id);
            let state_key = if u.user.is_disabled() {
                "users.state_disabled"
            } else if u.user.password_hash.is_none() {
                "users.state_invited"
            } else {
                "users.state_active"
            };
            Row {
                role: u.user.role().as_str(),
                can_share: u.user.role().can_share() && !u.user.is_disabled(),
                state_key,
                invited_until: invite
                    .map(|(_, until)| date_time(*until, ctx.lang))
                    .unwrap_or_default(),
                links: u.links,
                last_login: u
                    .last_login
                    .map(|t| date_time(t, ctx.lang))
                    .unwrap_or_default(),
                is_me: u.user.id == current.user.id,
                id: u.user.id,
                name: u.user.display_name,
                email: u.user.email,
            }
        })
        .collect();
    page(&UsersPage {
        notice: notice_of(&flash),
        ctx,
        rows,
        roles: ["admin", "staff", "auditor"],
    })
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf_token: String,
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    language: String,
}

impl CsrfProtected for InviteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn invite(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    form: CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let f = form.0;
    invite::invite(
        &state.db,
        &state.settings,
        Inviter::admin(&current.user, &client),
        tenant,
        &Invitation {
            email: &f.email,
            display_name: &f.name,
            role: &f.role,
            language: &f.language,
        },
    )
    .await?;
    Ok(see_other("/admin/users?done=invited"))
}

#[derive(Deserialize)]
pub struct RoleForm {
    csrf_token: String,
    role: String,
}

impl CsrfProtected for RoleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn change_role(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let target = manage::colleague(&state.db, tenant, &id).await?;
    let role: Role = invite::tenant_role(&form.0.role)?;
    manage::change_role(&state.db, &current.user, &target, role, &client).await?;
    Ok(see_other("/admin/users?done=role"))
}

/// The buttons of a row: disable, enable, or mail a password link.
pub async fn button(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    path: web::Path<(String, String)>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let (id, action) = path.into_inner();
    if !["disable", "enable", "password-link"].contains(&action.as_str()) {
        return Err(AppError::NotFound);
    }
    let target = manage::colleague(&state.db, tenant, &id).await?;
    let me = &current.user;
    let done = match action.as_str() {
        "disable" => {
            manage::set_disabled(&state.db, me, &target, true, &client).await?;
            "disabled"
        }
        "enable" => {
            manage::set_disabled(&state.db, me, &target, false, &client).await?;
            "enabled"
        }
        _ => {
            manage::send_password_link(&state.db, &state.settings, me, &target, &client).await?;
            "link"
        }
    };
    Ok(see_other(&format!("/admin/users?done={done}")))
}

#[derive(Deserialize)]
pub struct TransferForm {
    csrf_token: String,
    to: String,
}

impl CsrfProtected for TransferForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn transfer(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<TransferForm>,
) -> Result<HttpResponse, AppError> {
    let tenant = admin_tenant(&current)?;
    let from = manage::colleague(&state.db, tenant, &id).await?;
    let to = manage::colleague(&state.db, tenant, form.0.to.trim()).await?;
    manage::transfer_links(&state.db, &current.user, &from, &to, &client).await?;
    Ok(see_other("/admin/users?done=transferred"))
}
