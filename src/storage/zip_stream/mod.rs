//! Streams the files of a link as one stored (uncompressed) ZIP whose exact length is known up front.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use time::{OffsetDateTime, UtcOffset};

/// One file of the archive. `size` must be exact: offsets and `zip_len` are computed from it,
/// and the stream fails if the content turns out longer or shorter.
pub struct ZipEntry {
    /// Already sanitized and unique within the archive (see [`unique_names`]).
    pub name: String,
    pub size: u64,
    pub modified: OffsetDateTime,
}

const LOCAL_HEADER_SIG: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const CENTRAL_HEADER_SIG: u32 = 0x0201_4b50;
const ZIP64_END_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const END_SIG: u32 = 0x0605_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

const LOCAL_HEADER_LEN: u64 = 30;
const CENTRAL_HEADER_LEN: u64 = 46;
const ZIP64_END_LEN: u64 = 56;
const ZIP64_LOCATOR_LEN: u64 = 20;
const END_LEN: u64 = 22;

/// A field holding all ones tells readers to look in the ZIP64 records (APPNOTE 4.4.1.4),
/// so a value that merely reaches it already needs ZIP64.
const MAX_U32: u64 = u32::MAX as u64;
const MAX_U16: u64 = u16::MAX as u64;

/// Bit 3: the CRC is only known after the data, so it follows in a data descriptor.
/// Bit 11: names are UTF-8, so readers do not guess a code page.
const FLAGS: u16 = 1 << 3 | 1 << 11;
const VERSION_MADE_BY: u16 = 3 << 8 | 45;
const VERSION_NEEDED: u16 = 20;
const VERSION_NEEDED_ZIP64: u16 = 45;
/// Unix `S_IFREG | 0644` in the high half, so extracted files are plain, non-executable files.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;
/// Central directory records are batched so that 100 000 files are neither 100 000 tiny writes
/// nor one buffer holding the whole directory.
const CENTRAL_BATCH: usize = 64 * 1024;

/// The exact number of bytes [`zip_stream`] produces for `entries` (for Content-Length).
pub fn zip_len(entries: &[ZipEntry]) -> u64 {
    let mut offset = 0;
    let mut central_len = 0;
    for entry in entries {
        let layout = Layout::new(entry, offset);
        offset += layout.entry_len();
        central_len += layout.central_len();
    }
    let end = End::new(entries.len(), offset, central_len);
    offset + central_len + end.len()
}

/// Produces the ZIP as a stream of chunks. `open(i)` is called once per entry, in order, right
/// before that entry's data is needed; its chunks are passed through unchanged. The stream ends
/// with an error (never with a silently broken archive) if an entry's content is not exactly
/// `size` bytes long, if `open` or the content fails, or if a name exceeds 65 535 bytes.
pub fn zip_stream<F, Fut, S>(
    entries: Vec<ZipEntry>,
    open: F,
) -> impl Stream<Item = io::Result<Bytes>>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = io::Result<S>>,
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    let writer = Writer {
        crcs: Vec::with_capacity(entries.len()),
        entries,
        open,
        offset: 0,
        phase: Phase::Start,
    };
    futures_util::stream::unfold(writer, |mut writer| async move {
        let chunk = writer.next_chunk().await?;
        Some((chunk, writer))
    })
}

/// Makes names unique case-insensitively, keeping the extension: `a.pdf, A.pdf` becomes
/// `a.pdf, A (2).pdf`. Case matters because Windows and macOS extract onto case-insensitive
/// file systems, where the second file would overwrite the first.
pub fn unique_names(names: &[String]) -> Vec<String> {
    let mut taken = HashSet::new();
    // Remembers where counting stopped per name, so 10 000 copies do not retry from 2 each time.
    let mut next_number: HashMap<String, u64> = HashMap::new();
    names
        .iter()
        .map(|name| {
            let key = name.to_lowercase();
            if taken.insert(key.clone()) {
                return name.clone();
            }
            let (stem, extension) = split_extension(name);
            let number = next_number.entry(key).or_insert(2);
            loop {
                let candidate = format!("{stem} ({number}){extension}");
                *number += 1;
                if taken.insert(candidate.to_lowercase()) {
                    return candidate;
                }
            }
        })
        .collect()
}

/// Splits off the extension of the last path segment; a leading dot (`.env`) is not one.
fn split_extension(name: &str) -> (&str, &str) {
    let segment_start = name.rfind('/').map_or(0, |slash| slash + 1);
    match name[segment_start..].rfind('.') {
        Some(dot) if dot > 0 => name.split_at(segment_start + dot),
        _ => (name, ""),
    }
}

/// Where an entry sits and which of its fields overflow 32 bits. It depends only on the entry
/// and its offset, so `zip_len` and the stream make the same ZIP64 decisions byte for byte.
struct Layout {
    offset: u64,
    size: u64,
    name_len: u64,
}

impl Layout {
    fn new(entry: &ZipEntry, offset: u64) -> Self {
        Layout {
            offset,
            size: entry.size,
            name_len: entry.name.len() as u64,
        }
    }

    fn zip64_size(&self) -> bool {
        self.size >= MAX_U32
    }

    fn zip64_offset(&self) -> bool {
        self.offset >= MAX_U32
    }

    fn version_needed(&self) -> u16 {
        if self.zip64_size() || self.zip64_offset() {
            VERSION_NEEDED_ZIP64
        } else {
            VERSION_NEEDED
        }
    }

    /// The local ZIP64 field must hold both sizes (APPNOTE 4.5.3); the local header has no
    /// offset, so a large offset alone needs no local field.
    fn local_extra_len(&self) -> u64 {
        if self.zip64_size() {
            20
        } else {
            0
        }
    }

    /// Readers pick 8-byte descriptor sizes exactly when the local header has a ZIP64 field.
    fn descriptor_len(&self) -> u64 {
        if self.zip64_size() {
            24
        } else {
            16
        }
    }

    fn central_extra_len(&self) -> u64 {
        let fields = 2 * u64::from(self.zip64_size()) + u64::from(self.zip64_offset());
        if fields == 0 {
            0
        } else {
            4 + 8 * fields
        }
    }

    fn local_len(&self) -> u64 {
        LOCAL_HEADER_LEN + self.name_len + self.local_extra_len()
    }

    /// Local header, data and descriptor: the distance to the next entry.
    fn entry_len(&self) -> u64 {
        self.local_len() + self.size + self.descriptor_len()
    }

    fn central_len(&self) -> u64 {
        CENTRAL_HEADER_LEN + self.name_len + self.central_extra_len()
    }
}

/// The end records, which need ZIP64 when the count or the directory's size or offset overflow.
struct End {
    entries: u64,
    central_offset: u64,
    central_len: u64,
}

impl End {
    fn new(entries: usize, central_offset: u64, central_len: u64) -> Self {
        End {
            entries: entries as u64,
            central_offset,
            central_len,
        }
    }

    fn zip64(&self) -> bool {
        self.entries >= MAX_U16 || self.central_offset >= MAX_U32 || self.central_len >= MAX_U32
    }

    fn len(&self) -> u64 {
        if self.zip64() {
            ZIP64_END_LEN + ZIP64_LOCATOR_LEN + END_LEN
        } else {
            END_LEN
        }
    }
}

struct Writer<F, S> {
    entries: Vec<ZipEntry>,
    open: F,
    /// CRCs of the entries written so far; with the entries this is all the central directory needs.
    crcs: Vec<u32>,
    /// Bytes produced so far, which is where the next local header starts.
    offset: u64,
    phase: Phase<S>,
}

enum Phase<S> {
    Start,
    Header(usize),
    Body {
        index: usize,
        content: S,
        hasher: crc32fast::Hasher,
        read: u64,
    },
    Central {
        index: usize,
        local_offset: u64,
        len: u64,
    },
    Done,
}

impl<F, Fut, S> Writer<F, S>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = io::Result<S>>,
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    /// The next chunk, or `None` when the archive is complete or an error was reported. Any
    /// error leaves the phase at `Done`, so nothing follows it.
    async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Start => {
                    if let Some(entry) = self
                        .entries
                        .iter()
                        .find(|e| e.name.len() > MAX_U16 as usize)
                    {
                        return Some(Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("zip entry name too long: {} bytes", entry.name.len()),
                        )));
                    }
                    self.phase = Phase::Header(0);
                }
                Phase::Header(index) if index == self.entries.len() => {
                    self.phase = Phase::Central {
                        index: 0,
                        local_offset: 0,
                        len: 0,
                    };
                }
                Phase::Header(index) => {
                    let content = match (self.open)(index).await {
                        Ok(content) => content,
                        Err(err) => return Some(Err(err)),
                    };
                    let entry = &self.entries[index];
                    let header = local_header(entry, &Layout::new(entry, self.offset));
                    self.phase = Phase::Body {
                        index,
                        content,
                        hasher: crc32fast::Hasher::new(),
                        read: 0,
                    };
                    return Some(Ok(header));
                }
                Phase::Body {
                    index,
                    mut content,
                    mut hasher,
                    mut read,
                } => {
                    let entry = &self.entries[index];
                    match content.next().await {
                        Some(Ok(chunk)) => {
                            read += chunk.len() as u64;
                            if read > entry.size {
                                return Some(Err(size_mismatch(entry, read)));
                            }
                            hasher.update(&chunk);
                            self.phase = Phase::Body {
                                index,
                                content,
                                hasher,
                                read,
                            };
                            if !chunk.is_empty() {
                                return Some(Ok(chunk));
                            }
                        }
                        Some(Err(err)) => return Some(Err(err)),
                        None if read < entry.size => {
                            return Some(Err(size_mismatch(entry, read)));
                        }
                        None => {
                            let crc = hasher.finalize();
                            let layout = Layout::new(entry, self.offset);
                            self.crcs.push(crc);
                            self.offset += layout.entry_len();
                            self.phase = Phase::Header(index + 1);
                            return Some(Ok(data_descriptor(&layout, crc)));
                        }
                    }
                }
                Phase::Central {
                    index,
                    local_offset,
                    len,
                } => return Some(Ok(self.central_batch(index, local_offset, len))),
                Phase::Done => return None,
            }
        }
    }

    /// Central directory records from `index` on, up to about `CENTRAL_BATCH` bytes; the last
    /// batch carries the end records.
    fn central_batch(&mut self, mut index: usize, mut local_offset: u64, mut len: u64) -> Bytes {
        let mut buf = BytesMut::with_capacity(CENTRAL_BATCH + 1024);
        while index < self.entries.len() && buf.len() < CENTRAL_BATCH {
            let entry = &self.entries[index];
            let layout = Layout::new(entry, local_offset);
            put_central_header(&mut buf, entry, &layout, self.crcs[index]);
            local_offset += layout.entry_len();
            len += layout.central_len();
            index += 1;
        }
        if index < self.entries.len() {
            self.phase = Phase::Central {
                index,
                local_offset,
                len,
            };
        } else {
            put_end_records(&mut buf, &End::new(self.entries.len(), self.offset, len));
        }
        buf.freeze()
    }
}

/// Storage delivered a different length than recorded: the archive would be corrupt, and its
/// Content-Length wrong, so the download must fail instead.
fn size_mismatch(entry: &ZipEntry, read: u64) -> io::Error {
    let (kind, got) = if read > entry.size {
        (io::ErrorKind::InvalidData, "more")
    } else {
        (io::ErrorKind::UnexpectedEof, "only")
    };
    io::Error::new(
        kind,
        format!(
            "zip entry {:?}: expected {} bytes, storage delivered {got} {read}",
            entry.name, entry.size
        ),
    )
}

/// Sizes are written although bit 3 is set (APPNOTE asks for zeros): sequential readers such as
/// macOS Archive Utility otherwise cannot find the end of stored data. Readers that use the
/// central directory (Info-ZIP, Python, zip-rs, Windows) accept either. The CRC stays zero.
fn local_header(entry: &ZipEntry, layout: &Layout) -> Bytes {
    let mut buf = BytesMut::with_capacity(layout.local_len() as usize);
    buf.put_u32_le(LOCAL_HEADER_SIG);
    buf.put_u16_le(layout.version_needed());
    buf.put_u16_le(FLAGS);
    buf.put_u16_le(0); // method: stored
    put_dos_datetime(&mut buf, entry.modified);
    buf.put_u32_le(0); // CRC: follows in the data descriptor
    buf.put_u32_le(field32(layout.size));
    buf.put_u32_le(field32(layout.size));
    buf.put_u16_le(layout.name_len as u16);
    buf.put_u16_le(layout.local_extra_len() as u16);
    buf.put_slice(entry.name.as_bytes());
    if layout.zip64_size() {
        buf.put_u16_le(ZIP64_EXTRA_ID);
        buf.put_u16_le(16);
        buf.put_u64_le(layout.size);
        buf.put_u64_le(layout.size);
    }
    buf.freeze()
}

fn data_descriptor(layout: &Layout, crc: u32) -> Bytes {
    let mut buf = BytesMut::with_capacity(layout.descriptor_len() as usize);
    buf.put_u32_le(DATA_DESCRIPTOR_SIG);
    buf.put_u32_le(crc);
    if layout.zip64_size() {
        buf.put_u64_le(layout.size);
        buf.put_u64_le(layout.size);
    } else {
        buf.put_u32_le(layout.size as u32);
        buf.put_u32_le(layout.size as u32);
    }
    buf.freeze()
}

fn put_central_header(buf: &mut BytesMut, entry: &ZipEntry, layout: &Layout, crc: u32) {
    buf.put_u32_le(CENTRAL_HEADER_SIG);
    buf.put_u16_le(VERSION_MADE_BY);
    buf.put_u16_le(layout.version_needed());
    buf.put_u16_le(FLAGS);
    buf.put_u16_le(0); // method: stored
    put_dos_datetime(buf, entry.modified);
    buf.put_u32_le(crc);
    buf.put_u32_le(field32(layout.size));
    buf.put_u32_le(field32(layout.size));
    buf.put_u16_le(layout.name_len as u16);
    buf.put_u16_le(layout.central_extra_len() as u16);
    buf.put_u16_le(0); // comment length
    buf.put_u16_le(0); // disk number start
    buf.put_u16_le(0); // internal attributes
    buf.put_u32_le(EXTERNAL_ATTRIBUTES);
    buf.put_u32_le(field32(layout.offset));
    buf.put_slice(entry.name.as_bytes());
    // The ZIP64 field comes first among extra fields (Windows Explorer requires it) and holds
    // only the values whose header fields are all ones, in APPNOTE order.
    if layout.central_extra_len() > 0 {
        buf.put_u16_le(ZIP64_EXTRA_ID);
        buf.put_u16_le(layout.central_extra_len() as u16 - 4);
        if layout.zip64_size() {
            buf.put_u64_le(layout.size);
            buf.put_u64_le(layout.size);
        }
        if layout.zip64_offset() {
            buf.put_u64_le(layout.offset);
        }
    }
}

fn put_end_records(buf: &mut BytesMut, end: &End) {
    if end.zip64() {
        let zip64_end_offset = end.central_offset + end.central_len;
        buf.put_u32_le(ZIP64_END_SIG);
        buf.put_u64_le(ZIP64_END_LEN - 12); // size of the record after this field
        buf.put_u16_le(VERSION_MADE_BY);
        buf.put_u16_le(VERSION_NEEDED_ZIP64);
        buf.put_u32_le(0); // this disk
        buf.put_u32_le(0); // disk where the central directory starts
        buf.put_u64_le(end.entries);
        buf.put_u64_le(end.entries);
        buf.put_u64_le(end.central_len);
        buf.put_u64_le(end.central_offset);

        buf.put_u32_le(ZIP64_LOCATOR_SIG);
        buf.put_u32_le(0); // disk with the ZIP64 end record
        buf.put_u64_le(zip64_end_offset);
        buf.put_u32_le(1); // total disks
    }
    buf.put_u32_le(END_SIG);
    buf.put_u16_le(0); // this disk
    buf.put_u16_le(0); // disk where the central directory starts
    buf.put_u16_le(field16(end.entries));
    buf.put_u16_le(field16(end.entries));
    buf.put_u32_le(field32(end.central_len));
    buf.put_u32_le(field32(end.central_offset));
    buf.put_u16_le(0); // comment length
}

/// The 32-bit field for `value`: the value itself, or all ones meaning "see ZIP64".
fn field32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn field16(value: u64) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

/// DOS time has no zone; UTC is written so every download of a link carries the same bytes.
/// Years outside 1980..=2107 are clamped rather than wrapped into a wrong date.
fn put_dos_datetime(buf: &mut BytesMut, modified: OffsetDateTime) {
    let t = modified.to_offset(UtcOffset::UTC);
    let (time, date) = match t.year() {
        ..1980 => (0, 1 << 5 | 1),
        2108.. => (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31),
        year => (
            u16::from(t.hour()) << 11 | u16::from(t.minute()) << 5 | (u16::from(t.second()) / 2),
            ((year - 1980) as u16) << 9 | u16::from(u8::from(t.month())) << 5 | u16::from(t.day()),
        ),
    };
    buf.put_u16_le(time);
    buf.put_u16_le(date);
}

#[cfg(test)]
mod tests;
