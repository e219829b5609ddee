-- Up Migration
-- While one delivery is starting an event's workflow, identical copies arriving at the same moment
-- answer "duplicate" instead of starting or signalling again. The claim ends when the start does
-- (it is cleared), or by itself once a start could no longer be running (a crashed API).
ALTER TABLE webhook_events ADD COLUMN start_claimed_until timestamptz;
ALTER TABLE github_issue_events ADD COLUMN start_claimed_until timestamptz;

-- Down Migration
ALTER TABLE webhook_events DROP COLUMN start_claimed_until;
ALTER TABLE github_issue_events DROP COLUMN start_claimed_until;
