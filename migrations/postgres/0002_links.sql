-- Links, their files (with scan state), unlocks of password-protected links, and the first tenant
-- policies links need. Times in epoch milliseconds.

ALTER TABLE tenants ADD COLUMN link_default_days BIGINT NOT NULL DEFAULT 7;
ALTER TABLE tenants ADD COLUMN link_max_days BIGINT NOT NULL DEFAULT 30;
-- How long files stay in storage after their link ended (0 = removed at expiry).
ALTER TABLE tenants ADD COLUMN file_retention_days BIGINT NOT NULL DEFAULT 0;

CREATE TABLE links (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    owner_id         TEXT NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    -- The token itself, encrypted with the server key, so staff can copy the link again.
    token_sealed     TEXT NOT NULL,
    title            TEXT NOT NULL,
    message          TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    password_hash    TEXT,
    password_version BIGINT NOT NULL DEFAULT 0,
    max_downloads    BIGINT,
    download_count   BIGINT NOT NULL DEFAULT 0,
    revoked_at       BIGINT,
    purged_at        BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX links_tenant_owner ON links(tenant_id, owner_id, created_at);
CREATE INDEX links_expiry ON links(expires_at);

CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    link_id       TEXT NOT NULL REFERENCES links(id),
    name          TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    storage_key   TEXT NOT NULL,
    scan_state    TEXT NOT NULL,
    scan_detail   TEXT,
    scan_attempts BIGINT NOT NULL DEFAULT 0,
    next_scan_at  BIGINT,
    uploaded_by   TEXT,
    created_at    BIGINT NOT NULL,
    deleted_at    BIGINT
);
CREATE INDEX files_link ON files(link_id);
CREATE INDEX files_scan ON files(scan_state, next_scan_at);

CREATE TABLE unlocks (
    id_hash          TEXT PRIMARY KEY,
    link_id          TEXT NOT NULL REFERENCES links(id),
    password_version BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX unlocks_link ON unlocks(link_id);
