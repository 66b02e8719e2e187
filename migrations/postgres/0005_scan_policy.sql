-- Per-tenant rules for files that cannot be scanned, and when each file was last scanned (for
-- the optional periodic rescan).
ALTER TABLE tenants ADD COLUMN unscannable_policy TEXT NOT NULL DEFAULT 'hold';
ALTER TABLE tenants ADD COLUMN scanner_down_policy TEXT NOT NULL DEFAULT 'accept';
ALTER TABLE files ADD COLUMN scanned_at BIGINT;
