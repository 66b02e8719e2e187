//! Links: their kind, their public token, their state and how long they live.

use time::OffsetDateTime;

use super::time::now_ms;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Download,
    Upload,
}

impl LinkKind {
    pub fn parse(text: &str) -> Option<LinkKind> {
        match text {
            "download" => Some(LinkKind::Download),
            "upload" => Some(LinkKind::Upload),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Download => "download",
            LinkKind::Upload => "upload",
        }
    }
}

/// What a link is right now, derived from its row at the moment of the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    Revoked,
    /// An upload link closed by staff, or by the one submission of a single-use link.
    Closed,
    Exhausted,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
            LinkState::Closed => "closed",
            LinkState::Exhausted => "exhausted",
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// The expiry a staff member asked for, checked against the tenant's maximum.
pub struct Expiry(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryError {
    Invalid,
    InPast,
    TooLate,
}

impl Expiry {
    /// From a number of days (1..=max_days).
    pub fn in_days(days: i64, max_days: i64) -> Result<Expiry, ExpiryError> {
        if days < 1 {
            return Err(ExpiryError::Invalid);
        }
        if days > max_days {
            return Err(ExpiryError::TooLate);
        }
        Ok(Expiry(now_ms() + days * DAY_MS))
    }

    /// From an RFC 3339 timestamp, in the future and at most max_days ahead.
    pub fn at_rfc3339(text: &str, max_days: i64) -> Result<Expiry, ExpiryError> {
        let t = OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| ExpiryError::Invalid)?;
        Self::at_ms((t.unix_timestamp_nanos() / 1_000_000) as i64, max_days)
    }

    /// From a date `YYYY-MM-DD` (a form's date field): the end of that day, UTC.
    pub fn on_date(text: &str, max_days: i64) -> Result<Expiry, ExpiryError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text.trim(), &format).map_err(|_| ExpiryError::Invalid)?;
        let end = date
            .with_hms(23, 59, 59)
            .map_err(|_| ExpiryError::Invalid)?
            .assume_utc();
        let ms = (end.unix_timestamp_nanos() / 1_000_000) as i64;
        let now = now_ms();
        let limit = now + max_days * DAY_MS;
        if ms <= now {
            return Err(ExpiryError::InPast);
        }
        // The day the maximum falls on may be picked; the link then ends at the maximum.
        if ms > limit + DAY_MS {
            return Err(ExpiryError::TooLate);
        }
        Ok(Expiry(ms.min(limit)))
    }

    fn at_ms(ms: i64, max_days: i64) -> Result<Expiry, ExpiryError> {
        let now = now_ms();
        if ms <= now {
            return Err(ExpiryError::InPast);
        }
        if ms > now + max_days * DAY_MS {
            return Err(ExpiryError::TooLate);
        }
        Ok(Expiry(ms))
    }
}
