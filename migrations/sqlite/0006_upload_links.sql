-- Upload links: what a partner may send through a link, and who sent what. One submission is one
-- form post (or one curl call) with its files; limits are counted on the link so that concurrent
-- submissions can never exceed them together.

ALTER TABLE links ADD COLUMN max_files INTEGER;
ALTER TABLE links ADD COLUMN max_bytes INTEGER;
ALTER TABLE links ADD COLUMN max_file_bytes INTEGER;
-- Allowed kinds of file (keys of domain::file_type, comma separated); NULL allows any.
ALTER TABLE links ADD COLUMN allowed_types TEXT;
ALTER TABLE links ADD COLUMN require_identity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN notify_uploads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN single_use INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN closed_at INTEGER;
ALTER TABLE links ADD COLUMN received_files INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN received_bytes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE submissions (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    link_id       TEXT NOT NULL REFERENCES links(id),
    sender_name   TEXT,
    sender_email  TEXT,
    client_addr   TEXT NOT NULL,
    user_agent    TEXT,
    -- SHA-256 of the secret in the sender's receipt cookie: only that browser sees the receipt.
    receipt_hash  TEXT NOT NULL,
    file_count    INTEGER NOT NULL,
    total_bytes   INTEGER NOT NULL,
    -- The owner wants a notice once every file of this submission has a verdict.
    notify        INTEGER NOT NULL,
    notified_at   INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX submissions_link ON submissions(link_id, created_at);

ALTER TABLE files ADD COLUMN submission_id TEXT REFERENCES submissions(id);
CREATE INDEX files_submission ON files(submission_id);
