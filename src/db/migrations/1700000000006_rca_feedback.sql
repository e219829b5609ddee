-- Up Migration
-- An RCA is completed once analysed (evidence_ready is the state between).
ALTER TABLE rca_runs DROP CONSTRAINT rca_runs_status_check;
ALTER TABLE rca_runs ADD CONSTRAINT rca_runs_status_check CHECK (status IN ('running', 'evidence_ready', 'completed', 'failed'));
ALTER TABLE rca_runs ADD COLUMN analyst text, ADD COLUMN model text;

-- What people said about a report; the newest verdict is folded into the similar-incident payload.
CREATE TABLE rca_feedback (
  id                   bigserial PRIMARY KEY,
  rca_id               text NOT NULL REFERENCES rca_runs (id) ON DELETE CASCADE,
  verdict              text NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
  corrected_root_cause text,
  corrected_category   text,
  comment              text,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rca_feedback_rca ON rca_feedback (rca_id, id DESC);

-- Down Migration
DROP TABLE rca_feedback;
ALTER TABLE rca_runs DROP COLUMN analyst, DROP COLUMN model;
ALTER TABLE rca_runs DROP CONSTRAINT rca_runs_status_check;
ALTER TABLE rca_runs ADD CONSTRAINT rca_runs_status_check CHECK (status IN ('running', 'evidence_ready', 'failed'));
