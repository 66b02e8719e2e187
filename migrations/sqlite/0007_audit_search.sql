-- Indexes for the auditors' search: every filter narrows within one chain (tenant) and pages by
-- sequence number, so each index ends in seq.
CREATE INDEX audit_events_link ON audit_events(chain, link_id, seq);
CREATE INDEX audit_events_file ON audit_events(chain, file_id, seq);
CREATE INDEX audit_events_actor ON audit_events(chain, actor_user_id, seq);
CREATE INDEX audit_events_action ON audit_events(chain, action, seq);
CREATE INDEX audit_events_time ON audit_events(chain, occurred_at);
CREATE INDEX audit_events_client ON audit_events(chain, client_addr, seq);
