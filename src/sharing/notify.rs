//! Who is told about what, written to the outbox inside the transaction of the event.

use crate::config::Settings;
use crate::db::links::{Link, COLUMNS};
use crate::db::users::User;
use crate::mail::{self, messages};

async fn link(conn: &mut sqlx::AnyConnection, link_id: &str) -> sqlx::Result<Link> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM links l WHERE l.id = $1"))
        .bind(link_id)
        .fetch_one(&mut *conn)
        .await
}

/// The tenant's name (sender name of its mails) and language.
async fn tenant(conn: &mut sqlx::AnyConnection, tenant_id: &str) -> sqlx::Result<(String, String)> {
    sqlx::query_as("SELECT name, language FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await
}

/// The link's owner and the tenant's enabled admins, each once.
async fn owner_and_admins(conn: &mut sqlx::AnyConnection, link: &Link) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(
        "SELECT id, tenant_id, email, display_name, role, password_hash, language, disabled, created_at
         FROM users
         WHERE tenant_id = $1 AND disabled = 0 AND (id = $2 OR role = 'admin')
         ORDER BY email",
    )
    .bind(&link.tenant_id)
    .bind(&link.owner_id)
    .fetch_all(&mut *conn)
    .await
}

async fn owner(conn: &mut sqlx::AnyConnection, link: &Link) -> sqlx::Result<Option<User>> {
    sqlx::query_as(
        "SELECT id, tenant_id, email, display_name, role, password_hash, language, disabled, created_at
         FROM users WHERE id = $1 AND disabled = 0",
    )
    .bind(&link.owner_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Queues one notice to the link's owner (enabled accounts only), in the owner's language.
async fn to_owner(
    conn: &mut sqlx::AnyConnection,
    link: &Link,
    kind: &'static str,
    notice: impl FnOnce(crate::i18n::Lang) -> messages::Notice,
) -> sqlx::Result<()> {
    let (tenant_name, tenant_lang) = tenant(conn, &link.tenant_id).await?;
    if let Some(owner) = owner(conn, link).await? {
        let lang = messages::lang_of(&owner, &tenant_lang);
        let mail = notice(lang).into_mail(kind, Some(&link.tenant_id), &tenant_name, &owner.email);
        mail::enqueue(conn, &mail).await?;
    }
    Ok(())
}

/// The owner hears that their link was locked after repeated wrong passwords.
pub async fn link_locked(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    link_id: &str,
) -> sqlx::Result<()> {
    let link = link(conn, link_id).await?;
    to_owner(conn, &link, "link_locked", |lang| {
        messages::link_locked(settings, lang, &link)
    })
    .await
}

/// Owner and admins hear of a file that was rejected as infected or held as unscannable.
pub async fn file_not_available(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    link_id: &str,
    file_name: &str,
    state: &str,
    detail: &str,
) -> sqlx::Result<()> {
    let link = link(conn, link_id).await?;
    let (tenant_name, tenant_lang) = tenant(conn, &link.tenant_id).await?;
    for user in owner_and_admins(conn, &link).await? {
        let lang = messages::lang_of(&user, &tenant_lang);
        let kind = if state == "infected" {
            "file_rejected"
        } else {
            "file_held"
        };
        let mail = messages::file_not_available(settings, lang, &link, file_name, state, detail)
            .into_mail(kind, Some(&link.tenant_id), &tenant_name, &user.email);
        mail::enqueue(conn, &mail).await?;
    }
    Ok(())
}

/// The owner hears of one submission to an upload link, with every file and its verdict.
pub async fn files_received(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    submission_id: &str,
) -> sqlx::Result<()> {
    let (link_id, name, email): (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT link_id, sender_name, sender_email FROM submissions WHERE id = $1")
            .bind(submission_id)
            .fetch_one(&mut *conn)
            .await?;
    let link = link(conn, &link_id).await?;
    let sender = (name, email);
    let files: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT name, size, scan_state, scan_detail FROM files
         WHERE submission_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
    )
    .bind(submission_id)
    .fetch_all(&mut *conn)
    .await?;
    to_owner(conn, &link, "files_received", |lang| {
        messages::files_received(settings, lang, &link, &sender, &files)
    })
    .await
}

/// Transfers read for one notice at most; a larger batch goes on in the next one.
const MAX_DOWNLOADS_READ: i64 = 5000;

/// The owner hears of the downloads of their link since the previous notice. Call with the
/// batch claimed (`db::link_notices::claim_download_notice`) in the same transaction;
/// `after_seq` is the last audit record an earlier notice covered. A transfer still running
/// when the batch is mailed is recorded when it ends, and so comes with the next notice.
pub async fn downloads(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    link_id: &str,
    after_seq: i64,
    now: i64,
) -> sqlx::Result<()> {
    use crate::db::link_notices;

    let link = link(conn, link_id).await?;
    let events = link_notices::downloads_after(
        conn,
        &link.tenant_id,
        &link.id,
        after_seq,
        MAX_DOWNLOADS_READ,
    )
    .await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(());
    };
    link_notices::set_download_notice_seq(conn, &link.id, last).await?;
    if events.len() as i64 == MAX_DOWNLOADS_READ {
        link_notices::due_again(conn, &link.id, now).await?;
    }
    let records: Vec<messages::DownloadRecord> = events
        .into_iter()
        .filter(|e| e.counted())
        .map(|e| messages::DownloadRecord {
            at: e.occurred_at,
            zip: e.action == "zip.downloaded",
            completed: e.outcome == "success",
            client_addr: e.client_addr,
            file_name: e.file_name,
        })
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    to_owner(conn, &link, "link_downloaded", |lang| {
        messages::downloads(settings, lang, &link, &records)
    })
    .await
}

/// The owner is reminded that their link expires soon. Call with the reminder claimed
/// (`db::link_notices::claim_expiry_reminder`) in the same transaction.
pub async fn expiry_reminder(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    link_id: &str,
) -> sqlx::Result<()> {
    let link = link(conn, link_id).await?;
    to_owner(conn, &link, "link_expiry_reminder", |lang| {
        messages::expiry_reminder(settings, lang, &link)
    })
    .await
}
