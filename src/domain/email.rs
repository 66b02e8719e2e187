//! An email address that is safe to store, compare and put into a mail header.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain` with a dotted domain, lower-cases it, and refuses anything that could
    /// break a mail header (whitespace, control characters, angle brackets, commas).
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.len() > 254 {
            return Err(EmailError::Invalid);
        }
        if text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>,;:\"()[]\\".contains(c))
        {
            return Err(EmailError::Invalid);
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(EmailError::Invalid);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(EmailError::Invalid);
        }
        Ok(EmailAddress(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("no email address given")]
    Empty,
    #[error("not a valid email address")]
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            EmailAddress::parse(" Anna.Muster@Stadt-Beispiel.DE ")
                .unwrap()
                .as_str(),
            "anna.muster@stadt-beispiel.de"
        );
    }

    #[test]
    fn refuses_header_injection_and_garbage() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@x.de",
            "anna@localhost",
            "a b@x.de",
            "anna@x.de\r\nBcc: evil@x.de",
            "anna@x.de,evil@x.de",
            "<anna@x.de>",
            "anna@-x.de",
            "a..b@x.de",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
