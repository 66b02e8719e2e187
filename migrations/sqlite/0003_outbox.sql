-- Mails waiting to be sent. Each is fully rendered when the event that causes it happens, in the
-- same transaction; the outbox job only delivers.

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT,
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    from_name        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    -- A link mail waits here (state held) until no file of that link is pending any more.
    held_for_link    TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_tenant ON outbox(tenant_id, state);
