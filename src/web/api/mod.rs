//! The JSON API under `/api/v1`, authenticated with bearer tokens.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::api_token::ApiCaller;

pub mod audit;
pub mod links;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .configure(links::configure)
        .configure(audit::configure);
}

/// Who the token belongs to: lets scripts check their token.
async fn me(caller: ApiCaller) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": caller.user.id,
        "email": caller.user.email,
        "display_name": caller.user.display_name,
        "role": caller.user.role,
        "tenant_id": caller.user.tenant_id,
    }))
}
