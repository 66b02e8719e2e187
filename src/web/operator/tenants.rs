//! The operator's list of tenants: state, accounts, links, storage against the quota, last
//! activity; and the forms to create a tenant, suspend or resume one, and set its quota.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::CurrentUser;
use crate::db::tenants::{self, Tenant};
use crate::db::usage;
use crate::domain::slug::TenantSlug;
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::startup::AppState;
use crate::tenancy::manage::{self, Changer};
use crate::tenancy::quota;
use crate::web::client::ClientInfo;
use crate::web::ctx::{ButtonForm, CsrfForm, CsrfProtected, PageCtx};
use crate::web::format::{binary_size, date_time};
use crate::web::render::{page, see_other};

use super::operator_only;

struct Row {
    id: String,
    slug: String,
    name: String,
    suspended: bool,
    users: i64,
    links_active: i64,
    links_all: i64,
    /// `1.2 GiB of 2.0 GiB`, or only what is used when there is no quota.
    storage: String,
    /// The quota as the form shows it (`2G`), empty when unlimited.
    quota_input: String,
    percent: Option<i64>,
    /// Used up (or over a lowered quota): uploads are refused.
    full: bool,
    last_activity: String,
}

#[derive(Template)]
#[template(path = "operator/tenants.html")]
struct TenantsPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Flash {
    done: Option<String>,
}

/// What the page says after an action (a fixed set; nothing from the query is echoed).
fn notice_of(flash: &Flash) -> Option<&'static str> {
    match flash.done.as_deref()? {
        "created" => Some("operator.done_created"),
        "suspended" => Some("operator.done_suspended"),
        "resumed" => Some("operator.done_resumed"),
        "quota" => Some("operator.done_quota"),
        "unchanged" => Some("operator.done_unchanged"),
        "invited" => Some("operator.done_invited"),
        _ => None,
    }
}

pub async fn list(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, AppError> {
    operator_only(&current)?;
    let all = tenants::list(&state.db).await?;
    let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
    let mut figures = usage::of_all_tenants(&state.db, &ids, now_ms()).await?;
    let rows = all
        .into_iter()
        .map(|t| {
            let u = figures.remove(&t.id).unwrap_or_default();
            let percent = t
                .storage_quota_bytes
                .map(|q| quota::percent_used(u.storage_used, q));
            let used = binary_size(u.storage_used.max(0) as u64);
            Row {
                suspended: t.is_suspended(),
                users: u.users,
                links_active: u.links_active,
                links_all: u.links_all,
                storage: match t.storage_quota_bytes {
                    Some(q) => ctx.tr.getf(
                        "operator.storage_of",
                        &[("used", &used), ("quota", &binary_size(q.max(0) as u64))],
                    ),
                    None => used,
                },
                quota_input: t
                    .storage_quota_bytes
                    .map(quota::as_input)
                    .unwrap_or_default(),
                full: percent.is_some_and(|p| p >= 100),
                percent,
                last_activity: u
                    .last_activity
                    .map(|ms| date_time(ms, ctx.lang))
                    .unwrap_or_default(),
                id: t.id,
                slug: t.slug,
                name: t.name,
            }
        })
        .collect();
    page(&TenantsPage {
        notice: notice_of(&flash),
        ctx,
        rows,
    })
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: String,
    slug: String,
    name: String,
    language: String,
}

impl CsrfProtected for CreateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn create(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    form: CsrfForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let operator = operator_only(&current)?;
    let f = form.0;
    let slug = TenantSlug::parse(&f.slug).map_err(|_| AppError::BadRequest("error.tenant_slug"))?;
    let name = manage::clean_name(&f.name).ok_or(AppError::BadRequest("error.tenant_name"))?;
    let language = Lang::parse(&f.language).ok_or(AppError::BadRequest("error.language"))?;
    manage::create(
        &state.db,
        &Changer::operator(operator, &client),
        &slug,
        &name,
        language,
    )
    .await?
    .ok_or(AppError::Conflict("error.tenant_slug_taken"))?;
    Ok(see_other("/operator?done=created"))
}

/// The tenant of the path; an unknown or malformed id is not found.
async fn tenant_of(state: &AppState, id: &str) -> Result<Tenant, AppError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound);
    }
    tenants::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn suspend(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    change_state(&state, &current, &client, &id, true).await
}

pub async fn resume(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    _form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    change_state(&state, &current, &client, &id, false).await
}

async fn change_state(
    state: &AppState,
    current: &CurrentUser,
    client: &ClientInfo,
    id: &str,
    suspended: bool,
) -> Result<HttpResponse, AppError> {
    let operator = operator_only(current)?;
    let tenant = tenant_of(state, id).await?;
    let changed = manage::set_suspended(
        &state.db,
        &Changer::operator(operator, client),
        &tenant,
        suspended,
    )
    .await?;
    Ok(see_other(match (changed, suspended) {
        (false, _) => "/operator?done=unchanged",
        (true, true) => "/operator?done=suspended",
        (true, false) => "/operator?done=resumed",
    }))
}

#[derive(Deserialize)]
pub struct QuotaForm {
    csrf_token: String,
    /// `500M`, `2 GiB`, bytes; empty for unlimited.
    #[serde(default)]
    quota: String,
}

impl CsrfProtected for QuotaForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn set_quota(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<QuotaForm>,
) -> Result<HttpResponse, AppError> {
    let operator = operator_only(&current)?;
    let bytes =
        quota::parse(&form.0.quota).map_err(|_| AppError::BadRequest("error.quota_invalid"))?;
    let tenant = tenant_of(&state, &id).await?;
    let changed = manage::set_quota(
        &state.db,
        &Changer::operator(operator, &client),
        &tenant,
        bytes,
    )
    .await?;
    Ok(see_other(if changed {
        "/operator?done=quota"
    } else {
        "/operator?done=unchanged"
    }))
}

#[derive(Deserialize)]
pub struct InviteAdminForm {
    csrf_token: String,
    email: String,
    name: String,
}

impl CsrfProtected for InviteAdminForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Gives a tenant an administrator by invitation (a new municipality's first admin); the
/// operator never learns the password and gets no access to the tenant.
pub async fn invite_admin(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    id: web::Path<String>,
    form: CsrfForm<InviteAdminForm>,
) -> Result<HttpResponse, AppError> {
    use crate::accounts::invite::{self, Invitation, Inviter};
    let operator = operator_only(&current)?;
    let tenant = tenant_of(&state, &id).await?;
    invite::invite(
        &state.db,
        &state.settings,
        Inviter::admin(operator, &client),
        &tenant.id,
        &Invitation {
            email: &form.0.email,
            display_name: &form.0.name,
            role: "admin",
            language: "",
        },
    )
    .await?;
    Ok(see_other("/operator?done=invited"))
}
