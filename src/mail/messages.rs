//! The notices Bote sends, rendered in the recipient's language: HTML (escaped by askama) with a
//! plain-text alternative. Links in mails always use the configured base URL.

use askama::Template;

use super::outbox::NewMail;
use crate::config::Settings;
use crate::db::links::Link;
use crate::db::users::User;
use crate::i18n::{Lang, Tr};

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    tr: Tr,
    heading: &'a str,
    lines: &'a [String],
    link: Option<&'a str>,
    footer: &'a str,
}

/// A mail in one language: heading, paragraphs, an optional button link.
pub struct Notice {
    pub lang: Lang,
    pub subject: String,
    pub heading: String,
    pub lines: Vec<String>,
    pub link: Option<String>,
}

/// Subjects become a header: no line breaks, whatever a title contained.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Notice {
    pub fn into_mail(
        self,
        kind: &'static str,
        tenant_id: Option<&str>,
        from_name: &str,
        recipient: &str,
    ) -> NewMail {
        let footer = self.lang.t("mail.footer");
        let body_html = NoticeHtml {
            tr: Tr(self.lang),
            heading: &self.heading,
            lines: &self.lines,
            link: self.link.as_deref(),
            footer,
        }
        .render()
        .unwrap_or_else(|_| self.lines.join("\n"));
        let mut body_text = format!("{}\n\n{}\n", self.heading, self.lines.join("\n\n"));
        if let Some(link) = &self.link {
            body_text.push_str(&format!("\n{link}\n"));
        }
        body_text.push_str(&format!("\n-- \n{footer}\n"));
        NewMail {
            tenant_id: tenant_id.map(str::to_string),
            kind,
            recipient: recipient.to_string(),
            from_name: one_line(from_name),
            subject: one_line(&self.subject),
            body_text,
            body_html,
            held_for_link: None,
        }
    }
}

/// The language of mails to an account: its own choice, else the tenant's.
pub fn lang_of(user: &User, tenant_language: &str) -> Lang {
    user.language
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| Lang::parse(tenant_language))
        .unwrap_or(Lang::De)
}

pub fn link_locked(settings: &Settings, lang: Lang, link: &Link) -> Notice {
    let title = one_line(&link.title);
    Notice {
        lang,
        subject: lang.tf("mail.locked_subject", &[("title", &title)]),
        heading: lang.t("mail.locked_heading").to_string(),
        lines: vec![
            lang.tf("mail.locked_text", &[("title", &title)]),
            lang.t("mail.locked_advice").to_string(),
        ],
        link: Some(settings.public_url(&format!("links/{}", link.id))),
    }
}

pub fn file_not_available(
    settings: &Settings,
    lang: Lang,
    link: &Link,
    file_name: &str,
    state: &str,
    detail: &str,
) -> Notice {
    let infected = state == "infected";
    let (subject, text) = if infected {
        ("mail.rejected_subject", "mail.rejected_text")
    } else {
        ("mail.held_subject", "mail.held_text")
    };
    Notice {
        lang,
        subject: lang.tf(subject, &[("name", file_name)]),
        heading: lang.tf(subject, &[("name", file_name)]),
        lines: vec![
            lang.tf(text, &[("name", file_name), ("title", &link.title)]),
            format!("{}: {detail}", lang.t("mail.scanner_said")),
        ],
        link: Some(settings.public_url(&format!("links/{}", link.id))),
    }
}

/// One submission to an upload link: who sent what, and what the scanner said about each file.
pub fn files_received(
    settings: &Settings,
    lang: Lang,
    link: &Link,
    sender: &(Option<String>, Option<String>),
    files: &[(String, i64, String, Option<String>)],
) -> Notice {
    let title = one_line(&link.title);
    let who = match sender {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => lang.t("mail.received_anonymous").to_string(),
    };
    let mut lines = vec![lang.tf(
        "mail.received_text",
        &[("title", &title), ("sender", &one_line(&who))],
    )];
    for (name, size, state, detail) in files {
        let verdict = lang.t(match state.as_str() {
            "clean" => "mail.verdict_clean",
            "infected" => "mail.verdict_infected",
            "unscannable" => "mail.verdict_held",
            _ => "mail.verdict_pending",
        });
        let mut line = format!(
            "{} ({}): {verdict}",
            one_line(name),
            crate::web::format::human_size(*size as u64)
        );
        if state == "infected" {
            if let Some(d) = detail {
                line.push_str(&format!(" ({})", one_line(d)));
            }
        }
        lines.push(line);
    }
    Notice {
        lang,
        subject: lang.tf(
            "mail.received_subject",
            &[("title", &title), ("count", &files.len().to_string())],
        ),
        heading: lang.tf(
            "mail.received_subject",
            &[("title", &title), ("count", &files.len().to_string())],
        ),
        lines,
        link: Some(settings.public_url(&format!("links/{}", link.id))),
    }
}

/// One partner download of a link, as its audit record tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRecord {
    pub at: i64,
    /// The file's name; `None` for a ZIP of all files.
    pub file_name: Option<String>,
    /// Whether it was a ZIP (`zip.downloaded`) rather than one file.
    pub zip: bool,
    pub completed: bool,
    /// As the audit record keeps it (the tenant's address mode); `None` when not kept.
    pub client_addr: Option<String>,
}

/// At most this many downloads are listed one by one; the rest are counted.
pub const MAX_DOWNLOAD_LINES: usize = 20;

/// One line per download (time, what, completed or aborted, client address), at most
/// `MAX_DOWNLOAD_LINES`, then how many more there were.
pub fn download_lines(lang: Lang, records: &[DownloadRecord]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .take(MAX_DOWNLOAD_LINES)
        .map(|r| {
            let what = if r.zip {
                lang.t("mail.downloads_zip").to_string()
            } else {
                r.file_name
                    .as_deref()
                    .map(one_line)
                    .unwrap_or_else(|| lang.t("mail.downloads_unknown_file").to_string())
            };
            let outcome = lang.t(if r.completed {
                "mail.download_completed"
            } else {
                "mail.download_aborted"
            });
            let addr = r
                .client_addr
                .as_deref()
                .filter(|a| !a.is_empty())
                .map(one_line)
                .unwrap_or_else(|| lang.t("mail.download_no_address").to_string());
            format!(
                "{}: {what} ({outcome}), {addr}",
                crate::web::format::date_time(r.at, lang)
            )
        })
        .collect();
    if records.len() > MAX_DOWNLOAD_LINES {
        let more = (records.len() - MAX_DOWNLOAD_LINES).to_string();
        lines.push(lang.tf("mail.downloads_more", &[("count", &more)]));
    }
    lines
}

/// The downloads of a link since the previous notice, to its owner.
pub fn downloads(
    settings: &Settings,
    lang: Lang,
    link: &Link,
    records: &[DownloadRecord],
) -> Notice {
    let title = one_line(&link.title);
    let count = records.len().to_string();
    let args = [("title", title.as_str()), ("count", count.as_str())];
    let mut lines = vec![lang.tf("mail.downloads_text", &args)];
    lines.extend(download_lines(lang, records));
    Notice {
        lang,
        subject: lang.tf("mail.downloads_subject", &args),
        heading: lang.tf("mail.downloads_subject", &args),
        lines,
        link: Some(settings.public_url(&format!("links/{}", link.id))),
    }
}

/// A link expires soon: when, and how much it was used (downloads, or files received).
pub fn expiry_reminder(settings: &Settings, lang: Lang, link: &Link) -> Notice {
    let title = one_line(&link.title);
    let expires = crate::web::format::date_time(link.expires_at, lang);
    let usage = match link.kind() {
        crate::domain::link::LinkKind::Download => lang.tf(
            "mail.expiry_downloads",
            &[("count", &link.download_count.to_string())],
        ),
        crate::domain::link::LinkKind::Upload => lang.tf(
            "mail.expiry_received",
            &[("count", &link.received_files.to_string())],
        ),
    };
    Notice {
        lang,
        subject: lang.tf("mail.expiry_subject", &[("title", &title)]),
        heading: lang.tf("mail.expiry_subject", &[("title", &title)]),
        lines: vec![
            lang.tf(
                "mail.expiry_text",
                &[("title", &title), ("expires", &expires)],
            ),
            usage,
            lang.t("mail.expiry_advice").to_string(),
        ],
        link: Some(settings.public_url(&format!("links/{}", link.id))),
    }
}

pub struct SharedLink<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub sender: &'a str,
    pub tenant: &'a str,
    pub url: &'a str,
    pub expires: &'a str,
    pub has_password: bool,
    /// An upload link asks the recipient to send files instead of fetching them.
    pub upload: bool,
}

/// A download link mailed to its recipients. The password never goes into a mail.
pub fn link_shared(lang: Lang, s: &SharedLink<'_>) -> Notice {
    let mut lines = vec![lang.tf(
        if s.upload {
            "mail.shared_upload_text"
        } else {
            "mail.shared_text"
        },
        &[("sender", s.sender), ("tenant", s.tenant)],
    )];
    if !s.message.is_empty() {
        lines.push(s.message.to_string());
    }
    lines.push(lang.tf("mail.shared_expires", &[("expires", s.expires)]));
    if s.has_password {
        lines.push(lang.t("mail.shared_password").to_string());
    }
    Notice {
        lang,
        subject: lang.tf(
            if s.upload {
                "mail.shared_upload_subject"
            } else {
                "mail.shared_subject"
            },
            &[("title", &one_line(s.title))],
        ),
        heading: one_line(s.title),
        lines,
        link: Some(s.url.to_string()),
    }
}

/// An invitation to a new account: the link sets the first password.
pub fn invitation(lang: Lang, tenant: &str, inviter: &str, url: &str, expires: &str) -> Notice {
    let tenant = one_line(tenant);
    Notice {
        lang,
        subject: lang.tf("mail.invite_subject", &[("tenant", &tenant)]),
        heading: lang.tf("mail.invite_subject", &[("tenant", &tenant)]),
        lines: vec![
            lang.tf(
                "mail.invite_text",
                &[("inviter", &one_line(inviter)), ("tenant", &tenant)],
            ),
            lang.tf("mail.account_link_expires", &[("expires", expires)]),
        ],
        link: Some(url.to_string()),
    }
}

/// A password reset: the link sets a new password; whoever did not ask may ignore it.
pub fn password_reset(lang: Lang, url: &str, expires: &str) -> Notice {
    Notice {
        lang,
        subject: lang.t("mail.reset_subject").to_string(),
        heading: lang.t("mail.reset_subject").to_string(),
        lines: vec![
            lang.t("mail.reset_text").to_string(),
            lang.tf("mail.account_link_expires", &[("expires", expires)]),
            lang.t("mail.reset_ignore").to_string(),
        ],
        link: Some(url.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: i64) -> DownloadRecord {
        DownloadRecord {
            // 2024-03-01 12:00 UTC, one minute apart.
            at: 1_709_294_400_000 + i * 60_000,
            file_name: Some(format!("akte-{i}.pdf")),
            zip: false,
            completed: true,
            client_addr: Some("192.0.2.7".into()),
        }
    }

    #[test]
    fn a_download_line_tells_time_file_outcome_and_address() {
        let lines = download_lines(Lang::En, &[record(0)]);
        assert_eq!(
            lines,
            ["2024-03-01 12:00 UTC: akte-0.pdf (completed), 192.0.2.7"]
        );
        let zip = DownloadRecord {
            file_name: None,
            zip: true,
            completed: false,
            client_addr: None,
            ..record(1)
        };
        assert_eq!(
            download_lines(Lang::De, &[zip]),
            ["01.03.2024, 12:01 UTC: alle Dateien als ZIP (abgebrochen), Adresse nicht gespeichert"]
        );
    }

    #[test]
    fn file_names_cannot_break_lines() {
        let evil = DownloadRecord {
            file_name: Some("a\r\nBcc: x@example.org".into()),
            ..record(0)
        };
        let lines = download_lines(Lang::En, &[evil]);
        assert!(
            !lines[0].contains('\n') && !lines[0].contains('\r'),
            "{lines:?}"
        );
    }

    #[test]
    fn more_than_twenty_downloads_end_in_a_count() {
        let records: Vec<_> = (0..23).map(record).collect();
        let lines = download_lines(Lang::En, &records);
        assert_eq!(lines.len(), MAX_DOWNLOAD_LINES + 1);
        assert_eq!(
            lines[19],
            "2024-03-01 12:19 UTC: akte-19.pdf (completed), 192.0.2.7"
        );
        assert_eq!(lines[20], "… and 3 more");
        assert_eq!(download_lines(Lang::De, &records)[20], "… und 3 weitere");
        assert_eq!(download_lines(Lang::En, &records[..20]).len(), 20);
    }
}
