//! Searching and exporting one tenant's record: filters from a query string, pages by sequence
//! number (as fast on page 10,000 as on page 1), and an export streamed in batches so that its
//! size is never limited by memory.

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::records::{self, Bind, StoredRecord, COLUMNS};
use crate::db::users::User;
use crate::db::Db;
use crate::domain::role::Role;
use crate::domain::time::rfc3339;

/// The chain (tenant) whose whole record this user may read: auditors and admins of a tenant.
/// Link owners read their own links' history on the link page; operators read no records.
pub fn readable_chain(user: &User) -> Option<&str> {
    match user.role() {
        Role::Auditor | Role::Admin => user.tenant_id.as_deref(),
        _ => None,
    }
}

/// The filters as they arrive in a query string (page form and API alike).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub link: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub client: String,
    /// Paging: only records older than this sequence number.
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub format: String,
}

/// Checked filters. Every value is bound as a parameter, never put into the SQL text.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub user: Option<String>,
    pub link: Option<String>,
    pub file: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub client: Option<String>,
}

/// A time bound: a date (`from` the start of that day, `to` its end, UTC) or an RFC 3339 time.
fn time_bound(text: &str, end_of_day: bool) -> Result<Option<i64>, &'static str> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
        return Ok(Some((at.unix_timestamp_nanos() / 1_000_000) as i64));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(t, &format).map_err(|_| "error.audit_time")?;
    let at = if end_of_day {
        date.with_hms_milli(23, 59, 59, 999)
    } else {
        date.with_hms(0, 0, 0)
    }
    .map_err(|_| "error.audit_time")?
    .assume_utc();
    Ok(Some((at.unix_timestamp_nanos() / 1_000_000) as i64))
}

fn text(value: &str, max: usize, key: &'static str) -> Result<Option<String>, &'static str> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(key);
    }
    Ok(Some(v.to_string()))
}

fn id(value: &str, key: &'static str) -> Result<Option<String>, &'static str> {
    match value.trim() {
        "" => Ok(None),
        v => uuid::Uuid::parse_str(v)
            .map(|u| Some(u.to_string()))
            .map_err(|_| key),
    }
}

impl Filter {
    /// The filters of a query; the error is the catalogue key naming the bad one.
    pub fn parse(q: &FilterQuery) -> Result<Filter, &'static str> {
        let action = text(&q.action, 64, "error.audit_action")?;
        if action.as_deref().is_some_and(|a| {
            !a.chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
        }) {
            return Err("error.audit_action");
        }
        let outcome = text(&q.outcome, 16, "error.audit_outcome")?;
        if outcome
            .as_deref()
            .is_some_and(|o| !["success", "failure", "refused"].contains(&o))
        {
            return Err("error.audit_outcome");
        }
        let filter = Filter {
            from: time_bound(&q.from, false)?,
            to: time_bound(&q.to, true)?,
            user: text(&q.user, 254, "error.audit_user")?.map(|u| u.to_lowercase()),
            link: id(&q.link, "error.audit_link")?,
            file: id(&q.file, "error.audit_file")?,
            action,
            outcome,
            client: text(&q.client, 64, "error.audit_client")?,
        };
        if let (Some(f), Some(t)) = (filter.from, filter.to) {
            if f > t {
                return Err("error.audit_time");
            }
        }
        Ok(filter)
    }

    /// The filters as query parameters again (for paging and export links).
    pub fn echo(q: &FilterQuery) -> String {
        let pairs = [
            ("from", &q.from),
            ("to", &q.to),
            ("user", &q.user),
            ("link", &q.link),
            ("file", &q.file),
            ("action", &q.action),
            ("outcome", &q.outcome),
            ("client", &q.client),
        ];
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.trim().is_empty() {
                out.append_pair(k, v.trim());
            }
        }
        out.finish()
    }

    /// For the record of an export: which filters were used.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "from": self.from.map(rfc3339),
            "to": self.to.map(rfc3339),
            "user": self.user,
            "link": self.link,
            "file": self.file,
            "action": self.action,
            "outcome": self.outcome,
            "client": self.client,
        })
    }
}

/// The WHERE clause for a chain and filters, with its parameters in order (`$1` is the chain).
fn conditions(chain: &str, f: &Filter) -> (String, Vec<Bind>) {
    let mut sql = String::from("chain = $1");
    let mut binds = vec![Bind::Text(chain.to_string())];
    // `?` in a clause stands for the parameter being added (used as often as it appears).
    let mut add = |clause: &str, bind: Bind| {
        binds.push(bind);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(v) = f.from {
        add(" AND occurred_at >= ?", Bind::Int(v));
    }
    if let Some(v) = f.to {
        add(" AND occurred_at <= ?", Bind::Int(v));
    }
    if let Some(v) = &f.user {
        // An account's id, or the address it had when it acted.
        add(
            " AND (actor_user_id = ? OR LOWER(actor_label) = ?)",
            Bind::Text(v.clone()),
        );
    }
    if let Some(v) = &f.link {
        add(" AND link_id = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &f.file {
        add(" AND file_id = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &f.action {
        add(" AND action = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &f.outcome {
        add(" AND outcome = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &f.client {
        add(" AND client_addr = ?", Bind::Text(v.clone()));
    }
    (sql, binds)
}

async fn fetch(
    db: &Db,
    chain: &str,
    f: &Filter,
    cursor: Option<i64>,
    newest_first: bool,
    limit: i64,
) -> sqlx::Result<Vec<StoredRecord>> {
    let (mut sql, binds) = conditions(chain, f);
    let n = binds.len();
    if cursor.is_some() {
        sql.push_str(&format!(
            " AND seq {} ${}",
            if newest_first { "<" } else { ">" },
            n + 1
        ));
    }
    let order = if newest_first { "DESC" } else { "ASC" };
    let query = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {sql} ORDER BY seq {order} LIMIT {}",
        limit.clamp(1, 10_000)
    );
    let mut q = sqlx::query_as::<_, StoredRecord>(&query);
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    if let Some(c) = cursor {
        q = q.bind(c);
    }
    q.fetch_all(&db.pool).await
}

/// One page of records, newest first, older than `before` when given.
pub async fn page(
    db: &Db,
    chain: &str,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<StoredRecord>> {
    fetch(db, chain, f, before, true, limit).await
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }
}

const CSV_HEADER: &str = "seq,id,time,actor_kind,actor_user_id,actor,client_addr,user_agent,\
     action,outcome,link_id,file_id,reason,details,hash\n";

/// A CSV cell: quoted when needed; a leading `=`, `+`, `-`, `@` (or tab/CR) gets a `'` so that a
/// spreadsheet never runs a value from the record as a formula.
fn csv_cell(value: &str, out: &mut String) {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&guarded.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&guarded);
    }
}

fn csv_line(r: &StoredRecord, out: &mut String) {
    let cells: [&str; 15] = [
        &r.seq.to_string(),
        &r.id,
        &rfc3339(r.occurred_at),
        &r.actor_kind,
        r.actor_user_id.as_deref().unwrap_or(""),
        r.actor_label.as_deref().unwrap_or(""),
        r.client_addr.as_deref().unwrap_or(""),
        r.user_agent.as_deref().unwrap_or(""),
        &r.action,
        &r.outcome,
        r.link_id.as_deref().unwrap_or(""),
        r.file_id.as_deref().unwrap_or(""),
        r.reason.as_deref().unwrap_or(""),
        &r.details,
        &r.hash,
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_cell(c, out);
    }
    out.push('\n');
}

/// A record's details: the stored JSON as it is, or (in a record altered by hand) the text.
#[derive(Serialize)]
#[serde(untagged)]
enum Details<'a> {
    Json(&'a serde_json::value::RawValue),
    Text(&'a str),
}

/// One record as the API and the JSON Lines export show it.
#[derive(Serialize)]
struct JsonRecord<'a> {
    seq: i64,
    id: &'a str,
    time: String,
    actor_kind: &'a str,
    actor_user_id: Option<&'a str>,
    actor: Option<&'a str>,
    client_addr: Option<&'a str>,
    user_agent: Option<&'a str>,
    action: &'a str,
    outcome: &'a str,
    link_id: Option<&'a str>,
    file_id: Option<&'a str>,
    reason: Option<&'a str>,
    details: Details<'a>,
    hash: &'a str,
}

impl<'a> From<&'a StoredRecord> for JsonRecord<'a> {
    fn from(r: &'a StoredRecord) -> Self {
        JsonRecord {
            seq: r.seq,
            id: &r.id,
            time: rfc3339(r.occurred_at),
            actor_kind: &r.actor_kind,
            actor_user_id: r.actor_user_id.as_deref(),
            actor: r.actor_label.as_deref(),
            client_addr: r.client_addr.as_deref(),
            user_agent: r.user_agent.as_deref(),
            action: &r.action,
            outcome: &r.outcome,
            link_id: r.link_id.as_deref(),
            file_id: r.file_id.as_deref(),
            reason: r.reason.as_deref(),
            details: serde_json::from_str(&r.details)
                .map_or(Details::Text(&r.details), Details::Json),
            hash: &r.hash,
        }
    }
}

pub fn row_json(r: &StoredRecord) -> serde_json::Value {
    serde_json::to_value(JsonRecord::from(r)).unwrap_or_default()
}

fn json_line(r: &StoredRecord, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and every field serializes.
    let _ = serde_json::to_writer(&mut *out, &JsonRecord::from(r));
    out.push(b'\n');
}

/// One batch as CSV or JSON Lines (the CSV header before the first).
fn render(rows: Vec<StoredRecord>, format: Format, header: bool) -> Bytes {
    let mut out = Vec::with_capacity(rows.len() * 512);
    if header && format == Format::Csv {
        out.extend_from_slice(CSV_HEADER.as_bytes());
    }
    let mut line = String::new();
    for r in &rows {
        match format {
            Format::Csv => {
                line.clear();
                csv_line(r, &mut line);
                out.extend_from_slice(line.as_bytes());
            }
            Format::JsonLines => json_line(r, &mut out),
        }
    }
    Bytes::from(out)
}

/// The whole filtered record, oldest first, as CSV or JSON Lines, produced batch by batch: the
/// next batch is read while the current one is written out, off the web worker's thread.
pub fn export(
    db: Db,
    chain: String,
    filter: Filter,
    format: Format,
) -> impl Stream<Item = std::io::Result<Bytes>> + 'static {
    let (conditions, binds) = conditions(&chain, &filter);
    let batches = records::read(&db, conditions, binds);
    futures_util::stream::unfold((batches, true), move |(mut batches, first)| async move {
        let rendered = match batches.recv().await {
            // An empty export still has its CSV header.
            None if first && format == Format::Csv => Ok(Bytes::from_static(CSV_HEADER.as_bytes())),
            None => return None,
            Some(Err(e)) => Err(std::io::Error::other(format!("{e:#}"))),
            Some(Ok(rows)) => tokio::task::spawn_blocking(move || render(rows, format, first))
                .await
                .map_err(std::io::Error::other),
        };
        Some((rendered, (batches, false)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_dates_cover_whole_days() {
        let q = FilterQuery {
            from: "2026-11-01".into(),
            to: "2026-11-01".into(),
            outcome: "refused".into(),
            action: "file.downloaded".into(),
            ..Default::default()
        };
        let f = Filter::parse(&q).unwrap();
        assert_eq!(f.to.unwrap() - f.from.unwrap(), 86_400_000 - 1);
        for bad in [
            FilterQuery {
                outcome: "maybe".into(),
                ..Default::default()
            },
            FilterQuery {
                action: "x'; DROP TABLE".into(),
                ..Default::default()
            },
            FilterQuery {
                link: "not-a-uuid".into(),
                ..Default::default()
            },
            FilterQuery {
                from: "2026-11-02".into(),
                to: "2026-11-01".into(),
                ..Default::default()
            },
        ] {
            assert!(Filter::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        let mut out = String::new();
        csv_cell("=HYPERLINK(\"x\")", &mut out);
        assert_eq!(out, "\"'=HYPERLINK(\"\"x\"\")\"");
        let mut out = String::new();
        csv_cell("a,b\nc", &mut out);
        assert_eq!(out, "\"a,b\nc\"");
        let mut out = String::new();
        csv_cell("plain", &mut out);
        assert_eq!(out, "plain");
    }

    #[test]
    fn parameters_are_numbered_in_order() {
        let f = Filter {
            from: Some(1),
            user: Some("a@b.c".into()),
            action: Some("x".into()),
            ..Default::default()
        };
        let (sql, binds) = conditions("t", &f);
        assert_eq!(binds.len(), 4);
        assert!(sql.contains("occurred_at >= $2"));
        assert!(sql.contains("actor_user_id = $3 OR LOWER(actor_label) = $3"));
        assert!(sql.contains("action = $4"));
    }
}
