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
    /// A partner through a link, or staff downloading what their link received.
    pub actor: Actor,
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
            r.actor,
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

/// All given (clean) files as one streamed ZIP named after the link, recorded as one transfer.
pub fn zip_response(
    store: &crate::storage::BlobStore,
    clean: &[crate::db::files::StoredFile],
    title: &str,
    record: impl FnOnce(u64) -> TransferRecord,
) -> actix_web::HttpResponse {
    use crate::domain::file_name::FileName;
    use crate::storage::zip_stream::{unique_names, zip_len, zip_stream, ZipEntry};
    use actix_web::http::header;

    let names = unique_names(
        &clean
            .iter()
            .map(|f| FileName::sanitize(&f.name).to_string())
            .collect::<Vec<_>>(),
    );
    let entries: Vec<ZipEntry> = clean
        .iter()
        .zip(names)
        .map(|(f, name)| ZipEntry {
            name,
            size: f.size as u64,
            modified: crate::domain::time::from_ms(f.created_at),
        })
        .collect();
    let len = zip_len(&entries);
    let keys: Vec<String> = clean.iter().map(|f| f.storage_key.clone()).collect();
    let store = store.clone();
    let body = zip_stream(entries, move |i| {
        let store = store.clone();
        let key = keys[i].clone();
        async move { store.read(&key, None).await.map_err(std::io::Error::other) }
    });
    let zip_name = FileName::sanitize(&format!("{title}.zip"));
    actix_web::HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((header::CONTENT_DISPOSITION, zip_name.content_disposition()))
        .body(actix_web::body::SizedStream::new(
            len,
            AuditedBody::new(Box::pin(body), record(len)),
        ))
}

/// How one stored file is answered: always as an attachment (octet-stream, RFC 6266 name),
/// whole or one byte range (`If-Range` on the SHA-256 ETag), with its headers already set.
pub struct FileReply {
    pub builder: actix_web::HttpResponseBuilder,
    /// The bytes to send.
    pub span: std::ops::Range<u64>,
    pub partial: bool,
}

impl FileReply {
    /// `None` when the requested range lies outside the file (answer with `unsatisfiable`).
    pub fn plan(
        req: &actix_web::HttpRequest,
        file: &crate::db::files::StoredFile,
    ) -> Option<FileReply> {
        use crate::domain::byte_range::{self, RangeRequest};
        use crate::domain::file_name::FileName;
        use actix_web::http::{header, StatusCode};

        let size = file.size as u64;
        let etag = format!("\"{}\"", file.sha256);
        let if_range_ok = req
            .headers()
            .get(header::IF_RANGE)
            .is_none_or(|v| v.as_bytes() == etag.as_bytes());
        let range_header = req
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok());
        let range = if if_range_ok {
            byte_range::parse(range_header, size)
        } else {
            RangeRequest::Full
        };
        let (span, partial) = match range {
            RangeRequest::Full => (0..size, false),
            RangeRequest::Partial(r) => (r, true),
            RangeRequest::Unsatisfiable => return None,
        };
        let mut builder = actix_web::HttpResponse::build(if partial {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        });
        builder
            .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                FileName::sanitize(&file.name).content_disposition(),
            ))
            .insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header((header::ETAG, etag));
        if partial {
            builder.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", span.start, span.end.saturating_sub(1)),
            ));
        }
        Some(FileReply {
            builder,
            span,
            partial,
        })
    }

    pub fn byte_len(&self) -> u64 {
        self.span.end - self.span.start
    }

    /// The range text for the record (`start-end`, inclusive), for partial answers.
    pub fn range_text(&self) -> Option<String> {
        self.partial
            .then(|| format!("{}-{}", self.span.start, self.span.end - 1))
    }

    /// The answer to HEAD: the headers and length, no body.
    pub fn head(mut self) -> actix_web::HttpResponse {
        let len = self.byte_len();
        self.builder.body(actix_web::body::SizedStream::new(
            len,
            futures_util::stream::empty::<std::io::Result<Bytes>>(),
        ))
    }

    /// Streams the bytes from storage, recording the transfer when the body ends.
    pub async fn send(
        mut self,
        store: &crate::storage::BlobStore,
        file: &crate::db::files::StoredFile,
        record: TransferRecord,
    ) -> Result<actix_web::HttpResponse, crate::error::AppError> {
        let stream = store
            .read(&file.storage_key, self.partial.then(|| self.span.clone()))
            .await?;
        let len = self.byte_len();
        Ok(self.builder.body(actix_web::body::SizedStream::new(
            len,
            AuditedBody::new(stream, record),
        )))
    }
}

/// 416 for a range outside the file.
pub fn unsatisfiable(file: &crate::db::files::StoredFile) -> actix_web::HttpResponse {
    let mut r = actix_web::HttpResponse::RangeNotSatisfiable()
        .insert_header((
            actix_web::http::header::CONTENT_RANGE,
            format!("bytes */{}", file.size),
        ))
        .finish();
    r.extensions_mut().insert(crate::web::render::Rendered);
    r
}

/// One stored file for staff, whole or one byte range, HEAD without body; recorded. The
/// partner's download applies its link's counting on top (`public::download`).
pub async fn attachment(
    req: &actix_web::HttpRequest,
    store: &crate::storage::BlobStore,
    file: &crate::db::files::StoredFile,
    record: impl FnOnce(u64, Option<String>) -> TransferRecord,
) -> Result<actix_web::HttpResponse, crate::error::AppError> {
    let Some(reply) = FileReply::plan(req, file) else {
        return Ok(unsatisfiable(file));
    };
    if req.method() == actix_web::http::Method::HEAD {
        return Ok(reply.head());
    }
    let record = record(reply.byte_len(), reply.range_text());
    reply.send(store, file, record).await
}
