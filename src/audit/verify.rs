//! Checks the hash chains: every record must follow its predecessor (sequence and prev_hash),
//! hash to its stored hash, and the last one must match the chain head. The first record that
//! does not fit is named.

use super::chain::{CanonicalRecord, GENESIS};
use super::records::{self, Bind, StoredRecord};
use crate::db::Db;

/// What is wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub chain: String,
    /// The sequence number where the chain stops fitting.
    pub seq: i64,
    pub record_id: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chain {}: record {} (id {}): {}",
            self.chain,
            self.seq,
            self.record_id.as_deref().unwrap_or("-"),
            self.problem
        )
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub chains: usize,
    pub records: u64,
    pub breaks: Vec<Break>,
}

/// Verifies the given chains (all when `chains` is empty).
pub async fn verify(db: &Db, only_chain: Option<&str>) -> sqlx::Result<Report> {
    let heads: Vec<(String, i64, String)> = match only_chain {
        Some(c) => {
            sqlx::query_as("SELECT chain, last_seq, last_hash FROM audit_chains WHERE chain = $1")
                .bind(c)
                .fetch_all(&db.pool)
                .await?
        }
        None => {
            sqlx::query_as("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
                .fetch_all(&db.pool)
                .await?
        }
    };
    // Chains are independent: several are checked at once (one connection each), the longest
    // first and each next one as soon as a slot is free, so one big tenant runs alongside all
    // the small ones instead of holding up the rest.
    use futures_util::{StreamExt, TryStreamExt};
    let mut heads = heads;
    heads.sort_by_key(|(_, last_seq, _)| std::cmp::Reverse(*last_seq));
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let results: Vec<(u64, Option<Break>)> = futures_util::stream::iter(heads)
        .map(|(chain, last_seq, last_hash)| async move {
            let mut counted = 0u64;
            let brk = verify_chain(db, &chain, last_seq, &last_hash, &mut counted).await?;
            Ok::<_, sqlx::Error>((counted, brk))
        })
        .buffer_unordered(parallel)
        .try_collect()
        .await?;
    let mut report = Report::default();
    for (counted, brk) in results {
        report.chains += 1;
        report.records += counted;
        report.breaks.extend(brk);
    }
    report.breaks.sort_by(|a, b| a.chain.cmp(&b.chain));
    Ok(report)
}

/// Whether an `audit.retention` record after the checkpoint names exactly this cut.
async fn signed_off(db: &Db, chain: &str, seq: i64, hash: &str) -> sqlx::Result<bool> {
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_events
         WHERE chain = $1 AND action = 'audit.retention' AND seq > $2",
    )
    .bind(chain)
    .bind(seq)
    .fetch_all(&db.pool)
    .await?;
    Ok(details.iter().any(|d| {
        serde_json::from_str::<serde_json::Value>(d).is_ok_and(|v| {
            v["through_seq"].as_i64() == Some(seq) && v["through_hash"].as_str() == Some(hash)
        })
    }))
}

fn record_intact(r: &StoredRecord) -> bool {
    CanonicalRecord {
        chain: &r.chain,
        seq: r.seq,
        id: &r.id,
        tenant_id: r.tenant_id.as_deref(),
        occurred_at: r.occurred_at,
        actor_kind: &r.actor_kind,
        actor_user_id: r.actor_user_id.as_deref(),
        actor_label: r.actor_label.as_deref(),
        client_addr: r.client_addr.as_deref(),
        user_agent: r.user_agent.as_deref(),
        action: &r.action,
        outcome: &r.outcome,
        link_id: r.link_id.as_deref(),
        file_id: r.file_id.as_deref(),
        reason: r.reason.as_deref(),
        details: &r.details,
        prev_hash: &r.prev_hash,
    }
    .hash()
        == r.hash
}

async fn verify_chain(
    db: &Db,
    chain: &str,
    last_seq: i64,
    last_hash: &str,
    counted: &mut u64,
) -> sqlx::Result<Option<Break>> {
    let brk = |seq: i64, id: Option<&str>, problem: &str| Break {
        chain: chain.to_string(),
        seq,
        record_id: id.map(str::to_string),
        problem: problem.to_string(),
    };
    // After a retention run the chain starts at its checkpoint, which a later record of the
    // same chain must have signed off (an audit.retention record naming it).
    let checkpoint: Option<(i64, String)> =
        sqlx::query_as("SELECT through_seq, through_hash FROM audit_checkpoints WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&db.pool)
            .await?;
    let (mut expected_seq, mut prev_hash) = match &checkpoint {
        Some((seq, hash)) => (seq + 1, hash.clone()),
        None => (1, GENESIS.to_string()),
    };
    if let Some((seq, hash)) = &checkpoint {
        if !signed_off(db, chain, *seq, hash).await? {
            return Ok(Some(brk(
                *seq,
                None,
                "the checkpoint is not signed off by an audit.retention record (records removed outside retention)",
            )));
        }
    }
    // Records are read on one thread while the batch before is hashed on another (each
    // record's hash depends only on its own fields, its stored prev_hash among them); the links
    // between records are then checked in order.
    // Only what the head covered when it was read: records appended since then belong to the
    // next check, not to a break.
    let mut batches = records::read(
        db,
        "chain = $1 AND seq > $2 AND seq <= $3".to_string(),
        vec![
            Bind::Text(chain.to_string()),
            Bind::Int(expected_seq - 1),
            Bind::Int(last_seq),
        ],
    );
    while let Some(rows) = batches.recv().await {
        let rows = rows.map_err(|e| sqlx::Error::Protocol(format!("{e:#}")))?;
        let (rows, intact) = tokio::task::spawn_blocking(move || {
            let intact: Vec<bool> = rows.iter().map(record_intact).collect();
            (rows, intact)
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("audit hash task: {e}")))?;
        for (r, intact) in rows.into_iter().zip(intact) {
            *counted += 1;
            let found = if r.seq != expected_seq {
                Some(brk(
                    expected_seq,
                    None,
                    &format!("missing (next record present is {})", r.seq),
                ))
            } else if r.prev_hash != prev_hash {
                Some(brk(
                    r.seq,
                    Some(&r.id),
                    "does not follow the record before it (deleted, inserted or reordered)",
                ))
            } else if !intact {
                Some(brk(
                    r.seq,
                    Some(&r.id),
                    "altered (its content does not match its hash)",
                ))
            } else {
                None
            };
            if found.is_some() {
                return Ok(found); // dropping `batches` stops the reader
            }
            prev_hash = r.hash;
            expected_seq += 1;
        }
    }
    if expected_seq - 1 != last_seq || prev_hash != last_hash {
        return Ok(Some(brk(
            expected_seq,
            None,
            &format!("the chain ends at record {} but its head says {last_seq} (records removed at the end)", expected_seq - 1),
        )));
    }
    // A record stored past the head was not appended through the chain. The highest stored
    // number is read before the head: an append moves both in one transaction, so a head read
    // later is never behind a record appended legitimately in between.
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM audit_events WHERE chain = $1")
            .bind(chain)
            .fetch_one(&db.pool)
            .await?;
    let head: i64 = sqlx::query_scalar("SELECT last_seq FROM audit_chains WHERE chain = $1")
        .bind(chain)
        .fetch_one(&db.pool)
        .await?;
    if let Some(stored) = stored.filter(|s| *s > head) {
        return Ok(Some(brk(
            head + 1,
            None,
            &format!("records stored after the chain's head ({head}), up to {stored} (inserted outside the chain)"),
        )));
    }
    Ok(None)
}
