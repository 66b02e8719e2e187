//! Transport failures against a fake clamd on a local port. Real detections are tested against a
//! real clamd in `tests/scan_clamd.rs`; this fake only misbehaves.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::*;

const TIMEOUT: Duration = Duration::from_millis(300);

/// What the fake does once a client connects.
#[derive(Clone, Copy)]
enum Act {
    /// Reads the whole stream, then answers these bytes and hangs up.
    Answer(&'static [u8]),
    /// Reads the whole stream and then says nothing, keeping the connection open.
    Silent,
    /// Hangs up at once without reading.
    HangUp,
    /// Answers after the first chunk and hangs up, like a server that stops reading early.
    AnswerEarly(&'static [u8]),
    /// Never reads, so the client's writes block once the socket buffers are full.
    NeverRead,
}

/// What the fake saw of the INSTREAM framing.
#[derive(Debug, PartialEq)]
enum Seen {
    /// The zero-length end marker after this many bytes.
    Ended(u64),
    /// The connection closed after this many bytes without the end marker.
    Cut(u64),
    NotRead,
}

async fn fake_clamd(act: Act) -> (Scanner, oneshot::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = ClamdAddress::Tcp(listener.local_addr().unwrap().to_string());
    let (tell, seen) = oneshot::channel();
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let saw = match act {
            Act::HangUp => Seen::NotRead,
            Act::NeverRead => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Seen::NotRead
            }
            Act::AnswerEarly(reply) => {
                let mut first = [0u8; 14];
                let _ = conn.read_exact(&mut first).await;
                let _ = conn.write_all(reply).await;
                Seen::NotRead
            }
            Act::Answer(reply) => {
                let saw = read_instream(&mut conn).await;
                let _ = conn.write_all(reply).await;
                saw
            }
            Act::Silent => {
                let saw = read_instream(&mut conn).await;
                let _ = tell.send(saw);
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        };
        let _ = tell.send(saw);
    });
    let scanner = Scanner::new(ScannerConfig {
        address,
        max_bytes: 64 * 1024 * 1024,
        timeout: TIMEOUT,
        max_concurrent: 1,
    });
    (scanner, seen)
}

async fn read_instream(conn: &mut TcpStream) -> Seen {
    let mut command = [0u8; 10];
    if conn.read_exact(&mut command).await.is_err() {
        return Seen::Cut(0);
    }
    assert_eq!(&command, b"zINSTREAM\0");
    let mut total = 0u64;
    loop {
        let Ok(len) = conn.read_u32().await else {
            return Seen::Cut(total);
        };
        if len == 0 {
            return Seen::Ended(total);
        }
        let mut chunk = vec![0u8; len as usize];
        if conn.read_exact(&mut chunk).await.is_err() {
            return Seen::Cut(total);
        }
        total += u64::from(len);
    }
}

async fn scan_bytes(scanner: &Scanner, chunks: usize, chunk_len: usize) -> ScanVerdict {
    let mut job = scanner.start().await.expect("fake clamd accepts");
    for _ in 0..chunks {
        job.feed(Bytes::from(vec![b'a'; chunk_len])).await;
    }
    job.finish().await
}

fn assert_failed(verdict: &ScanVerdict) {
    assert!(matches!(verdict, ScanVerdict::Failed { .. }), "{verdict:?}");
}

#[tokio::test]
async fn garbage_reply_fails() {
    let (scanner, seen) = fake_clamd(Act::Answer(b"\x13\x37 hello\0")).await;
    assert_failed(&scan_bytes(&scanner, 3, 1000).await);
    assert_eq!(seen.await.unwrap(), Seen::Ended(3000));
}

#[tokio::test]
async fn ok_with_trailing_text_fails() {
    let (scanner, _) = fake_clamd(Act::Answer(b"stream: OK extra\0")).await;
    assert_failed(&scan_bytes(&scanner, 1, 10).await);
}

#[tokio::test]
async fn plain_ok_from_the_fake_is_clean() {
    // The control for the tests around it: the transport itself works.
    let (scanner, seen) = fake_clamd(Act::Answer(b"stream: OK\0")).await;
    assert_eq!(scan_bytes(&scanner, 2, 10).await, ScanVerdict::Clean);
    assert_eq!(seen.await.unwrap(), Seen::Ended(20));
}

#[tokio::test]
async fn silence_fails_after_the_timeout() {
    let (scanner, seen) = fake_clamd(Act::Silent).await;
    let started = Instant::now();
    assert_failed(&scan_bytes(&scanner, 1, 10).await);
    let waited = started.elapsed();
    assert!(waited >= TIMEOUT && waited < TIMEOUT * 4, "{waited:?}");
    assert_eq!(seen.await.unwrap(), Seen::Ended(10));
}

#[tokio::test]
async fn immediate_hang_up_fails() {
    let (scanner, _) = fake_clamd(Act::HangUp).await;
    assert_failed(&scan_bytes(&scanner, 64, 64 * 1024).await);
}

#[tokio::test]
async fn immediate_hang_up_fails_even_for_an_empty_file() {
    let (scanner, _) = fake_clamd(Act::HangUp).await;
    assert_failed(&scan_bytes(&scanner, 0, 0).await);
}

#[tokio::test]
async fn early_found_reply_is_kept_when_clamd_stops_reading() {
    let (scanner, _) = fake_clamd(Act::AnswerEarly(b"stream: Evil.Test FOUND\0")).await;
    let verdict = scan_bytes(&scanner, 128, 64 * 1024).await;
    assert_eq!(
        verdict,
        ScanVerdict::Infected {
            signature: "Evil.Test".into()
        }
    );
}

#[tokio::test]
async fn early_ok_before_the_end_of_the_file_is_not_trusted() {
    let (scanner, _) = fake_clamd(Act::AnswerEarly(b"stream: OK\0")).await;
    match scan_bytes(&scanner, 128, 64 * 1024).await {
        ScanVerdict::Failed { reason } => assert!(reason.contains("broke"), "{reason}"),
        other => panic!("an OK for part of a file must not count: {other:?}"),
    }
}

#[tokio::test]
async fn feed_does_not_hang_when_clamd_stops_reading() {
    let (scanner, _) = fake_clamd(Act::NeverRead).await;
    let started = Instant::now();
    // 48 MiB is far more than loopback socket buffers hold.
    let verdict = scan_bytes(&scanner, 48, 1024 * 1024).await;
    assert_failed(&verdict);
    assert!(started.elapsed() < TIMEOUT * 6, "{:?}", started.elapsed());
}

#[tokio::test]
async fn oversize_file_is_cut_off_without_the_end_marker() {
    let (scanner, seen) = fake_clamd(Act::Answer(b"stream: OK\0")).await;
    let scanner = Scanner::new(ScannerConfig {
        max_bytes: 25,
        ..scanner.config().clone()
    });
    let mut job = scanner.start().await.unwrap();
    job.feed(Bytes::from_static(b"0123456789")).await;
    job.feed(Bytes::from_static(b"0123456789")).await;
    assert!(!job.is_too_large());
    job.feed(Bytes::from_static(b"0123456789")).await;
    assert!(job.is_too_large());
    job.feed(Bytes::from_static(b"more")).await;
    assert_eq!(job.bytes_fed(), 34);
    assert_eq!(
        job.finish().await,
        ScanVerdict::Unscannable {
            reason: "larger than the scanner limit of 25 bytes".into()
        }
    );
    match seen.await.unwrap() {
        Seen::Cut(n) => assert!(n <= 20, "{n}"),
        other => panic!("clamd must not get an end marker for a cut file: {other:?}"),
    }
}

#[tokio::test]
async fn a_file_of_exactly_the_limit_is_scanned() {
    let (scanner, seen) = fake_clamd(Act::Answer(b"stream: OK\0")).await;
    let scanner = Scanner::new(ScannerConfig {
        max_bytes: 20,
        ..scanner.config().clone()
    });
    assert_eq!(scan_bytes(&scanner, 2, 10).await, ScanVerdict::Clean);
    assert_eq!(seen.await.unwrap(), Seen::Ended(20));
}

#[tokio::test]
async fn unreachable_clamd_is_an_error_for_start_and_failed_for_scan_reader() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = ClamdAddress::Tcp(listener.local_addr().unwrap().to_string());
    drop(listener);
    let scanner = Scanner::new(ScannerConfig {
        address,
        max_bytes: 1024,
        timeout: TIMEOUT,
        max_concurrent: 1,
    });
    assert!(matches!(
        scanner.start().await,
        Err(ScanError::Unreachable { .. })
    ));
    assert!(scanner.ping().await.is_err());
    assert_failed(&scanner.scan_reader(&b"hello"[..]).await);
}

#[tokio::test]
async fn ping_wants_pong() {
    for (reply, ok) in [(&b"PONG\0"[..], true), (b"PANG\0", false), (b"", false)] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = ClamdAddress::Tcp(listener.local_addr().unwrap().to_string());
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut command = [0u8; 6];
            conn.read_exact(&mut command).await.unwrap();
            assert_eq!(&command, b"zPING\0");
            conn.write_all(reply).await.unwrap();
        });
        let scanner = Scanner::new(ScannerConfig {
            address,
            max_bytes: 1,
            timeout: TIMEOUT,
            max_concurrent: 1,
        });
        assert_eq!(scanner.ping().await.is_ok(), ok, "{reply:?}");
    }
}

#[tokio::test]
async fn a_dropped_job_frees_its_slot() {
    let (scanner, _) = fake_clamd(Act::Silent).await;
    let job = scanner.start().await.unwrap();
    drop(job);
    let slot = tokio::time::timeout(TIMEOUT, scanner.inner.permits.acquire()).await;
    assert!(slot.is_ok(), "the slot was not released");
}
