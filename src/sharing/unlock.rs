//! Unlocking a password-protected link: an opaque cookie bound to this link and to the password
//! it was made with; wrong passwords are slowed down, then refused per link and per address.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::auth::password;
use crate::config::Settings;
use crate::db::links::Link;
use crate::db::{throttle, unlocks, Db};
use crate::domain::secret::{looks_like_token, random_token, secret_hash};
use crate::domain::time::now_ms;
use crate::web::client::ClientInfo;
use crate::web::detached::to_the_end;

pub const COOKIE: &str = "bote_unlock";
/// An unlock lasts this long (and never longer than the link).
const UNLOCK_TTL_MS: i64 = 8 * 3600 * 1000;
/// Wrong passwords for one link within 15 minutes before it is locked for everyone.
const MAX_FAILURES_PER_LINK: i64 = 10;
/// Wrong passwords from one address (over all links) within 15 minutes before it is locked.
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
const WINDOW_MS: i64 = 15 * 60 * 1000;
const LOCKOUT_MS: i64 = 15 * 60 * 1000;

pub fn link_key(link_id: &str) -> String {
    format!("unlock-link:{link_id}")
}

fn address_key(addr: &str) -> String {
    format!("unlock-addr:{}", secret_hash(addr))
}

/// Whether the request may see this link's files: links without password always, others with
/// a valid unlock cookie made for the current password.
pub async fn is_unlocked(db: &Db, req: &HttpRequest, link: &Link) -> sqlx::Result<bool> {
    if !link.has_password() {
        return Ok(true);
    }
    let Some(raw) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(false);
    };
    if !looks_like_token(&raw) {
        return Ok(false);
    }
    unlocks::is_valid(
        db,
        &secret_hash(&raw),
        &link.id,
        link.password_version,
        now_ms(),
    )
    .await
}

pub enum UnlockResult {
    /// The cookie value to set.
    Unlocked(String),
    Wrong,
    Locked,
}

/// Checks a password and, when it is right, gives the browser an unlock for this link.
pub async fn try_unlock(
    state: &crate::startup::AppState,
    link: &Link,
    given: &str,
    client: &ClientInfo,
) -> anyhow::Result<UnlockResult> {
    match verify(state, link, given, client).await? {
        Verified::Right => {
            let raw = random_token();
            let now = now_ms();
            let expires = (now + UNLOCK_TTL_MS).min(link.expires_at);
            unlocks::create(
                &state.db,
                &secret_hash(&raw),
                &link.id,
                link.password_version,
                now,
                expires,
            )
            .await?;
            Ok(UnlockResult::Unlocked(raw))
        }
        Verified::Wrong => Ok(UnlockResult::Wrong),
        Verified::Locked => Ok(UnlockResult::Locked),
    }
}

/// What a password check said.
pub enum Verified {
    Right,
    Wrong,
    Locked,
}

/// Checks a link password under the same throttling and with the same record as the unlock
/// form, without handing out an unlock (for clients that send the password with each request).
///
/// Once begun, the check runs to its end on a task of its own: a client that hangs up while its
/// password is checked is still counted and recorded.
pub async fn verify(
    state: &crate::startup::AppState,
    link: &Link,
    given: &str,
    client: &ClientInfo,
) -> anyhow::Result<Verified> {
    let (db, settings) = (state.db.clone(), state.settings.clone());
    let (link, given, client) = (link.clone(), given.to_string(), client.clone());
    to_the_end(async move { check(&db, &settings, &link, &given, &client).await }).await?
}

async fn check(
    db: &Db,
    settings: &Settings,
    link: &Link,
    given: &str,
    client: &ClientInfo,
) -> anyhow::Result<Verified> {
    let now = now_ms();
    let keys = [
        (link_key(&link.id), MAX_FAILURES_PER_LINK),
        (address_key(&client.addr), MAX_FAILURES_PER_ADDRESS),
    ];
    let event = |outcome: Outcome| {
        let mut e = AuditEvent::new("link.unlock", outcome, Actor::External)
            .tenant(Some(&link.tenant_id))
            .client(client);
        e.link_id = Some(link.id.clone());
        e
    };
    for (key, _) in &keys {
        if throttle::get(db, key)
            .await?
            .is_some_and(|c| c.locked_until > now)
        {
            audit::record(
                db,
                event(Outcome::Refused).reason("locked after repeated wrong passwords"),
            )
            .await?;
            return Ok(Verified::Locked);
        }
    }
    // Count the attempt before checking the password: parallel guesses cannot slip past the
    // limit between a check and an update. A right password takes its attempt back.
    let mut worst = 0;
    let mut over_limit = false;
    let mut locked_link = false;
    let mut locked_any = false;
    for (i, (key, max)) in keys.iter().enumerate() {
        let c = throttle::record_failure(db, key, now, WINDOW_MS, *max, LOCKOUT_MS).await?;
        worst = worst.max(c.failures);
        over_limit |= c.failures > *max;
        if c.locked_until > now {
            locked_any = true;
            locked_link |= i == 0 && c.failures == *max;
        }
    }
    if over_limit {
        audit::record(
            db,
            event(Outcome::Refused).reason("locked after repeated wrong passwords"),
        )
        .await?;
        return Ok(Verified::Locked);
    }
    let ok = given.len() <= password::MAX_LEN
        && password::verify(given.to_string(), link.password_hash.clone()).await?;
    if ok {
        throttle::clear(db, &keys[0].0).await?;
        throttle::forgive_one(db, &keys[1].0, keys[1].1).await?;
        audit::record(db, event(Outcome::Success)).await?;
        return Ok(Verified::Right);
    }
    audit::record(db, event(Outcome::Failure).reason("wrong password")).await?;
    if locked_link {
        let mut e = AuditEvent::new("link.locked", Outcome::Refused, Actor::System)
            .tenant(Some(&link.tenant_id))
            .reason("too many wrong passwords")
            .detail("owner_id", link.owner_id.clone());
        e.link_id = Some(link.id.clone());
        let mut tx = db.pool.begin().await?;
        crate::audit::chain::append(&mut tx, &e).await?;
        super::notify::link_locked(&mut tx, settings, &link.id).await?;
        tx.commit().await?;
    }
    // Slow down guessing: 250 ms more per failure after the second, at most 2 s.
    let delay = (worst - 2).clamp(0, 8) as u64 * 250;
    tokio::time::sleep(Duration::from_millis(delay)).await;
    Ok(if locked_any {
        Verified::Locked
    } else {
        Verified::Wrong
    })
}

/// The unlock cookie, valid only under this link's path.
pub fn cookie(value: String, token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(format!("/s/{token}"))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}
