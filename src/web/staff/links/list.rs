//! The list of links: one's own, or the whole tenant's for admins and auditors.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::session::CurrentUser;
use crate::db::links;
use crate::domain::link::LinkKind;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::sharing::policy;
use crate::startup::AppState;
use crate::web::ctx::PageCtx;
use crate::web::format::date_time;
use crate::web::render::page;

struct Row {
    id: String,
    title: String,
    kind_key: &'static str,
    state_key: &'static str,
    expires: String,
    /// Downloads of a download link, files received by an upload link.
    activity: String,
    /// Shown to admins and auditors, who see everyone's links.
    owner: String,
}

#[derive(Template)]
#[template(path = "staff/links/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    can_create: bool,
    can_create_upload: bool,
    show_owner: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
) -> Result<HttpResponse, AppError> {
    let user = &current.user;
    let tenant_id = user.tenant_id.as_deref().ok_or(AppError::Forbidden)?;
    let owner = match user.role() {
        Role::Admin | Role::Auditor => None,
        Role::Staff => Some(user.id.as_str()),
        Role::Operator => return Err(AppError::Forbidden),
    };
    let show_owner = owner.is_none();
    let names: std::collections::HashMap<String, String> = if show_owner {
        crate::db::users::list_in_tenant(&state.db, tenant_id)
            .await?
            .into_iter()
            .map(|u| (u.user.id, u.user.display_name))
            .collect()
    } else {
        Default::default()
    };
    let rows = links::list(&state.db, tenant_id, owner, 500)
        .await?
        .into_iter()
        .map(|l| Row {
            owner: names.get(&l.owner_id).cloned().unwrap_or_default(),
            kind_key: match l.kind() {
                LinkKind::Download => "links.kind_download",
                LinkKind::Upload => "links.kind_upload",
            },
            state_key: super::state_key(l.state()),
            expires: date_time(l.expires_at, ctx.lang),
            activity: match (l.kind(), l.max_downloads, l.max_files) {
                (LinkKind::Download, Some(max), _) => format!("{} / {max}", l.download_count),
                (LinkKind::Download, None, _) => l.download_count.to_string(),
                (LinkKind::Upload, _, Some(max)) => format!("{} / {max}", l.received_files),
                (LinkKind::Upload, _, None) => l.received_files.to_string(),
            },
            id: l.id,
            title: l.title,
        })
        .collect();
    let can_create_upload = policy::for_tenant(&state.db, tenant_id)
        .await?
        .may_create(user.role(), LinkKind::Upload)
        .is_ok();
    page(&ListPage {
        show_owner,
        can_create_upload,
        can_create: user.role().can_share(),
        ctx,
        rows,
    })
}
