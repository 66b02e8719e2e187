//! Reads stored audit records in sequence order, in bounded batches, by each backend's fastest
//! path: SQLite through its C library on a blocking thread (sqlx hands every row over a channel
//! from its worker thread, which held verify and export to ~60-70k records/s), PostgreSQL as one
//! streamed query on a native connection of its own (no paging, no detour through the Any
//! driver). Verification and export read through here; pages of the search stay on the pool.

use anyhow::Context;
use futures_util::TryStreamExt;
use sqlx::{Connection, FromRow};
use tokio::sync::mpsc;

use crate::db::{Backend, Db};

/// One stored record with every column, as it is hashed, shown and exported.
#[derive(Debug, Clone, FromRow)]
pub struct StoredRecord {
    pub id: String,
    pub chain: String,
    pub seq: i64,
    pub tenant_id: Option<String>,
    pub occurred_at: i64,
    pub actor_kind: String,
    pub actor_user_id: Option<String>,
    pub actor_label: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub outcome: String,
    pub link_id: Option<String>,
    pub file_id: Option<String>,
    pub reason: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

pub const COLUMNS: &str = "id, chain, seq, tenant_id, occurred_at, actor_kind, actor_user_id, \
     actor_label, client_addr, user_agent, action, outcome, link_id, file_id, reason, details, \
     prev_hash, hash";

/// A query parameter; `$n` in the conditions is the n-th of these.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// Records per batch; with two batches in the channel, memory stays flat at any record size.
const BATCH: usize = 2000;

/// The records matching `conditions` (SQL over the columns, parameters `$1`, `$2`, ... bound
/// from `binds`, never from user text), oldest first, in batches. The receiver ends after the
/// last batch or the first error; dropping it stops the reading.
pub fn read(
    db: &Db,
    conditions: String,
    binds: Vec<Bind>,
) -> mpsc::Receiver<anyhow::Result<Vec<StoredRecord>>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE {conditions} ORDER BY seq");
    let (tx, rx) = mpsc::channel(2);
    match db.backend {
        Backend::Sqlite => {
            let path = db.sqlite_file().map(|p| p.to_owned());
            tokio::task::spawn_blocking(move || {
                let result = match path {
                    Some(path) => read_sqlite(&path, &sql, &binds, &tx),
                    None => Err(anyhow::anyhow!("the SQLite database has no file to read")),
                };
                if let Err(e) = result {
                    let _ = tx.blocking_send(Err(e));
                }
            });
        }
        Backend::Postgres => {
            let url = db.url().to_string();
            tokio::spawn(async move {
                if let Err(e) = read_postgres(&url, &sql, binds, &tx).await {
                    let _ = tx.send(Err(e)).await;
                }
            });
        }
    }
    rx
}

type Sender = mpsc::Sender<anyhow::Result<Vec<StoredRecord>>>;

fn read_sqlite(
    path: &std::path::Path,
    sql: &str,
    binds: &[Bind],
    tx: &Sender,
) -> anyhow::Result<()> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("audit: open {} to read", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut stmt = conn.prepare(sql).context("audit: prepare read")?;
    for (i, bind) in binds.iter().enumerate() {
        let name = format!("${}", i + 1);
        let index = stmt
            .parameter_index(&name)?
            .with_context(|| format!("audit: parameter {name} not in the query"))?;
        match bind {
            Bind::Text(t) => stmt.raw_bind_parameter(index, t)?,
            Bind::Int(n) => stmt.raw_bind_parameter(index, n)?,
        }
    }
    let mut rows = stmt.raw_query();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(row) = rows.next().context("audit: read records")? {
        batch.push(StoredRecord {
            id: row.get(0)?,
            chain: row.get(1)?,
            seq: row.get(2)?,
            tenant_id: row.get(3)?,
            occurred_at: row.get(4)?,
            actor_kind: row.get(5)?,
            actor_user_id: row.get(6)?,
            actor_label: row.get(7)?,
            client_addr: row.get(8)?,
            user_agent: row.get(9)?,
            action: row.get(10)?,
            outcome: row.get(11)?,
            link_id: row.get(12)?,
            file_id: row.get(13)?,
            reason: row.get(14)?,
            details: row.get(15)?,
            prev_hash: row.get(16)?,
            hash: row.get(17)?,
        });
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.blocking_send(Ok(full)).is_err() {
                return Ok(()); // the reader went away
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Ok(batch));
    }
    Ok(())
}

async fn read_postgres(url: &str, sql: &str, binds: Vec<Bind>, tx: &Sender) -> anyhow::Result<()> {
    let mut conn = sqlx::postgres::PgConnection::connect(url)
        .await
        .context("audit: connect to read")?;
    let mut query = sqlx::query_as::<_, StoredRecord>(sql);
    for bind in binds {
        query = match bind {
            Bind::Text(t) => query.bind(t),
            Bind::Int(n) => query.bind(n),
        };
    }
    let mut rows = query.fetch(&mut conn);
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(row) = rows.try_next().await.context("audit: read records")? {
        batch.push(row);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(Ok(full)).await.is_err() {
                return Ok(());
            }
        }
    }
    drop(rows);
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch)).await;
    }
    let _ = conn.close().await;
    Ok(())
}
