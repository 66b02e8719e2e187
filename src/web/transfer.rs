//! A response body that records, when it ends, how many bytes reached the client and whether the
//! transfer completed: the audit trail knows an aborted download from a finished one.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::Stream;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::db::Db;
use crate::web::client::ClientInfo;

pub struct TransferRecord {
    pub db: Db,
    pub tenant_id: String,
    pub link_id: String,
    pub file_id: Option<String>,
    pub action: &'static str,
    pub client: ClientInfo,
    pub expected: u64,
    pub range: Option<String>,
    pub counted: bool,
}

pub struct AuditedBody {
    inner: BoxStream<'static, std::io::Result<Bytes>>,
    sent: u64,
    failed: bool,
    record: Option<TransferRecord>,
}

impl AuditedBody {
    pub fn new(inner: BoxStream<'static, std::io::Result<Bytes>>, record: TransferRecord) -> Self {
        AuditedBody {
            inner,
            sent: 0,
            failed: false,
            record: Some(record),
        }
    }
}

impl Stream for AuditedBody {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => self.sent += chunk.len() as u64,
            Poll::Ready(Some(Err(e))) => {
                tracing::error!(error = %e, "storage read failed during a download");
                self.failed = true;
            }
            _ => {}
        }
        polled
    }
}

impl Drop for AuditedBody {
    fn drop(&mut self) {
        let Some(r) = self.record.take() else { return };
        // Bytes handed to the connection; the last chunk may still be in the socket buffer when
        // the client disconnects, which is as close as a server can know.
        let completed = !self.failed && self.sent == r.expected;
        let mut e = AuditEvent::new(
            r.action,
            if completed {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            Actor::External,
        )
        .tenant(Some(&r.tenant_id))
        .client(&r.client)
        .detail("bytes_sent", self.sent)
        .detail("bytes_expected", r.expected)
        .detail("completed", completed)
        .detail("counted", r.counted);
        if let Some(range) = r.range {
            e = e.detail("range", range);
        }
        e.link_id = Some(r.link_id);
        e.file_id = r.file_id;
        if !completed {
            e = e.reason(if self.failed {
                "storage error"
            } else {
                "aborted by the client"
            });
        }
        let db = r.db;
        tokio::spawn(async move { audit::record_or_log(&db, e).await });
    }
}
