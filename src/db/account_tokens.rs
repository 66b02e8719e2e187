//! One-time account links (invitation, password reset): stored as hashes, used once, expiring.

use sqlx::FromRow;

use super::new_id;
use crate::db::users::User;

/// What an account link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A new account sets its first password.
    Invite,
    /// An existing account sets a new password.
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        match text {
            "invite" => Some(Purpose::Invite),
            "reset" => Some(Purpose::Reset),
            _ => None,
        }
    }
}

/// Replaces the account's unused links with a new one (only the newest link works).
pub async fn issue(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO account_tokens (id, user_id, purpose, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// When the account's newest link was issued, if it has one.
pub async fn last_issued(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(created_at) FROM account_tokens WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await
}

/// A link that can still be used, with its account (enabled, in a tenant that is not suspended).
#[derive(Debug, Clone, FromRow)]
pub struct LiveToken {
    pub token_id: String,
    pub purpose: String,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub user: User,
}

const LIVE: &str = "SELECT a.id AS token_id, a.purpose, a.expires_at,
        u.id, u.tenant_id, u.email, u.display_name, u.role, u.password_hash, u.language,
        u.disabled, u.created_at
     FROM account_tokens a
     JOIN users u ON u.id = a.user_id
     LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE a.token_hash = $1 AND u.disabled = 0 AND COALESCE(t.suspended, 0) = 0";

/// The link behind a token, if it is unused and unexpired (shown before the password is set).
pub async fn live(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<LiveToken>> {
    sqlx::query_as(&format!(
        "{LIVE} AND a.used_at IS NULL AND a.expires_at > $2"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// The link behind a token that this transaction has just marked used.
pub async fn live_used(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
) -> sqlx::Result<Option<LiveToken>> {
    sqlx::query_as(LIVE)
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await
}

/// Whether an invitation is still open for this account (shown on the admin's user list).
pub async fn open_invites(
    db: &super::Db,
    tenant_id: &str,
    now: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT a.user_id, a.expires_at FROM account_tokens a JOIN users u ON u.id = a.user_id
         WHERE u.tenant_id = $1 AND a.purpose = 'invite' AND a.used_at IS NULL AND a.expires_at > $2",
    )
    .bind(tenant_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await
}
