//! Delivering one message: SMTP (STARTTLS, implicit TLS, or plain on loopback, with or without
//! AUTH), or a folder of .eml files when no SMTP relay is configured.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

use super::outbox::OutboxMail;

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// How to reach the relay, parsed from `BOTE_SMTP_URL`.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub url: Url,
    /// A CA certificate (PEM) to trust in addition to the system's, for a relay with its own CA.
    pub ca_file: Option<PathBuf>,
}

/// Checks an SMTP URL: `smtp://[user:pass@]host[:port]?tls=starttls|tls|none`.
pub fn parse_smtp_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if url.scheme() != "smtp" {
        return Err("must start with smtp://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".into());
    }
    match tls_mode(&url).as_str() {
        "starttls" | "tls" => {}
        "none" => {
            let host = url.host_str().unwrap_or_default();
            if !(host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]") {
                return Err("tls=none is only allowed for a relay on loopback".into());
            }
        }
        other => return Err(format!("tls={other:?} is not one of starttls, tls, none")),
    }
    Ok(url)
}

fn tls_mode(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| "starttls".to_string())
}

impl Mailer {
    pub fn smtp(config: &SmtpConfig) -> anyhow::Result<Mailer> {
        let url = &config.url;
        let host = url.host_str().context("SMTP URL without host")?.to_string();
        let mode = tls_mode(url);
        let tls_params = || -> anyhow::Result<TlsParameters> {
            let mut b = TlsParameters::builder(host.clone());
            if let Some(ca) = &config.ca_file {
                let pem =
                    std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
                b = b.add_root_certificate(Certificate::from_pem(&pem).context("CA certificate")?);
            }
            Ok(b.build_rustls()?)
        };
        let (tls, default_port) = match mode.as_str() {
            "tls" => (Tls::Wrapper(tls_params()?), 465),
            "none" => (Tls::None, 25),
            _ => (Tls::Required(tls_params()?), 587),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(url.port().unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(30)));
        if !url.username().is_empty() {
            let user = percent_encoding::percent_decode_str(url.username())
                .decode_utf8_lossy()
                .to_string();
            let pass = percent_encoding::percent_decode_str(url.password().unwrap_or(""))
                .decode_utf8_lossy()
                .to_string();
            builder = builder.credentials(Credentials::new(user, pass));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    pub fn files(dir: PathBuf) -> anyhow::Result<Mailer> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Mailer::Files(AsyncFileTransport::<Tokio1Executor>::new(
            dir,
        )))
    }

    /// Whether the relay answers (files: always).
    pub async fn ping(&self) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => match t.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the relay did not accept the connection".into()),
                Err(e) => Err(e.to_string()),
            },
            Mailer::Files(_) => Ok(()),
        }
    }

    pub async fn send(&self, from: &Mailbox, mail: &OutboxMail) -> anyhow::Result<()> {
        let to: Mailbox = mail.recipient.parse().context("recipient address")?;
        let from = Mailbox::new(Some(mail.from_name.clone()), from.email.clone());
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone())
            .message_id(None)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.body_html.clone()),
                    ),
            )
            .context("building the message")?;
        match self {
            Mailer::Smtp(t) => {
                t.send(message).await.context("SMTP")?;
            }
            Mailer::Files(t) => {
                t.send(message).await.context("writing the .eml file")?;
            }
        }
        Ok(())
    }
}
