-- A counted download of a file of a limited link grants its browser the right to resume that
-- file (ranges not starting at 0) until the grant expires, even once the limit is used up.
CREATE TABLE download_grants (
    id_hash     TEXT PRIMARY KEY,
    link_id     TEXT NOT NULL REFERENCES links(id),
    file_id     TEXT NOT NULL REFERENCES files(id),
    expires_at  INTEGER NOT NULL
);
CREATE INDEX download_grants_link ON download_grants(link_id);
