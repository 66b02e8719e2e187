//! Applies the tenants' audit retention once an hour (see `audit::retention`). Each run is one
//! transaction per tenant behind the chain's lock, so instances running it side by side agree.

use std::time::Duration;

use crate::db::Db;
use crate::domain::time::now_ms;

pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match crate::audit::retention::run_once(&db, now_ms()).await {
            Ok(removed) => {
                for r in removed {
                    tracing::info!(chain = %r.chain, records = r.records, "audit retention applied");
                }
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "audit retention failed"),
        }
    }
}
