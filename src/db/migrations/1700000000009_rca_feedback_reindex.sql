-- Up Migration
-- Feedback whose re-index Temporal has not accepted yet is 'pending'; a reconciler starts it.
-- Rows from before are taken as started (their start was tried once, as before).
ALTER TABLE rca_feedback ADD COLUMN reindex_status text NOT NULL DEFAULT 'started' CHECK (reindex_status IN ('pending', 'started')),
  ADD COLUMN reindex_error text;
ALTER TABLE rca_feedback ALTER COLUMN reindex_status SET DEFAULT 'pending';
CREATE INDEX rca_feedback_reindex_pending ON rca_feedback (id) WHERE reindex_status = 'pending';

-- Down Migration
ALTER TABLE rca_feedback DROP COLUMN reindex_status, DROP COLUMN reindex_error;
