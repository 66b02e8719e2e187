//! The real SMTP sink started by scripts/services: settings that point an app at it, and what it
//! received for an address.

use std::time::Duration;

use base64::Engine;

use crate::helpers::TestOptions;

/// Settings for an app that mails through the sink's plain port.
pub fn smtp_options() -> TestOptions {
    TestOptions::default()
        .set(
            "BOTE_SMTP_URL",
            &std::env::var("BOTE_TEST_SMTP_URL")
                .expect("run through scripts/test (BOTE_TEST_SMTP_URL)"),
        )
        .set("BOTE_MAIL_FROM", "bote@stadt.example")
}

/// A recipient address no other test uses (the sink's folder is shared).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@stadt.example", uuid::Uuid::new_v4().simple())
}

/// Mails the sink received for this address (the sink writes X-Envelope-To headers).
pub fn mails_to(address: &str) -> Vec<String> {
    let dir = std::env::var("BOTE_TEST_MAIL_DIR").expect("BOTE_TEST_MAIL_DIR");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter(|text| {
            text.lines()
                .any(|l| l.trim() == format!("X-Envelope-To: {address}"))
        })
        .collect()
}

/// Waits up to 15 s for `n` mails to this address.
pub async fn wait_for_mail(address: &str, n: usize) -> Vec<String> {
    for _ in 0..150 {
        let got = mails_to(address);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mails_to(address)
}

/// The Subject header, with RFC 2047 encoded words (as lettre writes non-ASCII) decoded.
pub fn subject_of(mail: &str) -> String {
    let mut lines = mail.lines();
    let mut raw = String::new();
    for line in lines.by_ref() {
        if let Some(rest) = line.strip_prefix("Subject: ") {
            raw.push_str(rest.trim_end());
            break;
        }
    }
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            raw.push_str(line.trim_end());
        } else {
            break;
        }
    }
    let mut out = String::new();
    let mut rest = raw.as_str();
    let mut after_word = false;
    while let Some(at) = rest.find("=?") {
        let between = &rest[..at];
        // Whitespace between two encoded words is folding, not text (RFC 2047).
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        after_word = true;
        let word = &rest[at + 2..];
        let end = word.find("?=").expect("encoded word ends");
        let (_charset, tail) = word[..end].split_once('?').unwrap();
        let (_enc, b64) = tail.split_once('?').unwrap();
        out.push_str(&String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        ));
        rest = &word[end + 2..];
    }
    out.push_str(rest);
    out
}
