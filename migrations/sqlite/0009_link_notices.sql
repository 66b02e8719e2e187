-- Two notices an owner may ask for per link. Downloads of a download link are reported in
-- batches: the download that starts a batch sets download_notice_due_at (in the same statement
-- that counts it); the notice job clears it when it mails the batch, listing the audit records
-- after download_notice_seq (the chain's sequence number of the last record already mailed).
-- The expiry reminder is sent once per expiry: expiry_reminded_at is set when it is mailed and
-- cleared whenever the expiry changes.
ALTER TABLE links ADD COLUMN notify_downloads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN download_notice_due_at INTEGER;
ALTER TABLE links ADD COLUMN download_notice_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN remind_expiry INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN expiry_reminded_at INTEGER;

CREATE INDEX links_download_notice_due ON links(download_notice_due_at);
CREATE INDEX links_expiry_reminder ON links(remind_expiry, expiry_reminded_at, expires_at);
