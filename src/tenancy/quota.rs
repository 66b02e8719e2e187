//! A storage quota as the operator writes it: `500M`, `2 GiB`, a plain number of bytes, or
//! nothing for unlimited. Units are binary, as everywhere in Bote's settings (1G = 1024³ bytes).

/// The quota in bytes, `None` for unlimited (empty text). The message says what is wrong.
pub fn parse(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || format!("{text:?} is not a size like 500M, 2 GiB or a number of bytes");
    let bytes = crate::config::parse_size("quota", text).map_err(|_| wrong())?;
    if bytes == 0 {
        return Err(
            "0 bytes would refuse every upload; give at least 1 byte, or no quota".to_string(),
        );
    }
    i64::try_from(bytes).map(Some).map_err(|_| wrong())
}

/// The shortest exact way to write a quota back into the form: `2G`, `500M`, `64K` or bytes.
pub fn as_input(bytes: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (factor, unit) in UNITS {
        if bytes >= factor && bytes % factor == 0 {
            return format!("{}{unit}", bytes / factor);
        }
    }
    bytes.to_string()
}

/// How much of the quota is used, in whole percent (rounded down; over 100 when a lowered quota
/// is exceeded by what was stored before).
pub fn percent_used(used: i64, quota: i64) -> i64 {
    if quota <= 0 {
        return 0;
    }
    let percent = i128::from(used.max(0)) * 100 / i128::from(quota);
    i64::try_from(percent).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_and_without_units() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(parse("1048576"), Ok(Some(1 << 20)));
        assert_eq!(parse("500 MB"), Ok(Some(500 << 20)));
        assert_eq!(parse("2 GiB"), Ok(Some(2 << 30)));
        assert_eq!(parse("2g"), Ok(Some(2 << 30)));
        for bad in ["0", "-1", "lots", "1.5G", "5 PB", "99999999999T"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn written_back_exactly() {
        for q in [1 << 30, 500 << 20, 3 << 10, 1_000_000, 5, 3 << 40] {
            assert_eq!(parse(&as_input(q)), Ok(Some(q)), "{q}");
        }
        assert_eq!(as_input(2 << 30), "2G");
        assert_eq!(as_input(1_000_000), "1000000");
    }

    #[test]
    fn percent() {
        assert_eq!(percent_used(0, 100), 0);
        assert_eq!(percent_used(512 << 10, 1 << 20), 50);
        assert_eq!(percent_used(300, 100), 300);
        assert_eq!(percent_used(i64::MAX, 1), i64::MAX);
        assert_eq!(percent_used(5, 0), 0);
    }
}
