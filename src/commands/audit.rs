//! `bote audit verify [--tenant S]`.

use std::path::Path;

use super::{load_settings, open_db, Failure};
use crate::audit::verify;
use crate::db::tenants;

pub async fn verify(config: Option<&Path>, tenant: Option<&str>) -> Result<(), Failure> {
    let settings = load_settings(config)?;
    let db = open_db(&settings).await?;
    let chain = match tenant {
        Some(slug) => Some(
            tenants::by_slug(&db, slug)
                .await?
                .ok_or_else(|| Failure::usage(format!("--tenant: no tenant with slug {slug:?}")))?
                .id,
        ),
        None => None,
    };
    let report = verify::verify(&db, chain.as_deref()).await?;
    if report.breaks.is_empty() {
        println!(
            "audit trail intact: {} chain(s), {} record(s)",
            report.chains, report.records
        );
        return Ok(());
    }
    let mut message = format!(
        "audit trail BROKEN in {} of {} chain(s):",
        report.breaks.len(),
        report.chains
    );
    for b in &report.breaks {
        message.push_str(&format!("\n  {b}"));
    }
    Err(Failure { status: 1, message })
}
