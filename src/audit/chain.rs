//! The hash chain: each record stores the previous record's hash and its own hash over a
//! canonical encoding, so any altered, deleted or reordered record breaks verification.

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::event::{Actor, AuditEvent};
use crate::domain::time::now_ms;

/// The chain of events that belong to no tenant (operator actions, logins of unknown addresses).
pub const DEPLOYMENT_CHAIN: &str = "deployment";
/// The `prev_hash` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a stored record, in the order they are hashed.
pub struct CanonicalRecord<'a> {
    pub chain: &'a str,
    pub seq: i64,
    pub id: &'a str,
    pub tenant_id: Option<&'a str>,
    pub occurred_at: i64,
    pub actor_kind: &'a str,
    pub actor_user_id: Option<&'a str>,
    pub actor_label: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub action: &'a str,
    pub outcome: &'a str,
    pub link_id: Option<&'a str>,
    pub file_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub details: &'a str,
    pub prev_hash: &'a str,
}

impl CanonicalRecord<'_> {
    /// SHA-256 over a JSON array of every field: unambiguous, and the same on every platform.
    pub fn hash(&self) -> String {
        let encoded = serde_json::json!([
            1, // encoding version
            self.chain,
            self.seq,
            self.id,
            self.tenant_id,
            self.occurred_at,
            self.actor_kind,
            self.actor_user_id,
            self.actor_label,
            self.client_addr,
            self.user_agent,
            self.action,
            self.outcome,
            self.link_id,
            self.file_id,
            self.reason,
            self.details,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(encoded.to_string().as_bytes()))
    }
}

/// Text as stored: everything as given except NUL, which PostgreSQL cannot hold in text; it
/// becomes U+FFFD so the record still shows that something was there. (Details are JSON, where
/// NUL is escaped anyway.)
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Appends an event inside the caller's transaction. The chain head row is written first, so the
/// transaction takes the write lock (SQLite) or the row lock (PostgreSQL) before reading it:
/// concurrent writers, also on other instances, queue up instead of forking the chain.
pub async fn append(tx: &mut sqlx::AnyConnection, event: &AuditEvent) -> anyhow::Result<()> {
    let chain = event.tenant_id.as_deref().unwrap_or(DEPLOYMENT_CHAIN);
    sqlx::query(
        "INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES ($1, 0, $2)
         ON CONFLICT (chain) DO NOTHING",
    )
    .bind(chain)
    .bind(GENESIS)
    .execute(&mut *tx)
    .await
    .context("audit: chain head")?;
    let (seq, prev_hash): (i64, String) = sqlx::query_as(
        "UPDATE audit_chains SET last_seq = last_seq + 1 WHERE chain = $1
         RETURNING last_seq, last_hash",
    )
    .bind(chain)
    .fetch_one(&mut *tx)
    .await
    .context("audit: advance chain")?;

    let id = uuid::Uuid::now_v7().to_string();
    let (actor_user_id, actor_label) = match &event.actor {
        Actor::User { id, email } => (Some(id.as_str()), Some(email.as_str())),
        Actor::External | Actor::System => (None, None),
    };
    let details = event.details.to_string();
    // The tenant decides how much of a client address its record keeps.
    let mode = super::privacy::mode_of(tx, event.tenant_id.as_deref())
        .await
        .context("audit: address mode")?;
    let client_addr = event
        .client_addr
        .as_deref()
        .and_then(|a| mode.apply(a))
        .map(|a| storable(&a));
    let user_agent = event.user_agent.as_deref().map(storable);
    let reason = event.reason.as_deref().map(storable);
    let actor_label = actor_label.map(storable);
    let record = CanonicalRecord {
        chain,
        seq,
        id: &id,
        tenant_id: event.tenant_id.as_deref(),
        occurred_at: now_ms(),
        actor_kind: event.actor.kind(),
        actor_user_id,
        actor_label: actor_label.as_deref(),
        client_addr: client_addr.as_deref(),
        user_agent: user_agent.as_deref(),
        action: event.action,
        outcome: event.outcome.as_str(),
        link_id: event.link_id.as_deref(),
        file_id: event.file_id.as_deref(),
        reason: reason.as_deref(),
        details: &details,
        prev_hash: &prev_hash,
    };
    let hash = record.hash();
    sqlx::query(
        "INSERT INTO audit_events (id, chain, seq, tenant_id, occurred_at, actor_kind, actor_user_id,
            actor_label, client_addr, user_agent, action, outcome, link_id, file_id, reason, details,
            prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(record.id)
    .bind(record.chain)
    .bind(record.seq)
    .bind(record.tenant_id)
    .bind(record.occurred_at)
    .bind(record.actor_kind)
    .bind(record.actor_user_id)
    .bind(record.actor_label)
    .bind(record.client_addr)
    .bind(record.user_agent)
    .bind(record.action)
    .bind(record.outcome)
    .bind(record.link_id)
    .bind(record.file_id)
    .bind(record.reason)
    .bind(record.details)
    .bind(record.prev_hash)
    .bind(&hash)
    .execute(&mut *tx)
    .await
    .context("audit: insert event")?;
    sqlx::query("UPDATE audit_chains SET last_hash = $1 WHERE chain = $2")
        .bind(&hash)
        .bind(chain)
        .execute(&mut *tx)
        .await
        .context("audit: store chain head")?;
    Ok(())
}
