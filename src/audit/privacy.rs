//! How a tenant wants client addresses kept in its records: in full, shortened to the network
//! (IPv4 without the last octet, IPv6 without the last 80 bits), or not at all.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressMode {
    Full,
    Shortened,
    None,
}

impl AddressMode {
    pub fn parse(text: &str) -> Option<AddressMode> {
        match text {
            "full" => Some(AddressMode::Full),
            "shortened" => Some(AddressMode::Shortened),
            "none" => Some(AddressMode::None),
            _ => None,
        }
    }

    /// The address as this tenant keeps it.
    pub fn apply(self, addr: &str) -> Option<String> {
        match self {
            AddressMode::Full => Some(addr.to_string()),
            AddressMode::None => None,
            AddressMode::Shortened => Some(match addr.parse::<IpAddr>() {
                Ok(IpAddr::V4(v4)) => {
                    let [a, b, c, _] = v4.octets();
                    format!("{a}.{b}.{c}.0")
                }
                Ok(IpAddr::V6(v6)) => {
                    let s = v6.segments();
                    std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
                }
                // Not an address ("unknown"): nothing to shorten, nothing personal either.
                Err(_) => addr.to_string(),
            }),
        }
    }
}

/// The mode of a tenant, read inside the caller's transaction (`full` for the deployment chain).
pub async fn mode_of(
    conn: &mut sqlx::AnyConnection,
    tenant_id: Option<&str>,
) -> sqlx::Result<AddressMode> {
    let Some(id) = tenant_id else {
        return Ok(AddressMode::Full);
    };
    let mode: Option<String> =
        sqlx::query_scalar("SELECT client_address_mode FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(mode
        .as_deref()
        .and_then(AddressMode::parse)
        .unwrap_or(AddressMode::Full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortening_keeps_the_network_only() {
        let s = AddressMode::Shortened;
        assert_eq!(s.apply("203.0.113.77").as_deref(), Some("203.0.113.0"));
        assert_eq!(
            s.apply("2001:db8:abcd:12:34:56:78:9a").as_deref(),
            Some("2001:db8:abcd::")
        );
        assert_eq!(s.apply("unknown").as_deref(), Some("unknown"));
        assert_eq!(AddressMode::None.apply("203.0.113.77"), None);
        assert_eq!(
            AddressMode::Full.apply("203.0.113.77").as_deref(),
            Some("203.0.113.77")
        );
    }
}
