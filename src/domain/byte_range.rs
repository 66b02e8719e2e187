//! The one byte range of a `Range: bytes=...` header that Bote serves.

use std::ops::Range;

#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range header: send the whole file.
    Full,
    /// One satisfiable range (end exclusive).
    Partial(Range<u64>),
    /// A range that lies outside the file: 416.
    Unsatisfiable,
}

/// Parses a single range of `bytes`. Several ranges, other units or garbage are ignored (the
/// whole file is sent), as RFC 9110 allows.
pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let range = match (start.is_empty(), end.is_empty()) {
        (true, true) => return RangeRequest::Full,
        // bytes=-N: the last N bytes
        (true, false) => match parse(end) {
            Some(0) => return RangeRequest::Unsatisfiable,
            Some(n) => size.saturating_sub(n)..size,
            None => return RangeRequest::Full,
        },
        (false, true) => match parse(start) {
            Some(s) => s..size,
            None => return RangeRequest::Full,
        },
        (false, false) => match (parse(start), parse(end)) {
            (Some(s), Some(e)) if s <= e => s..(e.saturating_add(1)).min(size),
            _ => return RangeRequest::Full,
        },
    };
    if range.start >= size {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Partial(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse(None, 10), RangeRequest::Full);
        assert_eq!(parse(Some("bytes=0-4"), 10), RangeRequest::Partial(0..5));
        assert_eq!(parse(Some("bytes=5-"), 10), RangeRequest::Partial(5..10));
        assert_eq!(parse(Some("bytes=-3"), 10), RangeRequest::Partial(7..10));
        assert_eq!(parse(Some("bytes=8-100"), 10), RangeRequest::Partial(8..10));
        assert_eq!(parse(Some("bytes=10-"), 10), RangeRequest::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 10), RangeRequest::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-1,3-4"), 10), RangeRequest::Full);
        assert_eq!(parse(Some("items=0-1"), 10), RangeRequest::Full);
        assert_eq!(parse(Some("bytes=5-2"), 10), RangeRequest::Full);
        assert_eq!(parse(Some("bytes=x-"), 10), RangeRequest::Full);
        assert_eq!(parse(Some("bytes=0-"), 0), RangeRequest::Unsatisfiable);
    }
}
