//! `/healthz`: the process answers. `/readyz`: it can do its work (database, data folder).

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::startup::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.ping().await;
    let data_dir = data_dir_writable(&state.settings.data_dir).await;
    let scanner = state.scanner.ping().await;
    let mail = state.mailer.ping().await;
    // A down scanner does not make Bote unready: uploads are still accepted and held pending
    // (fail closed), so the instance should stay in the load balancer. It is reported here.
    let ready = database && data_dir;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "database": if database { "ok" } else { "unreachable" },
            "data_dir": if data_dir { "ok" } else { "not_writable" },
            "scanner": match &scanner {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("unreachable: {e}"),
            },
            // Like the scanner: mails wait in the outbox while the relay is down.
            "mail": match &mail {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("unreachable: {e}"),
            },
        }
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        let mut res = HttpResponse::ServiceUnavailable().json(body);
        res.extensions_mut().insert(crate::web::render::Rendered);
        res
    }
}

async fn data_dir_writable(dir: &std::path::Path) -> bool {
    let probe = dir.join(format!(".readyz-{}", uuid::Uuid::new_v4()));
    let ok = tokio::fs::write(&probe, b"ok").await.is_ok();
    let _ = tokio::fs::remove_file(&probe).await;
    ok
}
