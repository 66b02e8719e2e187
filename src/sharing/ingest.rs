//! Taking in one file: every chunk goes to storage, into the SHA-256 and to clamd in the same
//! pass, so the verdict is ready moments after the last byte. Limits are enforced while the bytes
//! arrive; a failed or refused upload leaves no blob behind.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::scan::{ScanVerdict, Scanner};
use crate::storage::BlobStore;

/// A file that arrived completely and is in storage.
#[derive(Debug)]
pub struct Ingested {
    pub storage_key: String,
    pub size: u64,
    pub sha256: String,
    /// Detected from the content, not the name.
    pub content_type: String,
    /// `None` when clamd could not be reached at all: the file stays pending and is scanned
    /// again from storage by the retry job.
    pub verdict: Option<ScanVerdict>,
    /// True when clamd could not be reached at all (as opposed to all scan slots being busy).
    pub scanner_unreachable: bool,
}

/// What one file may take: the per-file limit (the deployment's, or a link's), and what the
/// tenant's storage quota leaves for it (see `super::quota`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub file: u64,
    /// `None`: the tenant has no quota.
    pub quota_left: Option<u64>,
}

impl Limits {
    /// The most bytes the file may have, and whether the quota is what sets it.
    fn cut_off(&self) -> (u64, bool) {
        match self.quota_left {
            Some(left) if left < self.file => (left, true),
            _ => (self.file, false),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the file does not fit into the tenant's storage quota")]
    OverQuota,
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// How long an upload waits for a free scan slot before it goes on without a streamed scan.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Bytes kept to detect the file type.
const SNIFF_BYTES: usize = 8192;

pub async fn ingest<S, E>(
    store: &BlobStore,
    scanner: &Scanner,
    body: S,
    limits: Limits,
) -> Result<Ingested, IngestError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let key = BlobStore::new_key();
    let mut writer = store.writer(&key).await?;
    // All scan slots busy (slow uploads hold theirs for their whole duration): do not keep this
    // upload waiting; it is stored now and scanned from storage by the retry job.
    let mut scanner_unreachable = false;
    let mut scan = match tokio::time::timeout(SLOT_WAIT, scanner.start()).await {
        Ok(Ok(job)) => Some(job),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "scanner unavailable; the file stays pending");
            scanner_unreachable = true;
            None
        }
        Err(_) => {
            tracing::info!("no free scan slot; the file is scanned after the upload");
            None
        }
    };
    let (max_bytes, quota_sets_it) = limits.cut_off();
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                writer.abort().await;
                return Err(IngestError::Interrupted(e.to_string()));
            }
        };
        size += chunk.len() as u64;
        if size > max_bytes {
            writer.abort().await;
            return Err(if quota_sets_it {
                IngestError::OverQuota
            } else {
                IngestError::TooLarge { limit: max_bytes }
            });
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        if let Err(e) = writer.write(&chunk).await {
            writer.abort().await;
            return Err(IngestError::Storage(e));
        }
        if let Some(job) = scan.as_mut() {
            job.feed(chunk).await;
        }
    }
    writer.finish().await?;
    // From here the blob exists: any error, or a request dropped while clamd finishes, removes it.
    let mut guard = crate::storage::PendingBlobs::new(store);
    guard.add(&key);
    let verdict = match scan {
        Some(job) => Some(
            super::scanning::confirm_clean(
                store,
                &key,
                size,
                scanner.config().max_bytes,
                job.finish().await,
            )
            .await?,
        ),
        None => None,
    };
    // The caller takes over the blob in the same step (no await in between).
    guard.keep();
    Ok(Ingested {
        storage_key: key,
        size,
        sha256: hex::encode(hasher.finalize()),
        content_type: sniff(&head),
        verdict,
        scanner_unreachable,
    })
}

/// The media type from the first bytes; text when it looks like UTF-8, else octet-stream.
pub fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    if head.is_empty() {
        return "application/octet-stream".to_string();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character may be cut at the end of the sniffed bytes.
        Err(e) => e.valid_up_to() + 4 >= head.len() && e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        "text/plain".to_string()
    } else {
        "application/octet-stream".to_string()
    }
}
