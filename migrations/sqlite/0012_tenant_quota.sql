-- Storage quota per tenant: the most bytes its files may take together (NULL = unlimited).
-- Usage is the sum of the sizes of the tenant's files that are not deleted (infected files, whose
-- blobs are removed at once, do not count); the index lets that sum be read from the index alone.
ALTER TABLE tenants ADD COLUMN storage_quota_bytes INTEGER;
CREATE INDEX files_tenant_usage ON files(tenant_id, deleted_at, scan_state, size);
