//! A file name that is safe to show, to put into a header and to put into a ZIP: never a path.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

/// Longest name kept, in characters (extension preserved when cutting).
const MAX_CHARS: usize = 180;

/// Windows refuses these as file names, with or without an extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

impl FileName {
    /// Turns whatever a client sent into a safe display name: the last path component only,
    /// no control or bidirectional-override characters, no quotes or characters Windows forbids,
    /// no leading dots, not a reserved device name, at most 180 characters. Never fails: an
    /// unusable name becomes `file`.
    pub fn sanitize(raw: &str) -> FileName {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = last
            .chars()
            .map(|c| {
                if c.is_control() || is_bidi_control(c) || "<>:\"|?*".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let trimmed = cleaned
            .trim()
            .trim_start_matches('.')
            .trim_end_matches(['.', ' '])
            .to_string();
        let mut name = if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
            "file".to_string()
        } else {
            trimmed
        };
        let stem_upper = name
            .split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if RESERVED.contains(&stem_upper.as_str()) {
            name = format!("_{name}");
        }
        FileName(shorten(&name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An ASCII-only version for the plain `filename=` parameter of old clients.
    pub fn ascii_fallback(&self) -> String {
        let s: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        s
    }

    /// `Content-Disposition: attachment` with RFC 6266 / RFC 5987 `filename*`.
    pub fn content_disposition(&self) -> String {
        use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
        // attr-char of RFC 5987: ALPHA / DIGIT / "!#$&+-.^_`|~"
        const ATTR: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'!')
            .remove(b'#')
            .remove(b'$')
            .remove(b'&')
            .remove(b'+')
            .remove(b'-')
            .remove(b'.')
            .remove(b'^')
            .remove(b'_')
            .remove(b'`')
            .remove(b'|')
            .remove(b'~');
        format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            self.ascii_fallback(),
            utf8_percent_encode(&self.0, ATTR)
        )
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_CHARS {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 16 => (stem, Some(ext)),
        _ => (name, None),
    };
    let ext_len = ext.map(|e| e.chars().count() + 1).unwrap_or(0);
    let stem: String = stem.chars().take(MAX_CHARS - ext_len).collect();
    match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_harmless() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\x.exe", "x.exe"),
            ("%2e%2e/", "file"),
            ("a\0b.txt", "a_b.txt"),
            ("evil\r\nX-Header: 1.txt", "evil__X-Header_ 1.txt"),
            ("CON.txt", "_CON.txt"),
            ("nul", "_nul"),
            ("invoice\u{202E}fdp.exe", "invoice_fdp.exe"),
            ("\"quoted\".pdf", "_quoted_.pdf"),
            ("...", "file"),
            (".hidden", "hidden"),
            ("", "file"),
            ("Plan Bauabschnitt Ä.pdf", "Plan Bauabschnitt Ä.pdf"),
        ];
        for (raw, want) in cases {
            assert_eq!(FileName::sanitize(raw).as_str(), want, "{raw:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension() {
        let name = FileName::sanitize(&format!("{}.pdf", "a".repeat(300)));
        assert_eq!(name.as_str().chars().count(), 180);
        assert!(name.as_str().ends_with(".pdf"));
    }

    #[test]
    fn content_disposition_is_encoded() {
        let cd = FileName::sanitize("Übersicht; 100%.pdf").content_disposition();
        assert_eq!(
            cd,
            "attachment; filename=\"_bersicht; 100_.pdf\"; filename*=UTF-8''%C3%9Cbersicht%3B%20100%25.pdf"
        );
    }
}
