-- Up Migration
-- Events whose workflow never starts end in a state of their own instead of staying pending_start:
-- rejected (Temporal refuses the start as it is: id, search attribute or payload too large, invalid
-- argument) and dead_letter (the start kept failing while Temporal answered). last_error says why.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_status_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_status_check
  CHECK (status IN ('pending_start', 'started', 'processed', 'rejected', 'dead_letter'));
ALTER TABLE github_issue_events DROP CONSTRAINT github_issue_events_status_check;
ALTER TABLE github_issue_events ADD CONSTRAINT github_issue_events_status_check
  CHECK (status IN ('skipped', 'pending_start', 'started', 'rejected', 'dead_letter'));

-- Down Migration
UPDATE webhook_events SET status = 'pending_start' WHERE status IN ('rejected', 'dead_letter');
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_status_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_status_check CHECK (status IN ('pending_start', 'started', 'processed'));
UPDATE github_issue_events SET status = 'pending_start' WHERE status IN ('rejected', 'dead_letter');
ALTER TABLE github_issue_events DROP CONSTRAINT github_issue_events_status_check;
ALTER TABLE github_issue_events ADD CONSTRAINT github_issue_events_status_check CHECK (status IN ('skipped', 'pending_start', 'started'));
