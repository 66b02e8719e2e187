//! Writing and reading blobs as streams; nothing is held whole in memory.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, WriteMultipart};
use tokio::io::AsyncSeekExt;

/// Chunk size for reads from local files: large enough for full loopback speed, small enough
/// that many parallel downloads stay cheap.
const READ_CHUNK: usize = 1024 * 1024;
/// Part size for multipart writes (S3's minimum is 5 MiB).
const WRITE_PART: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// A store in a local directory (created if missing).
    pub fn local(dir: &Path) -> anyhow::Result<BlobStore> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the storage folder {}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("cannot open the storage folder {}", dir.display()))?;
        Ok(BlobStore {
            store: Arc::new(store),
        })
    }

    /// A fresh random key; file names never appear in storage.
    pub fn new_key() -> String {
        format!("blobs/{}", uuid::Uuid::new_v4().simple())
    }

    /// Starts writing a blob. Dropping the writer without `finish` leaves nothing visible.
    pub async fn writer(&self, key: &str) -> anyhow::Result<BlobWriter> {
        let upload = self
            .store
            .put_multipart(&ObjectPath::from(key))
            .await
            .context("storage: start upload")?;
        Ok(BlobWriter {
            inner: Some(WriteMultipart::new_with_chunk_size(upload, WRITE_PART)),
        })
    }

    /// Reads a blob, or a byte range of it, as a stream of chunks.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self
            .store
            .get_opts(&ObjectPath::from(key), options)
            .await
            .context("storage: open blob")?;
        let range = result.range.clone();
        match result.payload {
            // object_store reads local files in 8 KiB pieces with a thread hop each; read
            // larger chunks ourselves for full speed.
            GetResultPayload::File(file, _) => {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .context("storage: seek")?;
                let limited = tokio::io::AsyncReadExt::take(file, range.end - range.start);
                Ok(tokio_util::io::ReaderStream::with_capacity(limited, READ_CHUNK).boxed())
            }
            GetResultPayload::Stream(stream) => Ok(stream
                .map_err(|e| std::io::Error::other(e.to_string()))
                .boxed()),
        }
    }

    /// Removes a blob; a blob that is already gone is fine.
    pub async fn remove(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context("storage: delete blob")),
        }
    }

    /// Whether the store answers (for /readyz).
    pub async fn ping(&self) -> bool {
        let probe = ObjectPath::from(format!("readyz/{}", uuid::Uuid::new_v4().simple()));
        let ok = self
            .store
            .put(&probe, Bytes::from_static(b"ok").into())
            .await
            .is_ok();
        let _ = self.store.delete(&probe).await;
        ok
    }
}

/// A blob being written. Only `finish` makes it visible; an abandoned writer is aborted.
pub struct BlobWriter {
    inner: Option<WriteMultipart>,
}

impl BlobWriter {
    /// Appends bytes, waiting while too many parts are in flight (bounded memory).
    pub async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        let w = self.inner.as_mut().expect("writer used after finish");
        w.wait_for_capacity(2).await.context("storage: write")?;
        w.write(chunk);
        Ok(())
    }

    pub async fn finish(mut self) -> anyhow::Result<()> {
        let w = self.inner.take().expect("writer used after finish");
        w.finish().await.context("storage: finish upload")?;
        Ok(())
    }

    pub async fn abort(mut self) {
        if let Some(w) = self.inner.take() {
            let _ = w.abort().await;
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(w) = self.inner.take() {
            // A dropped request (client went away) ends here: clean up in the background.
            tokio::spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}

/// Blobs written for a request that has not committed yet. Dropped without `keep` (an error, a
/// refusal, or a request abandoned at any await point), it removes them in the background, so an
/// interrupted upload leaves no orphan behind.
pub struct PendingBlobs {
    store: BlobStore,
    keys: Vec<String>,
}

impl PendingBlobs {
    pub fn new(store: &BlobStore) -> PendingBlobs {
        PendingBlobs {
            store: store.clone(),
            keys: Vec::new(),
        }
    }

    pub fn add(&mut self, key: &str) {
        self.keys.push(key.to_string());
    }

    /// The blobs are referenced by committed rows now: leave them.
    pub fn keep(mut self) {
        self.keys.clear();
    }
}

impl Drop for PendingBlobs {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.keys);
        let store = self.store.clone();
        tokio::spawn(async move {
            for key in keys {
                if let Err(e) = store.remove(&key).await {
                    tracing::error!(key, error = %format!("{e:#}"), "could not remove a blob");
                }
            }
        });
    }
}
