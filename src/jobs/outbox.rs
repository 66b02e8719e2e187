//! Delivers the outbox: each due mail is claimed with a lease (one instance sends it), sent, and
//! marked sent, or retried with backoff (10 s doubling to 15 min) until it is given up as failed.

use std::time::Duration;

use lettre::message::Mailbox;

use crate::db::Db;
use crate::domain::time::now_ms;
use crate::mail::outbox;
use crate::mail::Mailer;

/// A claimed mail is left to this instance for this long (a send that hangs longer is retried).
const LEASE_MS: i64 = 5 * 60 * 1000;

pub fn retry_delay_ms(attempts: i64) -> i64 {
    (10_000i64 * 2i64.pow(attempts.clamp(0, 10) as u32)).min(15 * 60 * 1000)
}

pub async fn run(db: Db, mailer: Mailer, from: Mailbox, max_attempts: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &mailer, &from, max_attempts).await {
            tracing::warn!(error = %format!("{e:#}"), "outbox run failed");
        }
    }
}

pub async fn run_once(
    db: &Db,
    mailer: &Mailer,
    from: &Mailbox,
    max_attempts: u32,
) -> anyhow::Result<usize> {
    let due = outbox::claim_due(db, now_ms(), LEASE_MS, 20).await?;
    let mut sent = 0;
    for mail in due {
        match mailer.send(from, &mail).await {
            Ok(()) => {
                outbox::mark_sent(db, &mail.id).await?;
                sent += 1;
            }
            Err(e) => {
                let attempts = mail.attempts + 1;
                let next = (attempts < i64::from(max_attempts))
                    .then(|| now_ms() + retry_delay_ms(mail.attempts));
                tracing::warn!(kind = mail.kind, attempts, error = %format!("{e:#}"), "mail not delivered");
                outbox::mark_attempt_failed(db, &mail.id, &format!("{e:#}"), next).await?;
            }
        }
    }
    Ok(sent)
}
