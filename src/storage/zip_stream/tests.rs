//! Tests of the streaming ZIP writer: round trips through real unzip tools, ZIP64, errors.

use super::*;
use futures_util::stream;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::pin;
use std::process::Command;
use std::time::Instant;
use time::macros::datetime;

const MIB: usize = 1 << 20;
const GIB: u64 = 1 << 30;

fn entry(name: &str, size: u64) -> ZipEntry {
    ZipEntry {
        name: name.to_owned(),
        size,
        modified: datetime!(2024-02-29 15:37:42 +02:00),
    }
}

type Content = stream::Iter<std::vec::IntoIter<io::Result<Bytes>>>;

/// Content split into chunks of `chunk` bytes, as object storage would deliver it.
fn chunked(data: &[u8], chunk: usize) -> Content {
    let chunks: Vec<_> = data
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

/// `total` bytes as clones of one shared chunk, so gigabytes cost no memory.
fn repeated(chunk: &Bytes, total: u64) -> impl Stream<Item = io::Result<Bytes>> + Unpin {
    let full = total / chunk.len() as u64;
    let rest = (total % chunk.len() as u64) as usize;
    let chunk = chunk.clone();
    let tail = (rest > 0).then(|| Ok(chunk.slice(..rest)));
    stream::iter((0..full).map(move |_| Ok(chunk.clone())).chain(tail))
}

async fn zip_bytes(entries: Vec<ZipEntry>, contents: Vec<Vec<u8>>) -> io::Result<Vec<u8>> {
    let mut zip = pin!(zip_stream(entries, |i| {
        futures_util::future::ready(Ok(chunked(&contents[i], 3)))
    }));
    let mut out = Vec::new();
    while let Some(chunk) = zip.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

fn tool_exists(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("{tool} not installed, skipping that check");
    }
    found
}

/// Info-ZIP's test mode, which reads every entry and checks its CRC.
fn assert_unzip_accepts(path: &Path) {
    if tool_exists("unzip") {
        let out = Command::new("unzip")
            .arg("-tqq")
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "unzip -t: {out:?}");
    }
}

/// libarchive reading from a pipe, i.e. front to back from the local headers without the
/// central directory, as sequential readers (macOS Archive Utility) do. It checks CRCs;
/// returns the number of content bytes extracted.
fn streaming_read_len(path: &Path) -> Option<u64> {
    if !tool_exists("bsdtar") {
        return None;
    }
    let out = Command::new("bash")
        .args(["-c", "set -o pipefail; bsdtar -xOf - < \"$1\" | wc -c", "-"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "bsdtar from a pipe: {out:?}");
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    )
}

/// Python's zipfile: CRCs via `testzip`, and name, size and CRC of every entry.
fn python_listing(path: &Path) -> Option<Vec<(String, u64, u32)>> {
    if !tool_exists("python3") {
        return None;
    }
    let script = "import json, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        print(json.dumps([(i.filename, i.file_size, i.CRC) for i in z.infolist()]))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "python zipfile: {out:?}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn small_files_round_trip_with_exact_length() {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("bericht.pdf", b"%PDF-1.7 not really a pdf".to_vec()),
        ("leer.txt", Vec::new()),
        ("Ärger über Öl.txt", "äöü ß".as_bytes().to_vec()),
        ("日本/資料.bin", (0..=255u8).cycle().take(10_000).collect()),
    ];
    let entries: Vec<_> = files
        .iter()
        .map(|(name, data)| entry(name, data.len() as u64))
        .collect();
    let expected_len = zip_len(&entries);
    let contents = files.iter().map(|(_, data)| data.clone()).collect();
    let zip = zip_bytes(entries, contents).await.unwrap();
    assert_eq!(zip.len() as u64, expected_len);

    let mut archive = zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap();
    assert_eq!(archive.len(), files.len());
    for (i, (name, data)) in files.iter().enumerate() {
        let mut file = archive.by_index(i).unwrap();
        assert_eq!(file.name().unwrap(), *name);
        assert_eq!(file.crc32(), crc32fast::hash(data));
        assert_eq!(file.unix_mode(), Some(0o100_644));
        let modified = file.last_modified().unwrap();
        let utc = (modified.year(), modified.month(), modified.day());
        assert_eq!(
            (utc, modified.hour(), modified.minute()),
            ((2024, 2, 29), 13, 37)
        );
        assert_eq!(modified.second(), 42);
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        assert_eq!(&content, data);
    }

    let file = write_temp(&zip);
    assert_unzip_accepts(file.path());
    if let Some(listing) = python_listing(file.path()) {
        let expected: Vec<_> = files
            .iter()
            .map(|(n, d)| (n.to_string(), d.len() as u64, crc32fast::hash(d)))
            .collect();
        assert_eq!(listing, expected);
    }
    let total = files.iter().map(|(_, data)| data.len() as u64).sum();
    assert_eq!(streaming_read_len(file.path()).unwrap_or(total), total);
}

#[tokio::test]
async fn empty_archive_is_valid() {
    let zip = zip_bytes(Vec::new(), Vec::new()).await.unwrap();
    assert_eq!(zip.len() as u64, zip_len(&[]));
    assert_eq!(
        zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap().len(),
        0
    );
}

#[test]
fn unique_names_number_duplicates_before_the_extension() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        unique_names(&names(&["a.pdf", "a.pdf", "a.pdf"])),
        names(&["a.pdf", "a (2).pdf", "a (3).pdf"])
    );
    assert_eq!(
        unique_names(&names(&[
            "Bericht.PDF",
            "bericht.pdf",
            "README",
            "readme",
            ".env",
            ".ENV"
        ])),
        names(&[
            "Bericht.PDF",
            "bericht (2).pdf",
            "README",
            "readme (2)",
            ".env",
            ".ENV (2)"
        ])
    );
    // A generated name may already be taken by a later original; all stay unique.
    assert_eq!(
        unique_names(&names(&["a.pdf", "a.pdf", "a (2).pdf", "v1.2/x", "v1.2/x"])),
        names(&[
            "a.pdf",
            "a (2).pdf",
            "a (2) (2).pdf",
            "v1.2/x",
            "v1.2/x (2)"
        ])
    );
}

#[test]
fn zip64_starts_when_a_size_reaches_u32_max() {
    let below = [entry("a", MAX_U32 - 1)];
    let at = [entry("a", MAX_U32)];
    // One more data byte, the local ZIP64 field (20), 8-byte descriptor sizes (+8) and the
    // central ZIP64 field with both sizes (20); both need the ZIP64 end records.
    assert_eq!(zip_len(&at) - zip_len(&below), 1 + 20 + 8 + 20);

    let header = local_header(&at[0], &Layout::new(&at[0], 0));
    assert_eq!(header[4..6], VERSION_NEEDED_ZIP64.to_le_bytes());
    assert_eq!(header[18..26], [0xff; 8]);
    assert_eq!(header[31..35], [1, 0, 16, 0]);
    assert_eq!(header[35..43], MAX_U32.to_le_bytes());
    let header = local_header(&below[0], &Layout::new(&below[0], 0));
    assert_eq!(header[4..6], VERSION_NEEDED.to_le_bytes());
    assert_eq!(header.len() as u64, LOCAL_HEADER_LEN + 1);
}

#[tokio::test]
async fn more_than_65535_entries_use_zip64_end_records() {
    let count = 70_000;
    let entries: Vec<_> = (0..count).map(|i| entry(&format!("{i}.txt"), 0)).collect();
    let expected_len = zip_len(&entries);
    let zip = zip_bytes(entries, vec![Vec::new(); count]).await.unwrap();
    assert_eq!(zip.len() as u64, expected_len);

    let end = &zip[zip.len() - 22..];
    assert_eq!(end[8..12], [0xff; 4], "entry counts point to ZIP64");
    assert_eq!(
        zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap().len(),
        count
    );
    let file = write_temp(&zip);
    assert_unzip_accepts(file.path());
    if let Some(listing) = python_listing(file.path()) {
        assert_eq!(listing.len(), count);
        assert_eq!(listing[69_999].0, "69999.txt");
    }
    assert_eq!(streaming_read_len(file.path()).unwrap_or(0), 0);
}

#[tokio::test]
async fn content_shorter_than_size_ends_the_stream_with_an_error() {
    let entries = vec![entry("ok.txt", 2), entry("truncated.bin", 10)];
    let contents = vec![b"ok".to_vec(), b"only5".to_vec()];
    let err = zip_bytes(entries, contents).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);

    let mut zip = pin!(zip_stream(vec![entry("t", 10)], |_| {
        futures_util::future::ready(Ok(chunked(b"12345", 5)))
    }));
    let mut items = Vec::new();
    while let Some(item) = zip.next().await {
        items.push(item);
    }
    assert!(items.last().unwrap().is_err(), "an error is the last item");
    assert!(items[..items.len() - 1].iter().all(Result::is_ok));
}

#[tokio::test]
async fn content_longer_than_size_ends_the_stream_with_an_error() {
    let err = zip_bytes(vec![entry("grown.bin", 3)], vec![b"12345".to_vec()])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn failing_open_ends_the_stream_with_that_error() {
    let mut zip = pin!(zip_stream(vec![entry("gone", 1)], |_| {
        futures_util::future::ready(Err::<Content, _>(io::Error::other("object missing")))
    }));
    let err = zip.next().await.unwrap().unwrap_err();
    assert_eq!(err.to_string(), "object missing");
    assert!(zip.next().await.is_none());
}

#[test]
fn stream_is_send_when_its_inputs_are() {
    // Lets handlers spawn the stream or hold it across awaits on the multi-threaded runtime.
    fn assert_send<T: Send>(_: T) {}
    assert_send(zip_stream(vec![entry("a", 0)], |_| {
        futures_util::future::ready(Ok(chunked(b"", 1)))
    }));
}

/// 5 GiB plus an entry behind the 4 GiB mark, streamed from one shared zero chunk. The
/// archive is written as a sparse file (zero chunks become holes), so it costs no disk
/// space, yet Info-ZIP and Python read and CRC-check all of it. Slow in debug builds:
/// `cargo test --release -- --ignored five_gib`.
#[tokio::test]
#[ignore = "streams 5 GiB and has three readers check it: ~1 min in release, more in debug"]
async fn five_gib_entry_uses_zip64_fields_and_records() {
    let big = 5 * GIB;
    let zeros = Bytes::from(vec![0u8; MIB]);
    let entries = vec![entry("big.bin", big), entry("after.txt", 5)];
    let expected_len = zip_len(&entries);
    let mut zip = pin!(zip_stream(entries, |i| {
        let content = if i == 0 {
            Box::new(repeated(&zeros, big)) as Box<dyn Stream<Item = _> + Unpin + Send>
        } else {
            Box::new(chunked(b"after", 5))
        };
        futures_util::future::ready(Ok(content))
    }));

    let mut file = tempfile::NamedTempFile::new().unwrap();
    let (mut produced, mut tail_start, mut tail) = (0u64, 0u64, Vec::new());
    while let Some(chunk) = zip.next().await {
        let chunk = chunk.unwrap();
        // Passed through, not copied: the very same buffer comes back out.
        if chunk.as_ptr() == zeros.as_ptr() && chunk.len() == MIB {
            file.seek(SeekFrom::Current(MIB as i64)).unwrap();
            tail.clear();
            tail_start = produced + MIB as u64;
        } else {
            file.write_all(&chunk).unwrap();
            tail.extend_from_slice(&chunk);
        }
        produced += chunk.len() as u64;
    }
    file.flush().unwrap();
    assert_eq!(produced, expected_len);

    let mut zeros_crc = crc32fast::Hasher::new();
    zeros_crc.update(&zeros);
    let mut expected_crc = crc32fast::Hasher::new();
    for _ in 0..big / MIB as u64 {
        expected_crc.combine(&zeros_crc);
    }
    let expected_crc = expected_crc.finalize();
    check_zip64_tail(&tail, tail_start, big, expected_crc);

    assert_unzip_accepts(file.path());
    if let Some(listing) = python_listing(file.path()) {
        let after = ("after.txt".to_owned(), 5, crc32fast::hash(b"after"));
        assert_eq!(listing, [("big.bin".to_owned(), big, expected_crc), after]);
    }
    assert_eq!(streaming_read_len(file.path()).unwrap_or(big + 5), big + 5);
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Parses what follows the big entry's data by hand, field by field against APPNOTE 4.3.
fn check_zip64_tail(tail: &[u8], tail_start: u64, big: u64, crc: u32) {
    // Data descriptor of big.bin with 8-byte sizes.
    assert_eq!(u32_at(tail, 0), DATA_DESCRIPTOR_SIG);
    assert_eq!(u32_at(tail, 4), crc);
    assert_eq!((u64_at(tail, 8), u64_at(tail, 16)), (big, big));
    let after_offset = tail_start + 24;

    let end = &tail[tail.len() - 22..];
    assert_eq!(u32_at(end, 0), END_SIG);
    assert_eq!((u16_at(end, 8), u16_at(end, 10)), (2, 2));
    assert_eq!(u32_at(end, 16), u32::MAX, "central offset points to ZIP64");
    let locator = &tail[tail.len() - 42..tail.len() - 22];
    assert_eq!(u32_at(locator, 0), ZIP64_LOCATOR_SIG);
    let zip64_end_offset = u64_at(locator, 8);
    let zip64_end = &tail[(zip64_end_offset - tail_start) as usize..][..56];
    assert_eq!(u32_at(zip64_end, 0), ZIP64_END_SIG);
    assert_eq!(u64_at(zip64_end, 4), 44);
    assert_eq!((u64_at(zip64_end, 24), u64_at(zip64_end, 32)), (2, 2));
    let (central_len, central_offset) = (u64_at(zip64_end, 40), u64_at(zip64_end, 48));
    assert_eq!(central_offset + central_len, zip64_end_offset);

    let central = &tail[(central_offset - tail_start) as usize..][..central_len as usize];
    // big.bin: both sizes in the ZIP64 field, offset 0 in the header.
    assert_eq!(u32_at(central, 0), CENTRAL_HEADER_SIG);
    assert_eq!(u16_at(central, 6), VERSION_NEEDED_ZIP64);
    assert_eq!(u32_at(central, 16), crc);
    assert_eq!(
        (u32_at(central, 20), u32_at(central, 24)),
        (u32::MAX, u32::MAX)
    );
    assert_eq!((u16_at(central, 28), u16_at(central, 30)), (7, 20));
    assert_eq!(u32_at(central, 42), 0);
    let extra = &central[46 + 7..][..20];
    assert_eq!((u16_at(extra, 0), u16_at(extra, 2)), (1, 16));
    assert_eq!((u64_at(extra, 4), u64_at(extra, 12)), (big, big));
    // after.txt: small sizes, offset beyond 4 GiB in the ZIP64 field.
    let second = &central[46 + 7 + 20..];
    assert_eq!(u16_at(second, 6), VERSION_NEEDED_ZIP64);
    assert_eq!((u32_at(second, 20), u32_at(second, 24)), (5, 5));
    assert_eq!((u16_at(second, 28), u16_at(second, 30)), (9, 12));
    assert_eq!(u32_at(second, 42), u32::MAX);
    let extra = &second[46 + 9..];
    assert_eq!(
        (u16_at(extra, 0), u16_at(extra, 2), u64_at(extra, 4)),
        (1, 8, after_offset)
    );
    assert_eq!(second.len(), 46 + 9 + 12);
}

/// Throughput of the writer itself (CRC plus framing), without any I/O:
/// `cargo test --release -- --ignored --nocapture throughput`.
#[tokio::test]
#[ignore = "benchmark; run in release mode"]
async fn throughput() {
    let total = 2 * GIB;
    let chunk = Bytes::from((0..MIB).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>());
    let entries = (0..4)
        .map(|i| entry(&format!("{i}.bin"), total / 4))
        .collect();
    let start = Instant::now();
    let mut zip = pin!(zip_stream(entries, |_| {
        futures_util::future::ready(Ok(repeated(&chunk, total / 4)))
    }));
    let mut produced = 0u64;
    while let Some(out) = zip.next().await {
        produced += out.unwrap().len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(produced > total);
    eprintln!(
        "zip_stream: {} MiB in {secs:.2} s = {:.0} MB/s",
        produced >> 20,
        produced as f64 / secs / 1e6
    );
}
