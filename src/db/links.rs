//! Links: rows, and the atomic updates that enforce their limits.

use sqlx::FromRow;

use super::{new_id, Db};
use crate::domain::link::{LinkKind, LinkState};
use crate::domain::time::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct Link {
    pub id: String,
    pub tenant_id: String,
    pub owner_id: String,
    pub kind: String,
    pub title: String,
    pub message: String,
    pub expires_at: i64,
    pub token_sealed: String,
    pub password_hash: Option<String>,
    pub password_version: i64,
    pub max_downloads: Option<i64>,
    pub download_count: i64,
    pub revoked_at: Option<i64>,
    pub purged_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    pub max_file_bytes: Option<i64>,
    pub allowed_types: Option<String>,
    pub require_identity: i64,
    pub notify_uploads: i64,
    pub single_use: i64,
    pub closed_at: Option<i64>,
    pub received_files: i64,
    pub received_bytes: i64,
    /// The owner hears of downloads, in batches (download links).
    pub notify_downloads: i64,
    /// When the pending batch of download notices is due; `None`: no download since the last.
    pub download_notice_due_at: Option<i64>,
    /// The owner is reminded once before the link expires.
    pub remind_expiry: i64,
    pub expiry_reminded_at: Option<i64>,
}

impl Link {
    /// The state at `now`: revoked wins, then expiry (exact to the millisecond), then a close
    /// by staff (or by a single-use link's submission), then the link's limits.
    pub fn state_at(&self, now: i64) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if now >= self.expires_at {
            LinkState::Expired
        } else if self.closed_at.is_some() {
            LinkState::Closed
        } else if self.used_up() {
            LinkState::Exhausted
        } else {
            LinkState::Active
        }
    }

    /// A download link's download limit, or an upload link's file or byte budget, is used up.
    fn used_up(&self) -> bool {
        match self.kind() {
            LinkKind::Download => self
                .max_downloads
                .is_some_and(|max| self.download_count >= max),
            LinkKind::Upload => {
                self.max_files.is_some_and(|m| self.received_files >= m)
                    || self.max_bytes.is_some_and(|m| self.received_bytes >= m)
            }
        }
    }

    pub fn state(&self) -> LinkState {
        self.state_at(now_ms())
    }

    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    pub fn kind(&self) -> LinkKind {
        LinkKind::parse(&self.kind).unwrap_or(LinkKind::Download)
    }
}

pub const COLUMNS: &str = "l.id, l.tenant_id, l.owner_id, l.kind, l.title, l.message, l.expires_at, \
     l.token_sealed, l.password_hash, l.password_version, l.max_downloads, l.download_count, l.revoked_at, \
     l.purged_at, l.created_at, l.updated_at, l.max_files, l.max_bytes, l.max_file_bytes, \
     l.allowed_types, l.require_identity, l.notify_uploads, l.single_use, l.closed_at, \
     l.received_files, l.received_bytes, l.notify_downloads, l.download_notice_due_at, \
     l.remind_expiry, l.expiry_reminded_at";

/// A link with what its public page shows about the sender.
#[derive(Debug, Clone, FromRow)]
pub struct PublicLink {
    #[sqlx(flatten)]
    pub link: Link,
    pub owner_name: String,
    pub owner_email: String,
    pub tenant_name: String,
}

/// The link behind a public token, if its tenant is not suspended and its owner not disabled.
/// Whether it is still alive is for the caller to decide with `state()`.
pub async fn by_token_hash(db: &Db, token_hash: &str) -> sqlx::Result<Option<PublicLink>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, u.display_name AS owner_name, u.email AS owner_email, t.name AS tenant_name
         FROM links l
         JOIN users u ON u.id = l.owner_id
         JOIN tenants t ON t.id = l.tenant_id
         WHERE l.token_hash = $1 AND t.suspended = 0 AND u.disabled = 0"
    ))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await
}

/// A link of this tenant (the caller's tenant; never another one).
pub async fn in_tenant(db: &Db, tenant_id: &str, link_id: &str) -> sqlx::Result<Option<Link>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM links l WHERE l.id = $1 AND l.tenant_id = $2"
    ))
    .bind(link_id)
    .bind(tenant_id)
    .fetch_optional(&db.pool)
    .await
}

/// Links of a tenant, optionally only one owner's, newest first.
pub async fn list(
    db: &Db,
    tenant_id: &str,
    owner_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Link>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM links l
         WHERE l.tenant_id = $1 AND ($2 = '' OR l.owner_id = $2)
         ORDER BY l.created_at DESC LIMIT $3"
    ))
    .bind(tenant_id)
    .bind(owner_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub struct NewLink<'a> {
    pub tenant_id: &'a str,
    pub owner_id: &'a str,
    pub kind: LinkKind,
    pub token_hash: &'a str,
    pub token_sealed: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub expires_at: i64,
    pub password_hash: Option<&'a str>,
    pub max_downloads: Option<i64>,
    /// What an upload link accepts (`None` for download links).
    pub upload: Option<&'a UploadRules>,
    pub notices: Notices,
}

/// The notices an owner asked for on a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notices {
    /// Downloads are mailed in batches (download links only).
    pub downloads: bool,
    /// One reminder before the link expires.
    pub expiry: bool,
}

/// What an upload link accepts from partners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadRules {
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    pub max_file_bytes: Option<i64>,
    /// Keys of `domain::file_type`, comma separated; `None` accepts any type.
    pub allowed_types: Option<String>,
    pub require_identity: bool,
    pub notify_uploads: bool,
    pub single_use: bool,
}

pub async fn insert(conn: &mut sqlx::AnyConnection, new: &NewLink<'_>) -> sqlx::Result<String> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO links (id, tenant_id, owner_id, kind, token_hash, token_sealed, title, message,
            expires_at, password_hash, password_version, max_downloads, download_count, created_at,
            updated_at, max_files, max_bytes, max_file_bytes, allowed_types, require_identity,
            notify_uploads, single_use, notify_downloads, remind_expiry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, 0, $12, $12, $13, $14, $15, $16,
            $17, $18, $19, $20, $21)",
    )
    .bind(&id)
    .bind(new.tenant_id)
    .bind(new.owner_id)
    .bind(new.kind.as_str())
    .bind(new.token_hash)
    .bind(new.token_sealed)
    .bind(new.title)
    .bind(new.message)
    .bind(new.expires_at)
    .bind(new.password_hash)
    .bind(new.max_downloads)
    .bind(now)
    .bind(new.upload.and_then(|u| u.max_files))
    .bind(new.upload.and_then(|u| u.max_bytes))
    .bind(new.upload.and_then(|u| u.max_file_bytes))
    .bind(new.upload.and_then(|u| u.allowed_types.clone()))
    .bind(new.upload.is_some_and(|u| u.require_identity) as i64)
    .bind(new.upload.is_some_and(|u| u.notify_uploads) as i64)
    .bind(new.upload.is_some_and(|u| u.single_use) as i64)
    .bind(new.notices.downloads as i64)
    .bind(new.notices.expiry as i64)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Counts one download if the link is still alive and under its limit, in one statement, so
/// that concurrent requests can never exceed `max_downloads`. On a link whose owner wants
/// download notices, the first download after a notice makes the next one due `notice_delay_ms`
/// later (later downloads join that batch), in the same statement as the count.
pub async fn claim_download(
    db: &Db,
    link_id: &str,
    now: i64,
    notice_delay_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET download_count = download_count + 1,
            download_notice_due_at = CASE
                WHEN notify_downloads = 1 AND download_notice_due_at IS NULL THEN $3
                ELSE download_notice_due_at END
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2
           AND (max_downloads IS NULL OR download_count < max_downloads)",
    )
    .bind(link_id)
    .bind(now)
    .bind(now.saturating_add(notice_delay_ms))
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes one submission's files and bytes out of an upload link's budget, in one statement, so
/// that concurrent submissions can never exceed the limits together; a single-use link closes
/// with it. False when the link ended or the budget does not suffice.
pub async fn claim_submission(
    conn: &mut sqlx::AnyConnection,
    link_id: &str,
    files: i64,
    bytes: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET received_files = received_files + $2,
            received_bytes = received_bytes + $3,
            closed_at = CASE WHEN single_use = 1 THEN $4 ELSE closed_at END
         WHERE id = $1 AND kind = 'upload' AND revoked_at IS NULL AND closed_at IS NULL
           AND expires_at > $4
           AND (max_files IS NULL OR received_files + $2 <= max_files)
           AND (max_bytes IS NULL OR received_bytes + $3 <= max_bytes)",
    )
    .bind(link_id)
    .bind(files)
    .bind(bytes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an upload link (no more submissions) until it is reopened.
pub async fn close(conn: &mut sqlx::AnyConnection, link: &Link, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET closed_at = $1, updated_at = $1
         WHERE id = $2 AND tenant_id = $3 AND kind = 'upload' AND closed_at IS NULL
           AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(&link.id)
    .bind(&link.tenant_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens a closed or expired upload link again until `expires_at` (never a revoked one); the
/// new expiry gets its own reminder.
pub async fn reopen(
    conn: &mut sqlx::AnyConnection,
    link: &Link,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET closed_at = NULL, expires_at = $1, updated_at = $2,
            expiry_reminded_at = NULL
         WHERE id = $3 AND tenant_id = $4 AND kind = 'upload' AND revoked_at IS NULL
           AND purged_at IS NULL AND (closed_at IS NOT NULL OR expires_at <= $2)",
    )
    .bind(expires_at)
    .bind(now)
    .bind(&link.id)
    .bind(&link.tenant_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which fields an edit may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct LinkChanges {
    pub title: Option<String>,
    pub message: Option<String>,
    pub expires_at: Option<i64>,
    /// `Some(None)` removes the password.
    pub password_hash: Option<Option<String>>,
    pub max_downloads: Option<Option<i64>>,
    pub notify_downloads: Option<bool>,
    pub remind_expiry: Option<bool>,
}

/// Applies an edit. A changed expiry gets its own reminder; download notices switched on start
/// after what the record already holds, switched off drop a pending batch.
pub async fn update(
    conn: &mut sqlx::AnyConnection,
    link: &Link,
    changes: &LinkChanges,
) -> sqlx::Result<()> {
    let password_changed = changes.password_hash.is_some();
    let password_hash = match &changes.password_hash {
        Some(p) => p.clone(),
        None => link.password_hash.clone(),
    };
    let flag = |b: Option<bool>, current: i64| b.map_or(current, i64::from);
    // The right-hand sides see the row as it was before this statement.
    sqlx::query(
        "UPDATE links SET title = $1, message = $2, expires_at = $3, password_hash = $4,
            password_version = password_version + $5, max_downloads = $6, updated_at = $7,
            expiry_reminded_at = CASE WHEN expires_at = $3 THEN expiry_reminded_at ELSE NULL END,
            remind_expiry = $10,
            download_notice_seq = CASE WHEN notify_downloads = 0 AND $11 = 1
                THEN COALESCE((SELECT last_seq FROM audit_chains WHERE chain = $9), 0)
                ELSE download_notice_seq END,
            download_notice_due_at = CASE WHEN $11 = 1 THEN download_notice_due_at ELSE NULL END,
            notify_downloads = $11
         WHERE id = $8 AND tenant_id = $9",
    )
    .bind(changes.title.as_deref().unwrap_or(&link.title))
    .bind(changes.message.as_deref().unwrap_or(&link.message))
    .bind(changes.expires_at.unwrap_or(link.expires_at))
    .bind(password_hash)
    .bind(i64::from(password_changed))
    .bind(changes.max_downloads.unwrap_or(link.max_downloads))
    .bind(now_ms())
    .bind(&link.id)
    .bind(&link.tenant_id)
    .bind(flag(changes.remind_expiry, link.remind_expiry))
    .bind(flag(changes.notify_downloads, link.notify_downloads))
    .execute(&mut *conn)
    .await?;
    if password_changed {
        sqlx::query("DELETE FROM unlocks WHERE link_id = $1")
            .bind(&link.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn revoke(conn: &mut sqlx::AnyConnection, link: &Link) -> sqlx::Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE links SET revoked_at = $1, updated_at = $1
         WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(&link.id)
    .bind(&link.tenant_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM unlocks WHERE link_id = $1")
        .bind(&link.id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Links whose files are due for removal: ended (expired or revoked) longer ago than their
/// tenant's retention, and not purged yet.
pub async fn due_for_purge(db: &Db, now: i64, limit: i64) -> sqlx::Result<Vec<Link>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM links l JOIN tenants t ON t.id = l.tenant_id
         WHERE l.purged_at IS NULL
           AND COALESCE(l.revoked_at, l.expires_at) + t.file_retention_days * 86400000 <= $1
           AND (l.revoked_at IS NOT NULL OR l.expires_at <= $1)
         LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn mark_purged(db: &Db, link_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE links SET purged_at = $1 WHERE id = $2 AND purged_at IS NULL")
        .bind(now)
        .bind(link_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}
