-- Data protection per tenant: how long audit records are kept (0: for ever) and how client
-- addresses are stored (full, shortened to the network part, or not at all). Records older
-- than the retention are removed only through a checkpoint that the chain itself signs off
-- (an audit.retention record naming the last removed record), so what remains still verifies.
ALTER TABLE tenants ADD COLUMN audit_retention_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN client_address_mode TEXT NOT NULL DEFAULT 'full';

CREATE TABLE audit_checkpoints (
    chain         TEXT PRIMARY KEY,
    through_seq   BIGINT NOT NULL,
    through_hash  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
