//! The one-time link of an invitation or a password reset: issued with a fresh token, mailed
//! through the outbox in the caller's transaction, redeemed once to set a password.

use crate::config::Settings;
use crate::db::account_tokens::{self, LiveToken, Purpose};
use crate::db::users::User;
use crate::domain::secret::{random_token, secret_hash};
use crate::mail::{self, messages};
use crate::web::format::date_time;

/// How long an invitation stays valid.
pub const INVITE_VALID_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a password reset link stays valid.
pub const RESET_VALID_MS: i64 = 3600 * 1000;

pub fn valid_for(purpose: Purpose) -> i64 {
    match purpose {
        Purpose::Invite => INVITE_VALID_MS,
        Purpose::Reset => RESET_VALID_MS,
    }
}

/// The tenant's name (sender name of its mails) and language.
async fn tenant_of(conn: &mut sqlx::AnyConnection, user: &User) -> sqlx::Result<(String, String)> {
    match &user.tenant_id {
        Some(t) => {
            sqlx::query_as("SELECT name, language FROM tenants WHERE id = $1")
                .bind(t)
                .fetch_one(&mut *conn)
                .await
        }
        None => Ok(("Bote".to_string(), "de".to_string())),
    }
}

/// Issues a new link for the account (earlier unused ones stop working) and puts the mail into
/// the outbox. `inviter` names who invited, for invitations.
pub async fn send(
    conn: &mut sqlx::AnyConnection,
    settings: &Settings,
    user: &User,
    purpose: Purpose,
    inviter: &str,
    now: i64,
) -> sqlx::Result<()> {
    let token = random_token();
    let expires_at = now + valid_for(purpose);
    account_tokens::issue(
        conn,
        &user.id,
        purpose,
        &secret_hash(&token),
        now,
        expires_at,
    )
    .await?;
    let (tenant_name, tenant_lang) = tenant_of(conn, user).await?;
    let lang = messages::lang_of(user, &tenant_lang);
    let url = settings.public_url(&format!("password/set/{token}"));
    let expires = date_time(expires_at, lang);
    let (notice, kind) = match purpose {
        Purpose::Invite => (
            messages::invitation(lang, &tenant_name, inviter, &url, &expires),
            "invitation",
        ),
        Purpose::Reset => (
            messages::password_reset(lang, &url, &expires),
            "password_reset",
        ),
    };
    let mail = notice.into_mail(kind, user.tenant_id.as_deref(), &tenant_name, &user.email);
    mail::enqueue(conn, &mail).await
}

/// Takes a link out of use and returns its account, or `None` if the token is unknown, used,
/// expired, or its account disabled or suspended. The use is written first, so of two requests
/// with the same token only one gets the account.
pub async fn redeem(
    conn: &mut sqlx::AnyConnection,
    token: &str,
    now: i64,
) -> sqlx::Result<Option<LiveToken>> {
    let hash = secret_hash(token);
    let found = sqlx::query(
        "UPDATE account_tokens SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    if found.rows_affected() != 1 {
        return Ok(None);
    }
    account_tokens::live_used(conn, &hash).await
}
