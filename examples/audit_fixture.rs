//! Fills a database with a realistic audit record for `bench/audit.sh`: TENANTS tenants (slugs
//! t000, t001, …), tenant t000 with BIG records and the rest sharing TOTAL - BIG, each chain
//! correctly hashed (so `bote audit verify` passes), inserted in large batches.
//!
//!   cargo run --release --example audit_fixture -- DATABASE_URL TOTAL TENANTS BIG

use bote::audit::chain::{CanonicalRecord, GENESIS};
use bote::db::Db;

const ACTIONS: &[(&str, &str)] = &[
    ("file.downloaded", "success"),
    ("link.opened", "success"),
    ("file.uploaded", "success"),
    ("link.unlock", "failure"),
    ("login.success", "success"),
    ("file.downloaded", "failure"),
    ("link.opened", "refused"),
];
struct Row {
    id: String,
    seq: i64,
    occurred_at: i64,
    addr: String,
    action: &'static str,
    outcome: &'static str,
    link: String,
    details: String,
    prev_hash: String,
    hash: String,
}

/// Rows per INSERT (18 parameters each; below every backend's parameter limit).
const BATCH: usize = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = &args[1];
    let total: usize = args[2].parse()?;
    let tenants: usize = args[3].parse()?;
    let big: usize = args[4].parse()?;
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let rest = (total - big) / (tenants - 1).max(1);
    let start = bote::domain::time::now_ms() - 90 * 86_400_000;
    for t in 0..tenants {
        let slug = format!("t{t:03}");
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO tenants (id, slug, name, language, suspended, created_at)
             VALUES ($1, $2, $3, 'de', 0, $4)",
        )
        .bind(&id)
        .bind(&slug)
        .bind(format!("Gemeinde {t}"))
        .bind(start)
        .execute(&db.pool)
        .await?;
        let count = if t == 0 { big } else { rest };
        let links: Vec<String> = (0..1000)
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let mut prev = GENESIS.to_string();
        let mut seq = 0i64;
        let step = (90 * 86_400_000i64) / count.max(1) as i64;
        while (seq as usize) < count {
            let n = BATCH.min(count - seq as usize);
            let mut rows = Vec::with_capacity(n);
            for _ in 0..n {
                seq += 1;
                let (action, outcome) = ACTIONS[(seq as usize * 7 + t) % ACTIONS.len()];
                let rid = uuid::Uuid::now_v7().to_string();
                let link = &links[(seq as usize * 31) % links.len()];
                let addr = format!("198.51.{}.{}", seq % 250, (seq / 250) % 250);
                let details = format!("{{\"bytes_sent\":{},\"completed\":true}}", seq * 1000);
                let occurred_at = start + seq * step;
                let hash = CanonicalRecord {
                    chain: &id,
                    seq,
                    id: &rid,
                    tenant_id: Some(&id),
                    occurred_at,
                    actor_kind: "external",
                    actor_user_id: None,
                    actor_label: None,
                    client_addr: Some(&addr),
                    user_agent: Some("Mozilla/5.0 (bench)"),
                    action,
                    outcome,
                    link_id: Some(link),
                    file_id: None,
                    reason: None,
                    details: &details,
                    prev_hash: &prev,
                }
                .hash();
                rows.push(Row {
                    id: rid,
                    seq,
                    occurred_at,
                    addr,
                    action,
                    outcome,
                    link: link.clone(),
                    details,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                });
                prev = hash;
            }
            let mut sql = String::from(
                "INSERT INTO audit_events (id, chain, seq, tenant_id, occurred_at, actor_kind,
                    actor_user_id, actor_label, client_addr, user_agent, action, outcome, link_id,
                    file_id, reason, details, prev_hash, hash) VALUES ",
            );
            for i in 0..rows.len() {
                let b = i * 12;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, 'external', NULL, NULL, ${}, 'Mozilla/5.0 (bench)', \
                     ${}, ${}, ${}, NULL, NULL, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10,
                    b + 11,
                    b + 12
                ));
            }
            let mut q = sqlx::query(&sql);
            for r in rows {
                q = q
                    .bind(r.id)
                    .bind(id.clone())
                    .bind(r.seq)
                    .bind(id.clone())
                    .bind(r.occurred_at)
                    .bind(r.addr)
                    .bind(r.action)
                    .bind(r.outcome)
                    .bind(r.link)
                    .bind(r.details)
                    .bind(r.prev_hash)
                    .bind(r.hash);
            }
            q.execute(&db.pool).await?;
        }
        sqlx::query("INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(seq)
            .bind(&prev)
            .execute(&db.pool)
            .await?;
        eprintln!("{slug}: {seq} records");
    }
    Ok(())
}
