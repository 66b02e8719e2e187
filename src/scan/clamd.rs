//! The clamd client: a `Scanner` that streams files to clamd with INSTREAM, a bounded number at once.

mod address;
mod job;
#[cfg(test)]
mod tests;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use clamav_client::tokio::{Socket, Tcp, TransportProtocol};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Semaphore;

pub use address::ClamdAddress;
pub use job::ScanJob;

use super::verdict::ScanVerdict;
use job::Connection;

/// How much `scan_reader` reads at a time; also the INSTREAM chunk size sent to clamd.
const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub struct ScannerConfig {
    pub address: ClamdAddress,
    /// clamd's `StreamMaxLength`: a file with more bytes is reported unscannable without asking
    /// clamd, because clamd would cut it off mid-stream.
    pub max_bytes: u64,
    /// How long to wait for clamd to connect, to take the next chunk, or to answer once the file
    /// has been sent. The last one includes clamd's scan of up to `max_bytes` (35-70 MB/s).
    pub timeout: Duration,
    /// Scans running at once; further `start` calls wait for a free slot.
    pub max_concurrent: usize,
}

/// Why clamd could not be used at all (as opposed to a scan that ended in a verdict).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot reach clamd at {address}: {source}")]
    Unreachable {
        address: ClamdAddress,
        #[source]
        source: io::Error,
    },
    #[error("clamd at {address} did not answer within {waited:?}")]
    Timeout {
        address: ClamdAddress,
        waited: Duration,
    },
    #[error("clamd at {address} answered PING with {reply:?}")]
    UnexpectedReply {
        address: ClamdAddress,
        reply: String,
    },
}

/// A handle to one clamd; clones share the limit on simultaneous scans.
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

struct Inner {
    config: ScannerConfig,
    permits: Arc<Semaphore>,
}

impl Scanner {
    /// `max_concurrent` of 0 is taken as 1: a scanner that can never scan would only hang uploads.
    pub fn new(config: ScannerConfig) -> Scanner {
        let permits = Arc::new(Semaphore::new(config.max_concurrent.max(1)));
        Scanner {
            inner: Arc::new(Inner { config, permits }),
        }
    }

    pub fn config(&self) -> &ScannerConfig {
        &self.inner.config
    }

    /// Checks that clamd answers PING with PONG, for readiness probes. Takes no scan slot, so a
    /// busy scanner still reports ready.
    pub async fn ping(&self) -> Result<(), ScanError> {
        let config = &self.inner.config;
        let reply = match &config.address {
            ClamdAddress::Tcp(host_port) => {
                self.bounded(clamav_client::tokio::ping(Tcp {
                    host_address: host_port.as_str(),
                }))
                .await?
            }
            ClamdAddress::Unix(path) => {
                self.bounded(clamav_client::tokio::ping(Socket { socket_path: path }))
                    .await?
            }
        };
        let text = reply.strip_suffix(b"\0").unwrap_or(&reply);
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        if text == b"PONG" {
            Ok(())
        } else {
            Err(ScanError::UnexpectedReply {
                address: config.address.clone(),
                reply: reply.escape_ascii().to_string(),
            })
        }
    }

    /// Waits for a scan slot, connects to clamd and returns a job to feed the file into.
    pub async fn start(&self) -> Result<ScanJob, ScanError> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .expect("the scan semaphore is never closed");
        let connection = self.bounded(self.connect()).await?;
        Ok(ScanJob::spawn(
            connection,
            permit,
            &self.inner.config,
            CHUNK_BYTES,
        ))
    }

    /// Scans a file that is already stored. Never errors: trouble becomes `Failed`.
    pub async fn scan_reader(&self, mut reader: impl AsyncRead + Unpin + Send) -> ScanVerdict {
        let mut job = match self.start().await {
            Ok(job) => job,
            Err(e) => {
                return ScanVerdict::Failed {
                    reason: e.to_string(),
                }
            }
        };
        loop {
            let mut chunk = BytesMut::with_capacity(CHUNK_BYTES);
            match reader.read_buf(&mut chunk).await {
                Ok(0) => break,
                Ok(_) => job.feed(chunk.freeze()).await,
                Err(e) => {
                    return ScanVerdict::Failed {
                        reason: format!("cannot read the file to scan: {e}"),
                    }
                }
            }
            if job.is_too_large() {
                // The verdict cannot change any more; reading on would only cost I/O.
                break;
            }
        }
        job.finish().await
    }

    async fn connect(&self) -> io::Result<Connection> {
        match &self.inner.config.address {
            ClamdAddress::Tcp(host_port) => {
                let stream = Tcp {
                    host_address: host_port.as_str(),
                }
                .connect()
                .await?;
                // The 4-byte length prefixes and the end marker should not wait for Nagle.
                stream.set_nodelay(true)?;
                Ok(Connection::new(stream))
            }
            ClamdAddress::Unix(path) => {
                let stream = Socket::<&PathBuf> { socket_path: path }.connect().await?;
                Ok(Connection::new(stream))
            }
        }
    }

    /// Runs a clamd exchange with the configured timeout, naming the address in errors.
    async fn bounded<T>(
        &self,
        exchange: impl std::future::Future<Output = io::Result<T>>,
    ) -> Result<T, ScanError> {
        let config = &self.inner.config;
        match tokio::time::timeout(config.timeout, exchange).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(source)) => Err(ScanError::Unreachable {
                address: config.address.clone(),
                source,
            }),
            Err(_) => Err(ScanError::Timeout {
                address: config.address.clone(),
                waited: config.timeout,
            }),
        }
    }
}
