//! One streaming scan: chunks pushed by the caller go through a small channel to a task that
//! sends them to clamd with clamav-client's `scan_stream`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use clamav_client::tokio::TransportProtocol;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::task::JoinHandle;

use super::ScannerConfig;
use crate::scan::verdict::{parse_reply, ScanVerdict};

/// Chunks in flight between the caller and clamd: enough to keep both busy, and the only
/// buffering there is, so memory stays a few chunks per scan whatever the file size.
const CHANNEL_CHUNKS: usize = 4;
/// clamd writes its reply before it hangs up, so a reply after a broken write is already here.
const LATE_REPLY_WAIT: Duration = Duration::from_secs(1);
const MAX_LATE_REPLY: u64 = 4096;

/// A scan in progress. Feed it every chunk of the file, then `finish` it for the verdict.
/// Dropping it without `finish` abandons the scan and frees its slot.
pub struct ScanJob {
    chunks: Option<mpsc::Sender<Bytes>>,
    task: Option<JoinHandle<Outcome>>,
    state: State,
    fed: u64,
    max_bytes: u64,
    timeout: Duration,
    _permit: OwnedSemaphorePermit,
}

enum State {
    Streaming,
    TooLarge,
    Failed(String),
}

impl ScanJob {
    pub(super) fn spawn(
        connection: Connection,
        permit: OwnedSemaphorePermit,
        config: &ScannerConfig,
        chunk_bytes: usize,
    ) -> ScanJob {
        let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let task = tokio::spawn(send_to_clamd(connection, receiver, chunk_bytes));
        ScanJob {
            chunks: Some(sender),
            task: Some(task),
            state: State::Streaming,
            fed: 0,
            max_bytes: config.max_bytes,
            timeout: config.timeout,
            _permit: permit,
        }
    }

    /// Passes the next chunk on to clamd, waiting only while clamd is behind. Never fails, so
    /// the caller can go on storing the file; trouble shows up in `finish`.
    pub async fn feed(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.fed = self.fed.saturating_add(chunk.len() as u64);
        if self.fed > self.max_bytes {
            if !matches!(self.state, State::TooLarge) {
                // Never let clamd scan the part below the limit: it would call that part clean.
                self.stop(State::TooLarge);
            }
            return;
        }
        if !matches!(self.state, State::Streaming) {
            return;
        }
        let Some(sender) = &self.chunks else {
            // clamd hung up early; `finish` reads what the task saw.
            return;
        };
        match tokio::time::timeout(self.timeout, sender.send(chunk)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => self.chunks = None,
            Err(_) => self.stop(State::Failed(format!(
                "clamd took no data for {:?}",
                self.timeout
            ))),
        }
    }

    /// Bytes fed so far, including any past the limit.
    pub fn bytes_fed(&self) -> u64 {
        self.fed
    }

    /// Whether the file is already known to be over the limit, so its verdict is settled.
    pub fn is_too_large(&self) -> bool {
        matches!(self.state, State::TooLarge)
    }

    /// Ends the file and waits (at most the configured timeout) for clamd's verdict.
    pub async fn finish(mut self) -> ScanVerdict {
        match &self.state {
            State::TooLarge => {
                return ScanVerdict::Unscannable {
                    reason: format!("larger than the scanner limit of {} bytes", self.max_bytes),
                }
            }
            State::Failed(reason) => {
                return ScanVerdict::Failed {
                    reason: reason.clone(),
                }
            }
            State::Streaming => {}
        }
        // Closing the channel is what makes scan_stream send the end-of-stream marker.
        self.chunks = None;
        let Some(task) = self.task.take() else {
            return ScanVerdict::Failed {
                reason: "scan task missing".into(),
            };
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(outcome)) => outcome.into_verdict(),
            Ok(Err(e)) => ScanVerdict::Failed {
                reason: format!("scan task ended abnormally: {e}"),
            },
            Err(_) => {
                abort.abort();
                ScanVerdict::Failed {
                    reason: format!("clamd gave no answer within {:?}", self.timeout),
                }
            }
        }
    }

    fn stop(&mut self, state: State) {
        // Abort before closing the channel: a closed channel alone would end the stream
        // normally and have clamd scan a truncated file.
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.chunks = None;
        self.state = state;
    }
}

impl Drop for ScanJob {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What the sending task ended with.
enum Outcome {
    Replied(Vec<u8>),
    Broken {
        error: io::Error,
        late_reply: Vec<u8>,
    },
}

impl Outcome {
    fn into_verdict(self) -> ScanVerdict {
        match self {
            Outcome::Replied(reply) => parse_reply(&reply),
            Outcome::Broken { error, late_reply } => match parse_reply(&late_reply) {
                // clamd may stop reading once it has found something or hit its own limit.
                verdict @ (ScanVerdict::Infected { .. } | ScanVerdict::Unscannable { .. }) => {
                    verdict
                }
                // It did not get the whole file, so even an "OK" says nothing about the file.
                _ => ScanVerdict::Failed {
                    reason: format!("connection to clamd broke: {error}"),
                },
            },
        }
    }
}

async fn send_to_clamd(
    connection: Connection,
    mut receiver: mpsc::Receiver<Bytes>,
    chunk_bytes: usize,
) -> Outcome {
    let chunks = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|c| c.map(Ok)));
    let sent =
        clamav_client::tokio::scan_stream(chunks, Handover(connection.clone()), Some(chunk_bytes))
            .await;
    match sent {
        Ok(reply) => Outcome::Replied(reply),
        Err(error) => {
            let mut late_reply = Vec::new();
            let mut reader = connection.take(MAX_LATE_REPLY);
            let _ =
                tokio::time::timeout(LATE_REPLY_WAIT, reader.read_to_end(&mut late_reply)).await;
            Outcome::Broken { error, late_reply }
        }
    }
}

trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// A connected clamd socket (TCP or Unix) that we keep a handle to after handing it to
/// clamav-client, which drops its copy on the first write error; ours can still read a reply
/// clamd sent before hanging up. Only one task uses it at a time, so the lock never waits.
#[derive(Clone)]
pub(super) struct Connection(Arc<Mutex<Box<dyn Duplex>>>);

impl Connection {
    pub(super) fn new(stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) -> Self {
        Connection(Arc::new(Mutex::new(Box::new(stream))))
    }

    fn lock(&self) -> MutexGuard<'_, Box<dyn Duplex>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.lock()).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self.lock()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.lock()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.lock()).poll_shutdown(cx)
    }
}

/// Gives clamav-client the connection `start` already opened, so that connection errors reach
/// the caller of `start` and the scan slot is only held by a job that could connect.
struct Handover(Connection);

impl TransportProtocol for Handover {
    type Stream = Connection;

    fn connect(&self) -> impl std::future::Future<Output = io::Result<Connection>> {
        std::future::ready(Ok(self.0.clone()))
    }
}
