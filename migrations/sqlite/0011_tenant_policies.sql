-- The rest of a municipality's rules for links and files (see sharing/policy.rs).
-- Sizes in bytes, NULL = only the deployment's limit applies; type lists are comma-separated keys
-- of domain/file_type.rs, NULL = none.

ALTER TABLE tenants ADD COLUMN link_password_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN link_password_min_len INTEGER NOT NULL DEFAULT 8;
ALTER TABLE tenants ADD COLUMN max_file_bytes INTEGER;
ALTER TABLE tenants ADD COLUMN max_link_bytes INTEGER;
ALTER TABLE tenants ADD COLUMN allowed_types TEXT;
ALTER TABLE tenants ADD COLUMN blocked_types TEXT;
ALTER TABLE tenants ADD COLUMN staff_upload_links INTEGER NOT NULL DEFAULT 1;
