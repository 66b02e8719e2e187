//! The auditors' view of their tenant's record: search with filters, paging, and export as CSV
//! or JSON Lines (streamed). Auditors and tenant admins only; each export is itself recorded.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::audit::records::StoredRecord;
use crate::audit::search::{self, Filter, FilterQuery, Format};
use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::session::CurrentUser;
use crate::db::users::User;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;
use crate::web::ctx::PageCtx;
use crate::web::format::date_time;
use crate::web::render::page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(show))
        .route("/audit/verify", web::post().to(verify))
        .route("/audit/export", web::get().to(export_page));
}

/// Records shown per page.
const PAGE_SIZE: i64 = 100;

struct Row {
    seq: i64,
    time: String,
    who: String,
    client: String,
    action: String,
    outcome: String,
    link_id: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit/search.html")]
struct SearchPage {
    ctx: PageCtx,
    q: FilterQuery,
    rows: Vec<Row>,
    /// Query string of the filters, for the export and next-page links.
    echo: String,
    next_before: Option<i64>,
    chain_head: i64,
    /// The result of "verify now": intact (with the number of records), or the first break.
    verification: Option<(bool, String)>,
}

/// The tenant chain the user may read, or 403.
pub fn chain_of(user: &User) -> Result<String, AppError> {
    search::readable_chain(user)
        .map(str::to_string)
        .ok_or(AppError::Forbidden)
}

pub fn parse(q: &FilterQuery) -> Result<(Filter, Option<i64>), AppError> {
    let filter = Filter::parse(q).map_err(AppError::BadRequest)?;
    let before = match q.before.trim() {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::BadRequest("error.invalid_form"))?,
        ),
    };
    Ok((filter, before))
}

fn row(r: StoredRecord, lang: crate::i18n::Lang) -> Row {
    Row {
        seq: r.seq,
        time: date_time(r.occurred_at, lang),
        who: r.actor_label.unwrap_or(r.actor_kind),
        client: r.client_addr.unwrap_or_default(),
        action: r.action,
        outcome: r.outcome,
        link_id: r.link_id.unwrap_or_default(),
        detail: [r.reason.unwrap_or_default(), r.details]
            .into_iter()
            .filter(|s| !s.is_empty() && s != "{}")
            .collect::<Vec<_>>()
            .join(" "),
    }
}

async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    render(&state, &current.user, ctx, query.into_inner(), None).await
}

/// Checks the tenant's chain now and shows the result above the newest records.
async fn verify(
    state: web::Data<AppState>,
    current: CurrentUser,
    ctx: PageCtx,
    client: ClientInfo,
    _form: crate::web::ctx::CsrfForm<crate::web::ctx::ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let chain = chain_of(&current.user)?;
    let report = crate::audit::verify::verify(&state.db, Some(&chain)).await?;
    let result = match report.breaks.first() {
        None => (true, report.records.to_string()),
        Some(b) => (false, b.to_string()),
    };
    let e = AuditEvent::new(
        "audit.verified",
        if result.0 {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        Actor::user(&current.user),
    )
    .tenant(Some(&chain))
    .client(&client)
    .detail("records", report.records)
    .detail("intact", result.0);
    audit::record(&state.db, e).await?;
    render(
        &state,
        &current.user,
        ctx,
        FilterQuery::default(),
        Some(result),
    )
    .await
}

async fn render(
    state: &AppState,
    user: &User,
    ctx: PageCtx,
    q: FilterQuery,
    verification: Option<(bool, String)>,
) -> Result<HttpResponse, AppError> {
    let chain = chain_of(user)?;
    let (filter, before) = parse(&q)?;
    let rows = search::page(&state.db, &chain, &filter, before, PAGE_SIZE).await?;
    let next_before = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let chain_head: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(last_seq), 0) FROM audit_chains WHERE chain = $1")
            .bind(&chain)
            .fetch_one(&state.db.pool)
            .await?;
    let lang = ctx.lang;
    page(&SearchPage {
        echo: Filter::echo(&q),
        rows: rows.into_iter().map(|r| row(r, lang)).collect(),
        next_before,
        chain_head,
        verification,
        ctx,
        q,
    })
}

/// Streams the filtered record; recorded before the first byte goes out.
pub async fn export(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
    q: FilterQuery,
) -> Result<HttpResponse, AppError> {
    let chain = chain_of(user)?;
    let format =
        Format::parse(q.format.trim()).ok_or(AppError::BadRequest("error.audit_format"))?;
    let (filter, _) = parse(&q)?;
    let e = AuditEvent::new("audit.exported", Outcome::Success, Actor::user(user))
        .tenant(Some(&chain))
        .client(client)
        .detail("format", format.extension())
        .detail("filters", filter.describe());
    audit::record(&state.db, e).await?;
    let name = format!(
        "bote-audit-{}.{}",
        crate::domain::time::now_ms(),
        format.extension()
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(search::export(state.db.clone(), chain, filter, format)))
}

async fn export_page(
    state: web::Data<AppState>,
    current: CurrentUser,
    client: ClientInfo,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    export(&state, &current.user, &client, query.into_inner()).await
}
