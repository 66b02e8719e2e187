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
