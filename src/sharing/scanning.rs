//! What a scan verdict means for a stored file: clean files become available, infected ones are
//! removed from storage, unscannable ones are held, and anything else stays pending for a retry.

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::files;
use crate::db::Db;
use crate::domain::time::now_ms;
use crate::scan::ScanVerdict;
use crate::storage::BlobStore;

/// Retry delay after the `attempts`-th failed scan: 30 s, doubling, at most one hour.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 7) as u32;
    (30_000i64 * 2i64.pow(exp)).min(3_600_000)
}

/// The state, detail and retry time to store for a verdict (`None`: scanner unreachable).
pub fn outcome(
    verdict: Option<&ScanVerdict>,
    attempts: i64,
) -> (&'static str, Option<String>, Option<i64>) {
    match verdict {
        Some(ScanVerdict::Clean) => ("clean", None, None),
        Some(ScanVerdict::Infected { signature }) => ("infected", Some(signature.clone()), None),
        Some(ScanVerdict::Unscannable { reason }) => ("unscannable", Some(reason.clone()), None),
        Some(ScanVerdict::Failed { reason }) => (
            "pending",
            Some(reason.clone()),
            Some(now_ms() + retry_delay_ms(attempts)),
        ),
        // Not scanned while it arrived (scanner unreachable or busy): scan from storage soon.
        None => (
            "pending",
            Some("not scanned yet".to_string()),
            Some(
                now_ms()
                    + if attempts == 0 {
                        0
                    } else {
                        retry_delay_ms(attempts)
                    },
            ),
        ),
    }
}

/// Stores the verdict of a rescan (retry job), removes an infected blob, and records it.
pub async fn apply_rescan(
    db: &Db,
    store: &BlobStore,
    settings: &crate::config::Settings,
    file: &files::StoredFile,
    verdict: &ScanVerdict,
) -> anyhow::Result<()> {
    let (state, detail, next) = outcome(Some(verdict), file.scan_attempts + 1);
    if state == "pending" {
        files::set_scan_result(db, &file.id, state, detail.as_deref(), next).await?;
        return Ok(());
    }
    // Same lock order as every other writer: the file row first, then the audit chain head.
    // The verdict, its record, the notices and the release of held link mails commit together.
    let mut tx = db.pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE files SET scan_state = $1, scan_detail = $2, next_scan_at = NULL,
            scan_attempts = scan_attempts + 1, scanned_at = $5
         WHERE id = $3 AND tenant_id = $4 AND scan_state = 'pending' AND deleted_at IS NULL",
    )
    .bind(state)
    .bind(detail.as_deref())
    .bind(&file.id)
    .bind(&file.tenant_id)
    .bind(crate::domain::time::now_ms())
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        // Deleted or decided meanwhile (by an admin, or another instance): nothing to do.
        return Ok(());
    }
    audit::chain::append(&mut tx, &verdict_event(file, state, detail.as_deref())).await?;
    if state == "infected" || state == "unscannable" {
        super::notify::file_not_available(
            &mut tx,
            settings,
            &file.link_id,
            &file.name,
            state,
            detail.as_deref().unwrap_or_default(),
        )
        .await?;
    }
    crate::mail::outbox::release_held(&mut tx, &file.link_id).await?;
    if let Some(submission) = &file.submission_id {
        super::uploads::notice_when_settled(&mut tx, settings, submission).await?;
    }
    tx.commit().await?;
    // Only once the verdict is stored: an infected blob goes.
    if state == "infected" {
        store.remove(&file.storage_key).await?;
    }
    Ok(())
}

pub fn verdict_event(file: &files::StoredFile, state: &str, detail: Option<&str>) -> AuditEvent {
    let outcome = if state == "clean" {
        Outcome::Success
    } else {
        Outcome::Refused
    };
    let mut e = AuditEvent::new("file.scanned", outcome, Actor::System)
        .tenant(Some(&file.tenant_id))
        .detail("verdict", state.to_string())
        .detail("name", file.name.clone());
    e.link_id = Some(file.link_id.clone());
    e.file_id = Some(file.id.clone());
    if let Some(d) = detail {
        e = e.detail("scanner", d.to_string());
    }
    e
}

/// A clean verdict for a ZIP-structured file is only trusted when every member is within the
/// scanner's limit (see `scan::zip_limits`); otherwise the file is unscannable.
pub async fn confirm_clean(
    store: &BlobStore,
    key: &str,
    size: u64,
    limit: u64,
    verdict: ScanVerdict,
) -> anyhow::Result<ScanVerdict> {
    use crate::scan::zip_limits::{self, ZipCheck};
    use futures_util::TryStreamExt;

    if verdict != ScanVerdict::Clean || size < 22 {
        return Ok(verdict);
    }
    let read = |range: std::ops::Range<u64>| async move {
        let chunks: Vec<bytes::Bytes> = store.read(key, Some(range)).await?.try_collect().await?;
        anyhow::Ok(chunks.concat())
    };
    if !zip_limits::looks_like_zip(&read(0..4).await?) {
        return Ok(verdict);
    }
    let tail_start = size.saturating_sub(zip_limits::TAIL_BYTES);
    let tail = read(tail_start..size).await?;
    let check = match zip_limits::directory_location(&tail, tail_start) {
        Some((offset, dir_size))
            if dir_size > 0
                && dir_size <= zip_limits::MAX_DIRECTORY_BYTES
                && offset.checked_add(dir_size).is_some_and(|end| end <= size) =>
        {
            zip_limits::check_directory(&read(offset..offset + dir_size).await?, limit)
        }
        Some((_, dir_size)) if dir_size > zip_limits::MAX_DIRECTORY_BYTES => ZipCheck::TooLarge,
        Some(_) => ZipCheck::Unreadable,
        None => ZipCheck::Unreadable,
    };
    Ok(match check {
        ZipCheck::WithinLimit => ScanVerdict::Clean,
        ZipCheck::TooLarge => ScanVerdict::Unscannable {
            reason: format!("a ZIP member is larger than the scanner limit of {limit} bytes"),
        },
        ZipCheck::Unreadable => ScanVerdict::Unscannable {
            reason: "the ZIP directory could not be read".to_string(),
        },
    })
}
