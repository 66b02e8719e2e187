//! Failure counters for login throttling, kept in the database so they survive restarts and hold
//! across instances.

use sqlx::FromRow;

use super::Db;

#[derive(Debug, Clone, Copy, FromRow)]
pub struct Counter {
    pub failures: i64,
    pub window_started_at: i64,
    pub locked_until: i64,
}

pub async fn get(db: &Db, key: &str) -> sqlx::Result<Option<Counter>> {
    sqlx::query_as(
        "SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&db.pool)
    .await
}

/// Counts one failure atomically: a window older than `window_ms` starts over; reaching
/// `max_failures` locks the key until `now + lockout_ms`. Returns the counter after the update.
pub async fn record_failure(
    db: &Db,
    key: &str,
    now: i64,
    window_ms: i64,
    max_failures: i64,
    lockout_ms: i64,
) -> sqlx::Result<Counter> {
    sqlx::query_as(
        "INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $5 ELSE 0 END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.window_started_at < $2 - $3
                           THEN 1 ELSE login_throttle.failures + 1 END,
           window_started_at = CASE WHEN login_throttle.window_started_at < $2 - $3
                           THEN $2 ELSE login_throttle.window_started_at END,
           locked_until = CASE
                           WHEN login_throttle.window_started_at >= $2 - $3
                                AND login_throttle.failures + 1 >= $4
                           THEN $2 + $5
                           ELSE login_throttle.locked_until END
         RETURNING failures, window_started_at, locked_until",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .bind(max_failures)
    .bind(lockout_ms)
    .fetch_one(&db.pool)
    .await
}

pub async fn clear(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Takes back one counted attempt (a reserved attempt that turned out to be right); a lock that
/// this very attempt set is lifted again.
pub async fn forgive_one(db: &Db, key: &str, max_failures: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1,
            locked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE locked_until END
         WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .bind(max_failures)
    .execute(&db.pool)
    .await?;
    Ok(())
}
