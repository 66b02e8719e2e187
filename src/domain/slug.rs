//! The short name of a tenant used on the command line: `stadt-musterhausen`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(text: &str) -> Result<TenantSlug, String> {
        let text = text.trim();
        let ok = (2..=63).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(TenantSlug(text.to_string()))
        } else {
            Err(format!(
                "{text:?} is not a slug: 2-63 lower-case letters, digits and dashes"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("stadt-musterhausen").is_ok());
        for bad in ["", "a", "Stadt", "-x", "x-", "a b", "ä-b", "x/y"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }
}
