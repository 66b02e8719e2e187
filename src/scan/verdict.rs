//! What a scan concluded about a file, and the strict reading of clamd's INSTREAM reply.

/// The outcome of one scan. Only `Clean` may ever make a file downloadable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    Infected {
        signature: String,
    },
    /// clamd could not look at all of it (too large, too deeply nested, encrypted).
    Unscannable {
        reason: String,
    },
    /// No trustworthy answer: transport error, timeout or a reply we do not understand.
    Failed {
        reason: String,
    },
}

impl ScanVerdict {
    /// The name stored in the database and shown in logs.
    pub fn as_state(&self) -> &'static str {
        match self {
            ScanVerdict::Clean => "clean",
            ScanVerdict::Infected { .. } => "infected",
            ScanVerdict::Unscannable { .. } => "unscannable",
            ScanVerdict::Failed { .. } => "failed",
        }
    }
}

/// Families clamd reports (with `AlertExceedsMax` / `AlertEncrypted`) when it gave up on part of
/// a file: they say nothing about malware, only that the file was not fully scanned.
const NOT_SCANNED_FAMILIES: &[&str] = &["Heuristics.Limits.Exceeded", "Heuristics.Encrypted"];

/// Names from before the `Heuristics.` prefix (ClamAV < 0.101), still seen on old servers.
const NOT_SCANNED_NAMES: &[&str] = &[
    "Encrypted.Zip",
    "Encrypted.RAR",
    "Encrypted.PDF",
    "Encrypted.OLE2",
];

/// Reads one INSTREAM reply. Anything that is not exactly one of clamd's known answers is
/// `Failed`, so a truncated, garbled or unexpected reply can never pass as clean.
pub fn parse_reply(raw: &[u8]) -> ScanVerdict {
    let body = raw.strip_suffix(b"\0").unwrap_or(raw);
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let Ok(text) = std::str::from_utf8(body) else {
        return failed(raw, "is not UTF-8");
    };
    if text.is_empty() {
        return failed(raw, "is empty");
    }
    if text.chars().any(char::is_control) {
        // A second line or a stray NUL means we may be reading two replies, or a corrupt one.
        return failed(raw, "has more than one line");
    }
    if text == "stream: OK" {
        return ScanVerdict::Clean;
    }
    if let Some(signature) = text
        .strip_prefix("stream: ")
        .and_then(|rest| rest.strip_suffix(" FOUND"))
    {
        if signature.is_empty() || signature.contains(char::is_whitespace) {
            return failed(raw, "names no single signature");
        }
        if is_not_scanned_alert(signature) {
            return ScanVerdict::Unscannable {
                reason: format!("clamd could not scan all of it ({signature})"),
            };
        }
        return ScanVerdict::Infected {
            signature: signature.to_string(),
        };
    }
    if text.ends_with(" ERROR") && text.to_ascii_lowercase().contains("size limit") {
        return ScanVerdict::Unscannable {
            reason: format!("larger than clamd's stream limit ({text})"),
        };
    }
    failed(raw, "is not a known clamd answer")
}

fn is_not_scanned_alert(signature: &str) -> bool {
    NOT_SCANNED_NAMES.contains(&signature)
        || NOT_SCANNED_FAMILIES.iter().any(|family| {
            signature
                .strip_prefix(family)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
}

fn failed(raw: &[u8], problem: &str) -> ScanVerdict {
    const SHOWN: usize = 80;
    let shown = raw[..raw.len().min(SHOWN)].escape_ascii();
    let more = if raw.len() > SHOWN { "..." } else { "" };
    ScanVerdict::Failed {
        reason: format!("clamd reply {problem}: \"{shown}{more}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infected(sig: &str) -> ScanVerdict {
        ScanVerdict::Infected {
            signature: sig.to_string(),
        }
    }

    fn assert_failed(raw: &[u8]) {
        let verdict = parse_reply(raw);
        assert!(
            matches!(verdict, ScanVerdict::Failed { .. }),
            "{:?} gave {verdict:?}",
            raw.escape_ascii().to_string()
        );
    }

    fn assert_unscannable(raw: &[u8]) {
        let verdict = parse_reply(raw);
        assert!(
            matches!(verdict, ScanVerdict::Unscannable { .. }),
            "{:?} gave {verdict:?}",
            raw.escape_ascii().to_string()
        );
    }

    #[test]
    fn ok_reply_is_clean_with_nul_newline_or_nothing_after_it() {
        for raw in [
            &b"stream: OK\0"[..],
            b"stream: OK\n",
            b"stream: OK\n\0",
            b"stream: OK",
        ] {
            assert_eq!(parse_reply(raw), ScanVerdict::Clean);
        }
    }

    #[test]
    fn found_reply_names_the_signature() {
        assert_eq!(
            parse_reply(b"stream: Eicar-Test-Signature FOUND\0"),
            infected("Eicar-Test-Signature")
        );
        assert_eq!(
            parse_reply(b"stream: Bote.Test.Marker.UNOFFICIAL FOUND\n"),
            infected("Bote.Test.Marker.UNOFFICIAL")
        );
        // ExtendedDetectionInfo appends the hash and size without spaces.
        assert_eq!(
            parse_reply(b"stream: Eicar(44d88612fea8a8f36de82e1278abb02f:68) FOUND\0"),
            infected("Eicar(44d88612fea8a8f36de82e1278abb02f:68)")
        );
    }

    #[test]
    fn other_heuristics_are_real_detections() {
        assert_eq!(
            parse_reply(b"stream: Heuristics.Broken.Executable FOUND\0"),
            infected("Heuristics.Broken.Executable")
        );
        assert_eq!(
            parse_reply(b"stream: Heuristics.Phishing.Email.SpoofedDomain FOUND\0"),
            infected("Heuristics.Phishing.Email.SpoofedDomain")
        );
    }

    #[test]
    fn limit_and_encryption_alerts_are_unscannable_not_infected() {
        for sig in [
            "Heuristics.Limits.Exceeded",
            "Heuristics.Limits.Exceeded.MaxFileSize",
            "Heuristics.Limits.Exceeded.MaxScanSize",
            "Heuristics.Limits.Exceeded.MaxFiles",
            "Heuristics.Limits.Exceeded.MaxRecursion",
            "Heuristics.Limits.Exceeded.MaxScanTime",
            "Heuristics.Encrypted",
            "Heuristics.Encrypted.Zip",
            "Heuristics.Encrypted.RAR",
            "Heuristics.Encrypted.PDF",
            "Encrypted.Zip",
            "Encrypted.RAR",
        ] {
            assert_unscannable(format!("stream: {sig} FOUND\0").as_bytes());
        }
    }

    #[test]
    fn a_name_merely_starting_like_a_family_is_a_detection() {
        assert_eq!(
            parse_reply(b"stream: Heuristics.EncryptedDropper FOUND\0"),
            infected("Heuristics.EncryptedDropper")
        );
    }

    #[test]
    fn size_limit_errors_are_unscannable() {
        assert_unscannable(b"INSTREAM size limit exceeded. ERROR\0");
        assert_unscannable(b"INSTREAM size limit exceeded. ERROR\n");
        assert_unscannable(b"stream: Size limit reached ERROR\0");
    }

    #[test]
    fn other_errors_fail() {
        assert_failed(b"stream: Can't allocate memory ERROR\0");
        assert_failed(b"UNKNOWN COMMAND\0");
        assert_failed(b"ERROR\0");
    }

    #[test]
    fn empty_or_truncated_replies_fail() {
        for raw in [
            &b""[..],
            b"\0",
            b"\n",
            b"stream: O",
            b"stream: ",
            b"stream:",
            b"stream: OK\0\0",
            b"stream: FOUND\0",
            b"stream:  FOUND\0",
            b"stream: Eicar-Test-Signature FOUN",
        ] {
            assert_failed(raw);
        }
    }

    #[test]
    fn near_misses_of_ok_fail() {
        for raw in [
            &b"stream: OK extra\0"[..],
            b"OK\0",
            b"OK",
            b"stream:OK\0",
            b"stream: ok\0",
            b" stream: OK\0",
            b"stream: OK \0",
            b"stream: OK\r\n",
            b"1: stream: OK\0",
            b"fd[10]: OK\0",
            b"stream: OK extra FOUND\0",
        ] {
            assert_failed(raw);
        }
    }

    #[test]
    fn several_lines_fail_even_if_one_is_ok() {
        assert_failed(b"stream: OK\nstream: OK\n");
        assert_failed(b"stream: Eicar FOUND\nstream: OK\0");
        assert_failed(b"stream: OK\0stream: OK\0");
    }

    #[test]
    fn unknown_text_and_non_utf8_fail() {
        assert_failed(b"PONG\0");
        assert_failed(b"hello world");
        assert_failed(b"stream: \xff\xfe FOUND\0");
        assert_failed(&[0xff, 0xfe, 0xfd]);
    }

    #[test]
    fn failure_reason_shows_a_short_escaped_excerpt() {
        let ScanVerdict::Failed { reason } = parse_reply(&[b'x'; 500]) else {
            panic!("expected Failed");
        };
        assert!(reason.len() < 200, "{reason}");
        let ScanVerdict::Failed { reason } = parse_reply(b"bad\x01reply") else {
            panic!("expected Failed");
        };
        assert!(reason.contains("\\x01"), "{reason}");
    }

    #[test]
    fn states_have_stable_names() {
        assert_eq!(ScanVerdict::Clean.as_state(), "clean");
        assert_eq!(infected("x").as_state(), "infected");
        let reason = String::new();
        assert_eq!(
            ScanVerdict::Unscannable {
                reason: reason.clone()
            }
            .as_state(),
            "unscannable"
        );
        assert_eq!(ScanVerdict::Failed { reason }.as_state(), "failed");
    }
}
