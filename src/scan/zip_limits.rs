//! Guards against a clamd bug (Cisco-Talos/clamav#633): a ZIP whose member is larger than
//! clamd's MaxFileSize comes back `OK` although that member was never scanned, even with
//! `AlertExceedsMax yes`. Bote therefore reads the ZIP's central directory itself and treats a
//! "clean" ZIP (or docx, xlsx, odt, jar: all ZIPs) with an over-limit member as unscannable.

/// What the central directory says about the archive's members.
#[derive(Debug, PartialEq, Eq)]
pub enum ZipCheck {
    /// Every member is within the limit.
    WithinLimit,
    /// A member (or the directory itself) is too large to have been scanned.
    TooLarge,
    /// Looks like a ZIP but the directory cannot be read: do not trust a clean verdict.
    Unreadable,
}

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CDH_SIG: u32 = 0x0201_4b50;

/// How much of the end of a file to read to find the end-of-central-directory record
/// (22 bytes + the longest comment + the ZIP64 locator).
pub const TAIL_BYTES: u64 = 22 + 65_535 + 20;
/// Central directories larger than this are not read into memory; such an archive is held.
pub const MAX_DIRECTORY_BYTES: u64 = 16 * 1024 * 1024;

/// Whether the file starts like a ZIP (local file header).
pub fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

fn u16_at(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 2)
        .map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}
fn u32_at(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 4)
        .map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}
fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// Where the central directory is: (offset, size), from the tail of the file.
pub fn directory_location(tail: &[u8], tail_start: u64) -> Option<(u64, u64)> {
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(tail, i) == Some(u64::from(EOCD_SIG)))?;
    let mut size = u32_at(tail, pos + 12)?;
    let mut offset = u32_at(tail, pos + 16)?;
    if (size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF) && pos >= 20 {
        let loc = pos - 20;
        if u32_at(tail, loc) == Some(u64::from(ZIP64_LOCATOR_SIG)) {
            let eocd64 = u64_at(tail, loc + 8)?;
            let rel = usize::try_from(eocd64.checked_sub(tail_start)?).ok()?;
            if u32_at(tail, rel) != Some(u64::from(ZIP64_EOCD_SIG)) {
                return None;
            }
            size = u64_at(tail, rel + 40)?;
            offset = u64_at(tail, rel + 48)?;
        }
    }
    Some((offset, size))
}

/// Checks every central directory entry's uncompressed size against `limit`.
pub fn check_directory(dir: &[u8], limit: u64) -> ZipCheck {
    let mut i = 0;
    let mut entries = 0;
    while i + 46 <= dir.len() {
        if u32_at(dir, i) != Some(u64::from(CDH_SIG)) {
            return ZipCheck::Unreadable;
        }
        let (Some(mut size), Some(name_len), Some(extra_len), Some(comment_len)) = (
            u32_at(dir, i + 24),
            u16_at(dir, i + 28),
            u16_at(dir, i + 30),
            u16_at(dir, i + 32),
        ) else {
            return ZipCheck::Unreadable;
        };
        let extra_start = i + 46 + name_len as usize;
        let extra_end = extra_start + extra_len as usize;
        if size == 0xFFFF_FFFF {
            // ZIP64 extended information: the uncompressed size comes first.
            let Some(extra) = dir.get(extra_start..extra_end) else {
                return ZipCheck::Unreadable;
            };
            let mut j = 0;
            let mut found = None;
            while j + 4 <= extra.len() {
                let (id, len) = (
                    u16_at(extra, j).unwrap_or(0),
                    u16_at(extra, j + 2).unwrap_or(0),
                );
                if id == 1 {
                    found = u64_at(extra, j + 4);
                    break;
                }
                j += 4 + len as usize;
            }
            let Some(s) = found else {
                return ZipCheck::Unreadable;
            };
            size = s;
        }
        if size > limit {
            return ZipCheck::TooLarge;
        }
        entries += 1;
        i = extra_end + comment_len as usize;
    }
    if i != dir.len() || entries == 0 && !dir.is_empty() {
        return ZipCheck::Unreadable;
    }
    ZipCheck::WithinLimit
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(members: &[(&str, usize)]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, size) in members {
                w.start_file(*name, opts).unwrap();
                w.write_all(&vec![0u8; *size]).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    fn check(data: &[u8], limit: u64) -> ZipCheck {
        let tail_start = (data.len() as u64).saturating_sub(TAIL_BYTES);
        let (offset, size) = directory_location(&data[tail_start as usize..], tail_start).unwrap();
        check_directory(&data[offset as usize..(offset + size) as usize], limit)
    }

    #[test]
    fn member_over_the_limit_is_found() {
        let data = zip_with(&[("small.txt", 100), ("big.bin", 2_000_000)]);
        assert!(looks_like_zip(&data));
        assert!(
            data.len() < 100_000,
            "compresses well, like the real attack"
        );
        assert_eq!(check(&data, 1_000_000), ZipCheck::TooLarge);
        assert_eq!(check(&data, 3_000_000), ZipCheck::WithinLimit);
    }

    #[test]
    fn garbage_directory_is_unreadable() {
        assert_eq!(check_directory(&[0u8; 60], 10), ZipCheck::Unreadable);
        assert!(directory_location(b"no zip here", 0).is_none());
    }
}
