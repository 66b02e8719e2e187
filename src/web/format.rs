//! How numbers and times look on pages, per language.

use crate::domain::time::from_ms;
use crate::i18n::Lang;

/// `1.5 MB` / `1,5 MB` (decimal units, as file managers show them).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A UTC time, in the language's usual form.
pub fn date_time(ms: i64, lang: Lang) -> String {
    let t = from_ms(ms);
    match lang {
        Lang::De => format!(
            "{:02}.{:02}.{:04}, {:02}:{:02} UTC",
            t.day(),
            u8::from(t.month()),
            t.year(),
            t.hour(),
            t.minute()
        ),
        Lang::En => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
    }
}

/// `2.0 GiB`: binary units, as quotas are written (`2G` = 2 × 1024³ bytes), so a quota reads
/// back as it was set.
pub fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
