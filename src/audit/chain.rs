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
    /// The array is written straight into the hash (no intermediate JSON tree): verifying
    /// millions of records is dominated by this.
    pub fn hash(&self) -> String {
        use serde::ser::{SerializeSeq, Serializer};

        let mut hasher = Sha256::new();
        let mut ser = serde_json::Serializer::new(HashWriter(&mut hasher));
        let written = (|| {
            let mut seq = ser.serialize_seq(Some(18))?;
            seq.serialize_element(&1)?; // encoding version
            seq.serialize_element(self.chain)?;
            seq.serialize_element(&self.seq)?;
            seq.serialize_element(self.id)?;
            seq.serialize_element(&self.tenant_id)?;
            seq.serialize_element(&self.occurred_at)?;
            seq.serialize_element(self.actor_kind)?;
            seq.serialize_element(&self.actor_user_id)?;
            seq.serialize_element(&self.actor_label)?;
            seq.serialize_element(&self.client_addr)?;
            seq.serialize_element(&self.user_agent)?;
            seq.serialize_element(self.action)?;
            seq.serialize_element(self.outcome)?;
            seq.serialize_element(&self.link_id)?;
            seq.serialize_element(&self.file_id)?;
            seq.serialize_element(&self.reason)?;
            seq.serialize_element(self.details)?;
            seq.serialize_element(self.prev_hash)?;
            seq.end()
        })();
        // Writing into a hasher cannot fail, and strings always serialize.
        debug_assert!(written.is_ok());
        hex::encode(hasher.finalize())
    }
}

/// Feeds serialized bytes into the hash.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed encoding must stay byte for byte what existing chains were hashed with.
    #[test]
    fn hash_is_the_sha256_of_the_compact_json_array() {
        let r = CanonicalRecord {
            chain: "c",
            seq: 7,
            id: "id",
            tenant_id: None,
            occurred_at: 1_700_000_000_123,
            actor_kind: "external",
            actor_user_id: None,
            actor_label: Some("a\"b\\c\u{1}ü"),
            client_addr: Some("203.0.113.9"),
            user_agent: None,
            action: "file.downloaded",
            outcome: "success",
            link_id: Some("l"),
            file_id: None,
            reason: Some("line\nbreak"),
            details: "{\"k\":1}",
            prev_hash: GENESIS,
        };
        let reference = serde_json::json!([
            1,
            r.chain,
            r.seq,
            r.id,
            r.tenant_id,
            r.occurred_at,
            r.actor_kind,
            r.actor_user_id,
            r.actor_label,
            r.client_addr,
            r.user_agent,
            r.action,
            r.outcome,
            r.link_id,
            r.file_id,
            r.reason,
            r.details,
            r.prev_hash,
        ]);
        assert_eq!(
            r.hash(),
            hex::encode(Sha256::digest(reference.to_string().as_bytes()))
        );
    }
}
