//! `/api/v1/audit`: the tenant's record for auditors and tenant admins, as JSON pages
//! (`before` = the last `seq` of the previous page) and as a streamed CSV or JSON Lines export.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::audit::search::{self, FilterQuery};
use crate::auth::api_token::ApiCaller;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::audit::{chain_of, export as export_record, parse};
use crate::web::client::ClientInfo;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(page))
        .route("/audit/export", web::get().to(export));
}

#[derive(serde::Deserialize)]
struct Limit {
    limit: Option<i64>,
}

async fn page(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<FilterQuery>,
    limit: web::Query<Limit>,
) -> Result<HttpResponse, AppError> {
    let chain = chain_of(&caller.user)?;
    let (filter, before) = parse(&query)?;
    let limit = limit.limit.unwrap_or(100).clamp(1, 1000);
    let rows = search::page(&state.db, &chain, &filter, before, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "records": rows.iter().map(search::row_json).collect::<Vec<_>>(),
        "next_before": next,
    })))
}

async fn export(
    state: web::Data<AppState>,
    caller: ApiCaller,
    client: ClientInfo,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    export_record(&state, &caller.user, &client, query.into_inner()).await
}
