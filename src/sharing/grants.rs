//! Resuming a download of a limited link: the counted request leaves a grant (an opaque cookie
//! for this one file); only its holder may fetch later ranges, also after the limit is used up.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::db::Db;
use crate::domain::secret::{looks_like_token, random_token, secret_hash};
use crate::domain::time::now_ms;

pub const COOKIE: &str = "bote_grant";
/// How long an interrupted download can be resumed.
const GRANT_TTL_MS: i64 = 24 * 3600 * 1000;

/// Issues a grant and returns the cookie value.
pub async fn issue(
    db: &Db,
    link_id: &str,
    file_id: &str,
    link_expires_at: i64,
) -> sqlx::Result<String> {
    let raw = random_token();
    sqlx::query("INSERT INTO download_grants (id_hash, link_id, file_id, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(secret_hash(&raw))
        .bind(link_id)
        .bind(file_id)
        .bind((now_ms() + GRANT_TTL_MS).min(link_expires_at))
        .execute(&db.pool)
        .await?;
    Ok(raw)
}

/// Whether the request holds a live grant for this file of this link.
pub async fn holds(db: &Db, req: &HttpRequest, link_id: &str, file_id: &str) -> sqlx::Result<bool> {
    let Some(raw) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(false);
    };
    if !looks_like_token(&raw) {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM download_grants
         WHERE id_hash = $1 AND link_id = $2 AND file_id = $3 AND expires_at > $4",
    )
    .bind(secret_hash(&raw))
    .bind(link_id)
    .bind(file_id)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await?;
    Ok(n == 1)
}

/// The grant cookie, valid only under this file's URL.
pub fn cookie(value: String, token: &str, file_id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(format!("/s/{token}/files/{file_id}"))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}
