//! Settings: built-in defaults, then an optional `bote.toml`, then `BOTE_*` environment variables;
//! validated once at start so a bad value stops the server with a message naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::domain::duration::parse_duration;

/// Every setting Bote knows, already validated.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub base_url: Url,
    /// True when no base URL was configured and it was derived from the listen address; the
    /// server then fills in the port it actually bound (which matters for port 0).
    pub base_url_from_listen: bool,
    pub session_idle_timeout: Duration,
    pub session_max_age: Duration,
    pub login_max_failures: u32,
    pub login_max_failures_per_address: u32,
    pub login_lockout: Duration,
    pub trust_proxy_headers: bool,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub default_language: String,
    /// Where clamd listens (`tcp://host:port` or `unix:/path`).
    pub clamd: crate::scan::ClamdAddress,
    /// clamd's StreamMaxLength: larger files are marked unscannable, never half-scanned.
    pub scan_max_bytes: u64,
    pub scan_timeout: Duration,
    pub scan_concurrency: usize,
    /// Largest file Bote accepts at all (staff and partners); 0 = no limit besides the policy.
    pub max_file_bytes: u64,
    /// 64 hex characters; when unset, a key file in the data folder is used.
    pub secret_key: Option<String>,
    /// `None`: mails are written as .eml files under the data folder.
    pub smtp: Option<crate::mail::transport::SmtpConfig>,
    pub mail_from: lettre::message::Mailbox,
    pub mail_max_attempts: u32,
    /// Rescan clean, still shared files this long after their last scan; `None`: off.
    pub rescan_interval: Option<Duration>,
    /// Downloads of a link within this time after the first one are mailed to its owner together.
    pub download_notice_delay: Duration,
    /// An owner who asked for it is reminded this long before their link expires.
    pub expiry_reminder_lead: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("base_url", &self.base_url.as_str())
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("session_max_age", &self.session_max_age)
            .finish_non_exhaustive()
    }
}

/// A setting that could not be accepted; the message names the setting and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

fn bad(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        problem: problem.into(),
    }
}

/// The shape of `bote.toml`; each key may also come from `BOTE_<KEY>` in upper case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    base_url: Option<String>,
    session_idle_timeout: Option<String>,
    session_max_age: Option<String>,
    login_max_failures: Option<String>,
    login_max_failures_per_address: Option<String>,
    login_lockout: Option<String>,
    trust_proxy_headers: Option<String>,
    shutdown_grace: Option<String>,
    log_format: Option<String>,
    default_language: Option<String>,
    clamd: Option<String>,
    scan_max_bytes: Option<String>,
    scan_timeout: Option<String>,
    scan_concurrency: Option<String>,
    max_file_bytes: Option<String>,
    secret_key: Option<String>,
    smtp_url: Option<String>,
    smtp_ca: Option<String>,
    mail_from: Option<String>,
    mail_max_attempts: Option<String>,
    rescan_interval: Option<String>,
    download_notice_delay: Option<String>,
    expiry_reminder_lead: Option<String>,
}

/// Keys accepted in the file and (upper-cased, with `BOTE_`) in the environment.
const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "base_url",
    "session_idle_timeout",
    "session_max_age",
    "login_max_failures",
    "login_max_failures_per_address",
    "login_lockout",
    "trust_proxy_headers",
    "shutdown_grace",
    "log_format",
    "default_language",
    "clamd",
    "scan_max_bytes",
    "scan_timeout",
    "scan_concurrency",
    "max_file_bytes",
    "secret_key",
    "smtp_url",
    "smtp_ca",
    "mail_from",
    "mail_max_attempts",
    "rescan_interval",
    "download_notice_delay",
    "expiry_reminder_lead",
];

impl Settings {
    /// Loads settings from an optional file and the process environment.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_sources(config_file, &env)
    }

    /// Loads settings from an optional file and the given environment (testable without globals).
    pub fn from_sources(
        config_file: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let mut raw = match config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| bad("--config", format!("cannot read {}: {e}", path.display())))?;
                toml::from_str::<RawSettings>(&text).map_err(|e| {
                    bad(
                        &format!("{} ", path.display()),
                        e.message().to_string() + &toml_location(&text, e.span()),
                    )
                })?
            }
            None => RawSettings::default(),
        };
        for (name, value) in env {
            let Some(key) = name.strip_prefix("BOTE_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if KEYS.contains(&key.as_str()) {
                raw.set(&key, value.clone());
            }
        }
        raw.validate()
    }
}

fn toml_location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].lines().count().max(1);
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

impl RawSettings {
    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "listen" => &mut self.listen,
            "data_dir" => &mut self.data_dir,
            "database_url" => &mut self.database_url,
            "base_url" => &mut self.base_url,
            "session_idle_timeout" => &mut self.session_idle_timeout,
            "session_max_age" => &mut self.session_max_age,
            "login_max_failures" => &mut self.login_max_failures,
            "login_max_failures_per_address" => &mut self.login_max_failures_per_address,
            "login_lockout" => &mut self.login_lockout,
            "trust_proxy_headers" => &mut self.trust_proxy_headers,
            "shutdown_grace" => &mut self.shutdown_grace,
            "log_format" => &mut self.log_format,
            "default_language" => &mut self.default_language,
            "clamd" => &mut self.clamd,
            "scan_max_bytes" => &mut self.scan_max_bytes,
            "scan_timeout" => &mut self.scan_timeout,
            "scan_concurrency" => &mut self.scan_concurrency,
            "max_file_bytes" => &mut self.max_file_bytes,
            "secret_key" => &mut self.secret_key,
            "smtp_url" => &mut self.smtp_url,
            "smtp_ca" => &mut self.smtp_ca,
            "mail_from" => &mut self.mail_from,
            "mail_max_attempts" => &mut self.mail_max_attempts,
            "rescan_interval" => &mut self.rescan_interval,
            "download_notice_delay" => &mut self.download_notice_delay,
            "expiry_reminder_lead" => &mut self.expiry_reminder_lead,
            _ => return,
        };
        *slot = Some(value);
    }

    fn validate(self) -> Result<Settings, ConfigError> {
        let listen_text = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
            bad(
                "BOTE_LISTEN",
                format!("{listen_text:?} is not host:port, e.g. 127.0.0.1:8080 or [::]:8080"),
            )
        })?;

        let data_dir = PathBuf::from(self.data_dir.unwrap_or_else(|| "./data".into()));
        if data_dir.as_os_str().is_empty() {
            return Err(bad("BOTE_DATA_DIR", "must not be empty"));
        }

        let database_url = match self.database_url {
            Some(url) => validate_database_url(url.trim())?,
            None => format!("sqlite://{}?mode=rwc", data_dir.join("bote.db").display()),
        };

        let base_url_from_listen = self.base_url.is_none();
        let base_url = match self.base_url {
            Some(text) => validate_base_url(text.trim())?,
            None => {
                let shown = if listen.ip().is_unspecified() {
                    format!("127.0.0.1:{}", listen.port())
                } else {
                    listen.to_string()
                };
                Url::parse(&format!("http://{shown}/")).expect("socket address forms a URL")
            }
        };

        let duration = |name: &str, value: Option<String>, default: &str, min: Duration| {
            let text = value.unwrap_or_else(|| default.to_string());
            let parsed = parse_duration(&text).map_err(|problem| bad(name, problem))?;
            if parsed < min {
                return Err(bad(name, format!("{text:?} is shorter than {min:?}")));
            }
            Ok(parsed)
        };
        let at_most = |name: &str, value: Duration, max: Duration, words: &str| {
            if value > max {
                return Err(bad(name, format!("must be at most {words}")));
            }
            Ok(value)
        };
        let session_idle_timeout = duration(
            "BOTE_SESSION_IDLE_TIMEOUT",
            self.session_idle_timeout,
            "30m",
            Duration::from_secs(1),
        )?;
        let session_max_age = duration(
            "BOTE_SESSION_MAX_AGE",
            self.session_max_age,
            "12h",
            Duration::from_secs(1),
        )?;
        let login_lockout = duration(
            "BOTE_LOGIN_LOCKOUT",
            self.login_lockout,
            "15m",
            Duration::from_secs(1),
        )?;
        let shutdown_grace = duration(
            "BOTE_SHUTDOWN_GRACE",
            self.shutdown_grace,
            "30s",
            Duration::ZERO,
        )?;

        let count = |name: &str, value: Option<String>, default: u32| {
            let text = value.unwrap_or_else(|| default.to_string());
            match text.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(bad(
                    name,
                    format!("{text:?} is not a whole number between 1 and 1000"),
                )),
            }
        };
        let login_max_failures = count("BOTE_LOGIN_MAX_FAILURES", self.login_max_failures, 5)?;
        let login_max_failures_per_address = count(
            "BOTE_LOGIN_MAX_FAILURES_PER_ADDRESS",
            self.login_max_failures_per_address,
            20,
        )?;

        let trust_proxy_headers = match self.trust_proxy_headers.as_deref().map(str::trim) {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(other) => {
                return Err(bad(
                    "BOTE_TRUST_PROXY_HEADERS",
                    format!("{other:?} is not true or false"),
                ))
            }
        };

        let log_format = match self.log_format.as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(bad(
                    "BOTE_LOG_FORMAT",
                    format!("{other:?} is not text or json"),
                ))
            }
        };

        let default_language = match self.default_language.as_deref().map(str::trim) {
            None => "de".to_string(),
            Some(lang @ ("de" | "en")) => lang.to_string(),
            Some(other) => {
                return Err(bad(
                    "BOTE_DEFAULT_LANGUAGE",
                    format!("{other:?} is not one of de, en"),
                ))
            }
        };

        let clamd = match self.clamd.as_deref().map(str::trim) {
            None | Some("") => crate::scan::ClamdAddress::resolve_default(),
            Some(text) => crate::scan::ClamdAddress::parse(text)
                .map_err(|problem| bad("BOTE_CLAMD", problem))?,
        };
        let scan_max_bytes = parse_size(
            "BOTE_SCAN_MAX_BYTES",
            self.scan_max_bytes.as_deref().unwrap_or("25M"),
        )?;
        if scan_max_bytes == 0 {
            return Err(bad("BOTE_SCAN_MAX_BYTES", "must be larger than 0"));
        }
        let max_file_bytes = parse_size(
            "BOTE_MAX_FILE_BYTES",
            self.max_file_bytes.as_deref().unwrap_or("10G"),
        )?;
        let scan_timeout = duration(
            "BOTE_SCAN_TIMEOUT",
            self.scan_timeout,
            "120s",
            Duration::from_secs(1),
        )?;
        let scan_concurrency = count("BOTE_SCAN_CONCURRENCY", self.scan_concurrency, 4)? as usize;

        let secret_key =
            match self.secret_key.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(k) if k.len() == 64 && k.chars().all(|c| c.is_ascii_hexdigit()) => {
                    Some(k.to_string())
                }
                Some(_) => return Err(bad(
                    "BOTE_SECRET_KEY",
                    "must be 64 hex characters (32 random bytes), e.g. from: openssl rand -hex 32",
                )),
            };

        let smtp = match self.smtp_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(crate::mail::transport::SmtpConfig {
                url: crate::mail::transport::parse_smtp_url(text)
                    .map_err(|problem| bad("BOTE_SMTP_URL", problem))?,
                ca_file: self
                    .smtp_ca
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
            }),
        };
        let mail_from_text = self
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("bote@{}", base_url.host_str().unwrap_or("localhost")));
        let mail_from: lettre::message::Mailbox =
            match crate::domain::email::EmailAddress::parse(&mail_from_text) {
                Ok(e) => e
                    .as_str()
                    .parse()
                    .map_err(|_| bad("BOTE_MAIL_FROM", "not a usable address"))?,
                // The default for a portal on an IP address has no dotted domain; keep it usable.
                Err(_) if self.mail_from.is_none() => {
                    "bote@localhost.localdomain".parse().expect("valid address")
                }
                Err(e) => return Err(bad("BOTE_MAIL_FROM", format!("{mail_from_text:?}: {e}"))),
            };
        let mail_max_attempts = count("BOTE_MAIL_MAX_ATTEMPTS", self.mail_max_attempts, 30)?;

        let rescan_interval = match self.rescan_interval.as_deref().map(str::trim) {
            None | Some("") | Some("off") => None,
            Some(text) => Some(parse_duration(text).map_err(|p| bad("BOTE_RESCAN_INTERVAL", p))?),
        };

        let download_notice_delay = at_most(
            "BOTE_DOWNLOAD_NOTICE_DELAY",
            duration(
                "BOTE_DOWNLOAD_NOTICE_DELAY",
                self.download_notice_delay,
                "15m",
                Duration::from_secs(1),
            )?,
            Duration::from_secs(86_400),
            "1d",
        )?;
        let expiry_reminder_lead = at_most(
            "BOTE_EXPIRY_REMINDER_LEAD",
            duration(
                "BOTE_EXPIRY_REMINDER_LEAD",
                self.expiry_reminder_lead,
                "2d",
                Duration::from_secs(60),
            )?,
            Duration::from_secs(365 * 86_400),
            "365d",
        )?;

        Ok(Settings {
            rescan_interval,
            download_notice_delay,
            expiry_reminder_lead,
            smtp,
            mail_from,
            mail_max_attempts,
            secret_key,
            clamd,
            scan_max_bytes,
            scan_timeout,
            scan_concurrency,
            max_file_bytes,
            listen,
            data_dir,
            database_url,
            base_url,
            base_url_from_listen,
            session_idle_timeout,
            session_max_age,
            login_max_failures,
            login_max_failures_per_address,
            login_lockout,
            trust_proxy_headers,
            shutdown_grace,
            log_format,
            default_language,
        })
    }
}

/// Sizes like `25M`, `10G`, `512K` or a plain number of bytes (binary units).
pub fn parse_size(setting: &str, text: &str) -> Result<u64, ConfigError> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(pos) => t.split_at(pos),
        None => (t, ""),
    };
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(bad(setting, format!("{t:?} is not a size like 25M or 10G"))),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| bad(setting, format!("{t:?} is not a size like 25M or 10G")))
}

fn validate_database_url(url: &str) -> Result<String, ConfigError> {
    const NAME: &str = "BOTE_DATABASE_URL";
    if let Some(rest) = url.strip_prefix("sqlite://") {
        if rest.is_empty() || rest.starts_with('?') {
            return Err(bad(
                NAME,
                "sqlite:// needs a file path, e.g. sqlite://data/bote.db",
            ));
        }
        if rest.contains(":memory:") || rest.contains("mode=memory") {
            return Err(bad(
                NAME,
                "an in-memory SQLite database would lose everything on restart",
            ));
        }
        if rest.contains("mode=") {
            return Ok(url.to_string());
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{sep}mode=rwc"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let parsed =
            Url::parse(url).map_err(|e| bad(NAME, format!("not a valid PostgreSQL URL: {e}")))?;
        if parsed.host_str().is_none_or(str::is_empty) && !url.contains("host=") {
            return Err(bad(NAME, "the PostgreSQL URL names no host"));
        }
        return Ok(url.to_string());
    }
    Err(bad(
        NAME,
        format!(
            "{:?} must start with sqlite:// or postgres://",
            redact_url(url)
        ),
    ))
}

fn validate_base_url(text: &str) -> Result<Url, ConfigError> {
    const NAME: &str = "BOTE_BASE_URL";
    let url = Url::parse(text)
        .map_err(|e| bad(NAME, format!("{text:?} is not an absolute URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(NAME, "must start with http:// or https://"));
    }
    if url.host_str().is_none() {
        return Err(bad(NAME, "names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad(NAME, "must not carry a query, fragment or user name"));
    }
    // Normalise to a trailing slash so joining paths keeps any prefix path.
    let mut url = url;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Hides the password of a URL for logs and messages.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

impl Settings {
    /// Whether the public URL is https, which turns on Secure cookies and HSTS.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The absolute public URL of a path such as `s/abc`.
    pub fn public_url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        self.base_url
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{}{path}", self.base_url))
    }

    /// The origin (scheme://host[:port]) that browsers send in the Origin header.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Fills in the port the server really bound when the base URL came from the listen address.
    pub fn with_bound_port(mut self, port: u16) -> Settings {
        if self.base_url_from_listen {
            let _ = self.base_url.set_port(Some(port));
        }
        self
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::from_sources(None, &[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = Settings::from_sources(
            None,
            &env(&[
                ("BOTE_LISTEN", "0.0.0.0:9000"),
                ("BOTE_BASE_URL", "https://files.example.org/bote"),
            ]),
        )
        .unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.base_url.as_str(), "https://files.example.org/bote/");
        assert_eq!(s.public_url("s/x"), "https://files.example.org/bote/s/x");
        assert!(s.is_https());
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (key, value) in [
            ("BOTE_LISTEN", "nonsense"),
            ("BOTE_DATABASE_URL", "mysql://x"),
            ("BOTE_BASE_URL", "ftp://x"),
            ("BOTE_BASE_URL", "not a url"),
            ("BOTE_SESSION_IDLE_TIMEOUT", "soon"),
            ("BOTE_LOGIN_MAX_FAILURES", "0"),
            ("BOTE_TRUST_PROXY_HEADERS", "maybe"),
            ("BOTE_DEFAULT_LANGUAGE", "fr"),
            ("BOTE_CLAMD", "http://x"),
            ("BOTE_SCAN_MAX_BYTES", "lots"),
            ("BOTE_MAX_FILE_BYTES", "5X"),
            ("BOTE_SMTP_URL", "smtp://relay.example.org?tls=none"),
            ("BOTE_SMTP_URL", "http://relay.example.org"),
            ("BOTE_MAIL_FROM", "not an address"),
            ("BOTE_DOWNLOAD_NOTICE_DELAY", "soon"),
            ("BOTE_DOWNLOAD_NOTICE_DELAY", "0s"),
            ("BOTE_DOWNLOAD_NOTICE_DELAY", "2d"),
            ("BOTE_EXPIRY_REMINDER_LEAD", "10s"),
            ("BOTE_EXPIRY_REMINDER_LEAD", "400d"),
        ] {
            let err = Settings::from_sources(None, &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.setting, key, "{value}");
        }
    }

    #[test]
    fn notice_timings_have_defaults_and_can_be_set() {
        let s = Settings::from_sources(None, &[]).unwrap();
        assert_eq!(s.download_notice_delay, Duration::from_secs(15 * 60));
        assert_eq!(s.expiry_reminder_lead, Duration::from_secs(2 * 86_400));
        let s = Settings::from_sources(
            None,
            &env(&[
                ("BOTE_DOWNLOAD_NOTICE_DELAY", "2s"),
                ("BOTE_EXPIRY_REMINDER_LEAD", "12h"),
            ]),
        )
        .unwrap();
        assert_eq!(s.download_notice_delay, Duration::from_secs(2));
        assert_eq!(s.expiry_reminder_lead, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn file_unknown_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bote.toml");
        std::fs::write(&path, "listne = \"1.2.3.4:1\"\n").unwrap();
        let err = Settings::from_sources(Some(&path), &[]).unwrap_err();
        assert!(err.problem.contains("listne"), "{err}");
    }

    #[test]
    fn database_password_is_hidden_in_debug() {
        let s = Settings::from_sources(
            None,
            &env(&[("BOTE_DATABASE_URL", "postgres://bote:secret@db/bote")]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("secret"));
    }
}
