//! Where clamd listens: a TCP `host:port` or a Unix socket, written as `tcp://...` or `unix:/...`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Debian's clamav-daemon listens here by default.
const DEBIAN_SOCKET: &str = "/var/run/clamav/clamd.ctl";
/// clamd's documented default TCP port, for a daemon on the same host.
const LOCAL_TCP: &str = "127.0.0.1:3310";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClamdAddress {
    /// `host:port`, already checked to have both parts.
    Tcp(String),
    Unix(PathBuf),
}

impl ClamdAddress {
    /// Accepts `tcp://HOST:PORT` and `unix:/ABSOLUTE/PATH`; the error says what was expected.
    pub fn parse(text: &str) -> Result<ClamdAddress, String> {
        let text = text.trim();
        if let Some(host_port) = text.strip_prefix("tcp://") {
            return parse_host_port(host_port)
                .map(|()| ClamdAddress::Tcp(host_port.to_string()))
                .map_err(|problem| format!("{text:?}: {problem}"));
        }
        if let Some(path) = text.strip_prefix("unix:") {
            // Accept the URL-ish `unix:///run/x` too, which some tools print.
            let path = path.strip_prefix("//").unwrap_or(path);
            if !path.starts_with('/') {
                return Err(format!(
                    "{text:?}: a Unix socket needs an absolute path, e.g. unix:/run/clamav/clamd.ctl"
                ));
            }
            return Ok(ClamdAddress::Unix(PathBuf::from(path)));
        }
        Err(format!(
            "{text:?} is not a clamd address: use tcp://HOST:PORT (e.g. tcp://127.0.0.1:3310) \
             or unix:/PATH (e.g. unix:/run/clamav/clamd.ctl)"
        ))
    }

    /// Where a stock Debian install listens, most likely first.
    pub fn default_candidates() -> [ClamdAddress; 2] {
        [
            ClamdAddress::Unix(PathBuf::from(DEBIAN_SOCKET)),
            ClamdAddress::Tcp(LOCAL_TCP.to_string()),
        ]
    }

    /// The Debian socket if it exists, else the local TCP port: a guess for when nothing is set.
    pub fn resolve_default() -> ClamdAddress {
        Self::resolve_among(Self::default_candidates(), Path::exists)
    }

    fn resolve_among(
        candidates: [ClamdAddress; 2],
        exists: impl Fn(&Path) -> bool,
    ) -> ClamdAddress {
        let [socket, tcp] = candidates;
        match &socket {
            ClamdAddress::Unix(path) if exists(path) => socket,
            _ => tcp,
        }
    }
}

impl fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClamdAddress::Tcp(host_port) => write!(f, "tcp://{host_port}"),
            ClamdAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

fn parse_host_port(host_port: &str) -> Result<(), &'static str> {
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err("needs a port, e.g. tcp://127.0.0.1:3310");
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err("needs a host name or IP address before the port");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err("the port must be a number from 1 to 65535"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_and_unix_addresses_parse() {
        assert_eq!(
            ClamdAddress::parse("tcp://127.0.0.1:3310"),
            Ok(ClamdAddress::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            ClamdAddress::parse("tcp://clamav.internal:3310"),
            Ok(ClamdAddress::Tcp("clamav.internal:3310".into()))
        );
        assert_eq!(
            ClamdAddress::parse("tcp://[::1]:3310"),
            Ok(ClamdAddress::Tcp("[::1]:3310".into()))
        );
        assert_eq!(
            ClamdAddress::parse("unix:/run/clamav/clamd.ctl"),
            Ok(ClamdAddress::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(
            ClamdAddress::parse("unix:///run/clamav/clamd.ctl"),
            Ok(ClamdAddress::Unix("/run/clamav/clamd.ctl".into()))
        );
    }

    #[test]
    fn display_round_trips() {
        for text in ["tcp://127.0.0.1:3310", "unix:/run/clamav/clamd.ctl"] {
            assert_eq!(ClamdAddress::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_hint() {
        for text in [
            "",
            "127.0.0.1:3310",
            "http://127.0.0.1:3310",
            "tcp://",
            "tcp://127.0.0.1",
            "tcp://:3310",
            "tcp://127.0.0.1:",
            "tcp://127.0.0.1:0",
            "tcp://127.0.0.1:70000",
            "tcp://127.0.0.1:33a",
            "tcp://user@host:3310",
            "tcp://host:3310/path",
            "unix:",
            "unix:relative/clamd.ctl",
            "/run/clamav/clamd.ctl",
        ] {
            let err = ClamdAddress::parse(text).unwrap_err();
            assert!(
                err.contains("tcp://") || err.contains("unix:/"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn default_prefers_the_debian_socket_when_it_exists() {
        let candidates = ClamdAddress::default_candidates();
        assert_eq!(
            candidates[0],
            ClamdAddress::Unix("/var/run/clamav/clamd.ctl".into())
        );
        assert_eq!(
            ClamdAddress::resolve_among(candidates.clone(), |_| true),
            candidates[0]
        );
        assert_eq!(
            ClamdAddress::resolve_among(candidates.clone(), |_| false),
            ClamdAddress::Tcp("127.0.0.1:3310".into())
        );
    }
}
