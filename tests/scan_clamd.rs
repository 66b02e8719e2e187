//! The scanner against a real clamd, named by `BOTE_TEST_CLAMD` (tcp://HOST:PORT or unix:/PATH)
//! with its `StreamMaxLength` in `BOTE_TEST_CLAMD_MAX_BYTES`. The test script starts that clamd
//! with the signatures in tests/fixtures/clamav/.

use std::io::{Cursor, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bote::scan::{ClamdAddress, ScanVerdict, Scanner, ScannerConfig};
use bytes::Bytes;
use rand::RngCore;
use zip::unstable::write::FileOptionsExt;
use zip::write::SimpleFileOptions;

const TESTFILES: &str = "/usr/share/clamav-testfiles";
const MARKER: &str = "BOTE-TEST-MALWARE-MARKER-7f3a9c";

fn config() -> ScannerConfig {
    let hint = "start a clamd with tests/fixtures/clamav/ (the project's test script does) and set \
                BOTE_TEST_CLAMD=tcp://127.0.0.1:PORT and BOTE_TEST_CLAMD_MAX_BYTES=<its StreamMaxLength>";
    let address = std::env::var("BOTE_TEST_CLAMD")
        .unwrap_or_else(|_| panic!("BOTE_TEST_CLAMD is not set: {hint}"));
    let address = ClamdAddress::parse(&address)
        .unwrap_or_else(|e| panic!("BOTE_TEST_CLAMD is not usable: {e}"));
    let max_bytes = std::env::var("BOTE_TEST_CLAMD_MAX_BYTES")
        .unwrap_or_else(|_| panic!("BOTE_TEST_CLAMD_MAX_BYTES is not set: {hint}"))
        .parse()
        .expect("BOTE_TEST_CLAMD_MAX_BYTES must be a number of bytes");
    ScannerConfig {
        address,
        max_bytes,
        timeout: Duration::from_secs(30),
        max_concurrent: 4,
    }
}

fn scanner() -> Scanner {
    Scanner::new(config())
}

/// The EICAR test file, assembled here so that no file in the repository is itself a "virus".
fn eicar() -> Vec<u8> {
    let text = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-",
        "ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat();
    assert_eq!(text.len(), 68);
    text.into_bytes()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut data);
    data
}

fn zip_of(entries: &[(&str, &[u8])], password: Option<&[u8]>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    if let Some(password) = password {
        options = options.with_deprecated_encryption(password).unwrap();
    }
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Feeds `data` in pieces cut at `cuts`, the way an upload handler passes on its chunks.
async fn scan_in_pieces(scanner: &Scanner, data: &[u8], cuts: &[usize]) -> ScanVerdict {
    let mut job = scanner.start().await.expect("clamd is reachable");
    let mut from = 0;
    for &to in cuts.iter().chain([data.len()].iter()) {
        job.feed(Bytes::copy_from_slice(&data[from..to])).await;
        from = to;
    }
    job.finish().await
}

async fn scan(data: &[u8]) -> ScanVerdict {
    scanner().scan_reader(data).await
}

#[track_caller]
fn assert_infected(verdict: &ScanVerdict, what: &str) {
    assert!(
        matches!(verdict, ScanVerdict::Infected { .. }),
        "{what}: expected Infected, got {verdict:?}"
    );
}

#[tokio::test]
async fn clamd_answers_ping() {
    scanner().ping().await.expect("PING");
}

#[tokio::test]
async fn eicar_file_is_infected() {
    assert_infected(&scan(&eicar()).await, "eicar");
}

#[tokio::test]
async fn marker_inside_a_larger_file_is_infected_under_its_name() {
    let mut data = random_bytes(300_000);
    data.extend_from_slice(MARKER.as_bytes());
    data.extend(random_bytes(300_000));
    match scan(&data).await {
        ScanVerdict::Infected { signature } => {
            assert!(signature.starts_with("Bote.Test.Marker"), "{signature}")
        }
        other => panic!("expected the marker signature, got {other:?}"),
    }
}

#[tokio::test]
async fn eicar_in_a_zip_is_infected() {
    let zip = zip_of(&[("readme.txt", b"hello"), ("eicar.com", &eicar())], None);
    assert_infected(&scan(&zip).await, "eicar in zip");
}

#[tokio::test]
async fn eicar_in_a_nested_zip_is_infected() {
    let inner = zip_of(&[("eicar.com", &eicar())], None);
    let middle = zip_of(&[("inner.zip", &inner)], None);
    let outer = zip_of(
        &[("report.pdf", b"%PDF-1.4"), ("middle.zip", &middle)],
        None,
    );
    assert_infected(&scan(&outer).await, "eicar in zip in zip in zip");
}

#[tokio::test]
async fn eicar_split_across_two_chunks_is_infected() {
    let data = eicar();
    for cut in [1, 20, 34, 67] {
        let verdict = scan_in_pieces(&scanner(), &data, &[cut]).await;
        assert_infected(&verdict, &format!("eicar cut at {cut}"));
    }
    // And inside a larger body, split one byte into the signature.
    let mut data = random_bytes(100_000);
    let at = data.len();
    data.extend_from_slice(MARKER.as_bytes());
    data.extend(random_bytes(100_000));
    let verdict = scan_in_pieces(&scanner(), &data, &[at + 1]).await;
    assert_infected(&verdict, "marker cut after its first byte");
}

#[tokio::test]
async fn encrypted_zip_is_unscannable() {
    let zip = zip_of(&[("secret.txt", b"nobody can look in here")], Some(b"pw"));
    let verdict = scan(&zip).await;
    assert!(
        matches!(verdict, ScanVerdict::Unscannable { .. }),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn every_clamav_test_file_is_infected() {
    let dir = Path::new(TESTFILES);
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {TESTFILES} is missing; install Debian's clamav-testfiles to run this test"
        );
        return;
    }
    let scanner = scanner();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    let mut missed = Vec::new();
    for path in &names {
        let file = tokio::fs::File::open(path).await.unwrap();
        let verdict = scanner.scan_reader(file).await;
        // clam_cache_emax is built to exceed clamd's limits: "unscannable" (held, never served)
        // is the right answer for it; every other sample must be found.
        let exceeds_limits = path.to_string_lossy().contains("emax");
        let blocked = matches!(verdict, ScanVerdict::Infected { .. })
            || (exceeds_limits && matches!(verdict, ScanVerdict::Unscannable { .. }));
        if !blocked {
            missed.push(format!("{}: {verdict:?}", path.display()));
        }
    }
    assert!(!names.is_empty(), "{TESTFILES} is empty");
    assert!(missed.is_empty(), "not detected:\n{}", missed.join("\n"));
    eprintln!("{} sample files detected", names.len());
}

#[tokio::test]
async fn ordinary_file_is_clean() {
    let mut data = b"Sehr geehrte Damen und Herren,\n".repeat(1000);
    data.extend(random_bytes(1024 * 1024));
    assert_eq!(scan(&data).await, ScanVerdict::Clean);
    assert_eq!(scan(b"").await, ScanVerdict::Clean);
}

#[tokio::test]
async fn file_of_exactly_the_limit_is_scanned() {
    let max = config().max_bytes as usize;
    let data = random_bytes(max);
    let verdict = scan_in_pieces(&scanner(), &data, &[max / 3, max / 2]).await;
    assert_eq!(verdict, ScanVerdict::Clean);
}

#[tokio::test]
async fn file_over_the_limit_is_unscannable_never_clean() {
    let max = config().max_bytes as usize;
    let mut data = random_bytes(max + 1);
    // Malware past the limit is what a truncated scan would miss.
    data[max - MARKER.len() + 1..].copy_from_slice(MARKER.as_bytes());
    let expected = ScanVerdict::Unscannable {
        reason: format!("larger than the scanner limit of {max} bytes"),
    };
    assert_eq!(scan(&data).await, expected);
    assert_eq!(
        scan_in_pieces(&scanner(), &data, &[max / 2, max]).await,
        expected
    );
}

#[tokio::test]
async fn clamd_limit_below_ours_is_never_clean() {
    // A misconfiguration: we think clamd takes more than it does, so clamd cuts the stream.
    let limit = config().max_bytes;
    let scanner = Scanner::new(ScannerConfig {
        max_bytes: limit * 4,
        ..config()
    });
    let data = random_bytes(limit as usize + 1024 * 1024);
    let verdict = scanner.scan_reader(&data[..]).await;
    assert!(
        matches!(
            verdict,
            ScanVerdict::Unscannable { .. } | ScanVerdict::Failed { .. }
        ),
        "{verdict:?}"
    );
    eprintln!("clamd's own limit gave: {verdict:?}");
}

#[tokio::test]
async fn unreachable_clamd_fails_quickly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let scanner = Scanner::new(ScannerConfig {
        address: ClamdAddress::Tcp(format!("127.0.0.1:{port}")),
        ..config()
    });
    let started = Instant::now();
    let verdict = scanner.scan_reader(&eicar()[..]).await;
    assert!(matches!(verdict, ScanVerdict::Failed { .. }), "{verdict:?}");
    assert!(scanner.ping().await.is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scans_beyond_the_limit_wait_for_a_slot_and_all_finish() {
    let scanner = Scanner::new(ScannerConfig {
        max_concurrent: 2,
        ..config()
    });
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut scans = Vec::new();
    for i in 0..6 {
        let (scanner, active, most) = (scanner.clone(), active.clone(), most.clone());
        scans.push(tokio::spawn(async move {
            let infected = i % 2 == 0;
            let mut data = random_bytes(2 * 1024 * 1024);
            if infected {
                data.extend_from_slice(MARKER.as_bytes());
            }
            let mut job = scanner.start().await.expect("clamd is reachable");
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            for piece in data.chunks(64 * 1024) {
                job.feed(Bytes::copy_from_slice(piece)).await;
            }
            // Leave the count before finish releases the slot.
            active.fetch_sub(1, Ordering::SeqCst);
            (infected, job.finish().await)
        }));
    }
    for scan in scans {
        let (infected, verdict) = scan.await.unwrap();
        if infected {
            assert_infected(&verdict, "concurrent scan");
        } else {
            assert_eq!(verdict, ScanVerdict::Clean);
        }
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn throughput_of_an_8_mb_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.bin");
    let len = 8 * 1024 * 1024;
    std::fs::write(&path, random_bytes(len)).unwrap();
    let file = tokio::fs::File::open(&path).await.unwrap();
    let started = Instant::now();
    let verdict = scanner().scan_reader(file).await;
    let took = started.elapsed();
    assert_eq!(verdict, ScanVerdict::Clean);
    eprintln!(
        "scanned {} MB in {took:?}: {:.1} MB/s",
        len / 1_000_000,
        len as f64 / 1e6 / took.as_secs_f64()
    );
}
