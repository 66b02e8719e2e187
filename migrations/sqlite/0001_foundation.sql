-- Tenants, accounts, sessions, API tokens, login throttling and the audit chain.
-- Times are milliseconds since the Unix epoch (UTC); flags are 0/1.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT 'de',
    suspended   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT REFERENCES tenants(id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT,
    language      TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_tenant ON users(tenant_id);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_throttle (
    key                TEXT PRIMARY KEY,
    failures           INTEGER NOT NULL,
    window_started_at  INTEGER NOT NULL,
    locked_until       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit_chains (
    chain      TEXT PRIMARY KEY,
    last_seq   INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
);

CREATE TABLE audit_events (
    id             TEXT PRIMARY KEY,
    chain          TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    tenant_id      TEXT,
    occurred_at    INTEGER NOT NULL,
    actor_kind     TEXT NOT NULL,
    actor_user_id  TEXT,
    actor_label    TEXT,
    client_addr    TEXT,
    user_agent     TEXT,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    link_id        TEXT,
    file_id        TEXT,
    reason         TEXT,
    details        TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_events_tenant_time ON audit_events(tenant_id, occurred_at);
