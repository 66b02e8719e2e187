//! Changing a tenant's rules: one validated change, written in one transaction with a
//! `policy.changed` record naming each changed rule with its old and new value. Used by the
//! admin's policy page and by `bote tenant policy`.

use serde_json::{json, Map, Value};

use super::policy::{self, LinkPolicy};
use crate::audit::privacy::AddressMode;
use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::db::Db;
use crate::domain::file_type;
use crate::web::client::ClientInfo;

/// What to change; `None` leaves a rule as it is. For the optional limits, `Some(None)` removes
/// the tenant's own limit.
#[derive(Debug, Default, Clone)]
pub struct PolicyChange {
    pub link_default_days: Option<i64>,
    pub link_max_days: Option<i64>,
    pub password_required: Option<bool>,
    pub password_min_len: Option<i64>,
    pub max_file_bytes: Option<Option<i64>>,
    pub max_link_bytes: Option<Option<i64>>,
    pub allowed_types: Option<Option<String>>,
    pub blocked_types: Option<Option<String>>,
    pub staff_upload_links: Option<bool>,
    pub file_retention_days: Option<i64>,
    pub unscannable: Option<String>,
    pub scanner_down: Option<String>,
    pub audit_retention_days: Option<i64>,
    pub client_addresses: Option<String>,
}

/// Keys of the file kinds, checked and in catalogue order; `None` for an empty list.
pub fn type_list<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<Option<String>, &'static str> {
    let kinds = file_type::parse_list(keys).map_err(|_| "error.allowed_types")?;
    let mut keys: Vec<&str> = kinds.iter().map(|k| k.key).collect();
    keys.sort_by_key(|k| file_type::ALL.iter().position(|t| t.key == *k));
    Ok((!keys.is_empty()).then(|| keys.join(",")))
}

fn in_range(
    v: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    key: &'static str,
) -> Result<(), &'static str> {
    match v {
        Some(n) if !range.contains(&n) => Err(key),
        _ => Ok(()),
    }
}

impl PolicyChange {
    /// Checks each value on its own; the combination is checked in `apply`.
    pub fn validate(&self) -> Result<(), &'static str> {
        in_range(self.link_default_days, 1..=3650, "error.policy_days")?;
        in_range(self.link_max_days, 1..=3650, "error.policy_days")?;
        in_range(self.password_min_len, 8..=64, "error.policy_password_len")?;
        in_range(self.file_retention_days, 0..=3650, "error.policy_retention")?;
        in_range(
            self.audit_retention_days,
            0..=3650,
            "error.policy_retention",
        )?;
        for limit in [self.max_file_bytes, self.max_link_bytes]
            .into_iter()
            .flatten()
            .flatten()
        {
            if limit < 1 {
                return Err("error.policy_size");
            }
        }
        if self
            .unscannable
            .as_deref()
            .is_some_and(|u| !["hold", "refuse"].contains(&u))
        {
            return Err("error.invalid_form");
        }
        if self
            .scanner_down
            .as_deref()
            .is_some_and(|d| !["accept", "refuse"].contains(&d))
        {
            return Err("error.invalid_form");
        }
        if self
            .client_addresses
            .as_deref()
            .is_some_and(|m| AddressMode::parse(m).is_none())
        {
            return Err("error.invalid_form");
        }
        Ok(())
    }
}

fn merged(current: &LinkPolicy, c: &PolicyChange) -> LinkPolicy {
    LinkPolicy {
        default_days: c.link_default_days.unwrap_or(current.default_days),
        max_days: c.link_max_days.unwrap_or(current.max_days),
        retention_days: c.file_retention_days.unwrap_or(current.retention_days),
        refuse_unscannable: c
            .unscannable
            .as_deref()
            .map_or(current.refuse_unscannable, |u| u == "refuse"),
        refuse_while_scanner_down: c
            .scanner_down
            .as_deref()
            .map_or(current.refuse_while_scanner_down, |d| d == "refuse"),
        password_required: c.password_required.unwrap_or(current.password_required),
        password_min_len: c.password_min_len.unwrap_or(current.password_min_len),
        max_file_bytes: c.max_file_bytes.unwrap_or(current.max_file_bytes),
        max_link_bytes: c.max_link_bytes.unwrap_or(current.max_link_bytes),
        allowed_types: c
            .allowed_types
            .clone()
            .unwrap_or(current.allowed_types.clone()),
        blocked_types: c
            .blocked_types
            .clone()
            .unwrap_or(current.blocked_types.clone()),
        staff_upload_links: c.staff_upload_links.unwrap_or(current.staff_upload_links),
        audit_retention_days: c
            .audit_retention_days
            .unwrap_or(current.audit_retention_days),
        client_address_mode: c
            .client_addresses
            .clone()
            .unwrap_or(current.client_address_mode.clone()),
        storage_quota_bytes: current.storage_quota_bytes,
    }
}

/// The rules as a record shows them.
fn as_json(p: &LinkPolicy) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("link_default_days".into(), json!(p.default_days));
    m.insert("link_max_days".into(), json!(p.max_days));
    m.insert("link_password_required".into(), json!(p.password_required));
    m.insert("link_password_min_len".into(), json!(p.password_min_len));
    m.insert("max_file_bytes".into(), json!(p.max_file_bytes));
    m.insert("max_link_bytes".into(), json!(p.max_link_bytes));
    m.insert("allowed_types".into(), json!(p.allowed_types));
    m.insert("blocked_types".into(), json!(p.blocked_types));
    m.insert("staff_upload_links".into(), json!(p.staff_upload_links));
    m.insert("file_retention_days".into(), json!(p.retention_days));
    m.insert(
        "unscannable".into(),
        json!(if p.refuse_unscannable {
            "refuse"
        } else {
            "hold"
        }),
    );
    m.insert(
        "scanner_down".into(),
        json!(if p.refuse_while_scanner_down {
            "refuse"
        } else {
            "accept"
        }),
    );
    m.insert("audit_retention_days".into(), json!(p.audit_retention_days));
    m.insert("client_addresses".into(), json!(p.client_address_mode));
    m
}

/// Applies a change and records it. Returns the names of the rules that changed (none: no
/// record). Errors are catalogue keys.
pub async fn apply(
    db: &Db,
    tenant_id: &str,
    change: &PolicyChange,
    actor: Actor,
    client: Option<&ClientInfo>,
) -> Result<Vec<String>, PolicyError> {
    change.validate().map_err(PolicyError::Invalid)?;
    let current = policy::for_tenant(db, tenant_id).await?;
    let next = merged(&current, change);
    if next.default_days > next.max_days {
        return Err(PolicyError::Invalid("error.policy_default_over_max"));
    }
    let (before, after) = (as_json(&current), as_json(&next));
    let mut changed = Map::new();
    for (key, new) in &after {
        let old = &before[key];
        if old != new {
            changed.insert(key.clone(), json!({"from": old, "to": new}));
        }
    }
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE tenants SET link_default_days = $1, link_max_days = $2,
            link_password_required = $3, link_password_min_len = $4, max_file_bytes = $5,
            max_link_bytes = $6, allowed_types = $7, blocked_types = $8, staff_upload_links = $9,
            file_retention_days = $10, unscannable_policy = $11, scanner_down_policy = $12,
            audit_retention_days = $13, client_address_mode = $14
         WHERE id = $15",
    )
    .bind(next.default_days)
    .bind(next.max_days)
    .bind(i64::from(next.password_required))
    .bind(next.password_min_len)
    .bind(next.max_file_bytes)
    .bind(next.max_link_bytes)
    .bind(next.allowed_types.as_deref())
    .bind(next.blocked_types.as_deref())
    .bind(i64::from(next.staff_upload_links))
    .bind(next.retention_days)
    .bind(if next.refuse_unscannable {
        "refuse"
    } else {
        "hold"
    })
    .bind(if next.refuse_while_scanner_down {
        "refuse"
    } else {
        "accept"
    })
    .bind(next.audit_retention_days)
    .bind(&next.client_address_mode)
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?;
    let names: Vec<String> = changed.keys().cloned().collect();
    let mut event =
        AuditEvent::new("policy.changed", Outcome::Success, actor).tenant(Some(tenant_id));
    if let Some(c) = client {
        event = event.client(c);
    }
    event.details = Value::Object(changed);
    chain::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(names)
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A value or combination is not allowed; the catalogue key says which.
    #[error("invalid policy: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PolicyError {
    fn from(e: sqlx::Error) -> Self {
        PolicyError::Failed(anyhow::Error::new(e).context("database"))
    }
}

impl From<PolicyError> for crate::error::AppError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Invalid(key) => crate::error::AppError::BadRequest(key),
            PolicyError::Failed(e) => crate::error::AppError::Internal(e),
        }
    }
}
