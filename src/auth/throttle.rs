//! Login throttling: failures per account and per client address slow down answers and then
//! lock the key for a while.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{throttle, Db};
use crate::domain::secret::secret_hash;
use crate::domain::time::now_ms;

/// Failures are counted within this window.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Keys a login attempt is counted under.
pub struct LoginKeys {
    pub account: String,
    pub address: String,
}

impl LoginKeys {
    /// Keys are hashes: whatever was typed (any bytes, any length) becomes a fixed-size key, and
    /// the table holds no addresses.
    pub fn new(email: &str, client_addr: &str) -> LoginKeys {
        LoginKeys {
            account: format!(
                "login-account:{}",
                secret_hash(&email.trim().to_lowercase())
            ),
            address: format!("login-addr:{}", secret_hash(client_addr)),
        }
    }
}

/// Whether either key is locked right now.
pub async fn is_locked(db: &Db, keys: &LoginKeys) -> sqlx::Result<bool> {
    let now = now_ms();
    for key in [&keys.account, &keys.address] {
        if let Some(c) = throttle::get(db, key).await? {
            if c.locked_until > now {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// What a counted attempt led to.
pub struct FailureOutcome {
    /// More attempts than allowed: refuse without checking the password.
    pub over_limit: bool,
    /// How long to wait before answering, so guessing gets slower with every failure.
    pub delay: Duration,
    /// Whether this failure locked the account or the address.
    pub locked_now: bool,
}

/// Counts an attempt before its password is checked, so parallel attempts cannot slip past the
/// limit between a check and an update.
pub async fn record_failure(
    db: &Db,
    settings: &Settings,
    keys: &LoginKeys,
) -> sqlx::Result<FailureOutcome> {
    let now = now_ms();
    let window = WINDOW.as_millis() as i64;
    let lockout = settings.login_lockout.as_millis() as i64;
    let account = throttle::record_failure(
        db,
        &keys.account,
        now,
        window,
        i64::from(settings.login_max_failures),
        lockout,
    )
    .await?;
    let address = throttle::record_failure(
        db,
        &keys.address,
        now,
        window,
        i64::from(settings.login_max_failures_per_address),
        lockout,
    )
    .await?;
    let worst = account.failures.max(address.failures);
    Ok(FailureOutcome {
        over_limit: account.failures > i64::from(settings.login_max_failures)
            || address.failures > i64::from(settings.login_max_failures_per_address),
        delay: delay_after(worst),
        locked_now: account.locked_until > now || address.locked_until > now,
    })
}

/// After the second failure, each further one waits 250 ms longer, up to 2 s.
fn delay_after(failures: i64) -> Duration {
    let steps = (failures - 2).clamp(0, 8) as u64;
    Duration::from_millis(250 * steps)
}

/// A successful login clears the account's counter and takes back the attempt it reserved on the
/// address (whose other failures stay: it may be shared by someone trying many accounts).
pub async fn record_success(db: &Db, settings: &Settings, keys: &LoginKeys) -> sqlx::Result<()> {
    throttle::clear(db, &keys.account).await?;
    throttle::forgive_one(
        db,
        &keys.address,
        i64::from(settings.login_max_failures_per_address),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_then_caps() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_millis(250));
        assert_eq!(delay_after(100), Duration::from_secs(2));
    }
}
