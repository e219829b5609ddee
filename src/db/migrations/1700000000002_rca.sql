-- Up Migration
-- One row per rcaWorkflow run (rca/{eventId}, re-runs rca/{eventId}/rerun-{n}).
CREATE TABLE rca_runs (
  id          text PRIMARY KEY,
  event_id    bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  account     text NOT NULL,
  role        text,
  role_reason text,
  phase       text NOT NULL,
  status      text NOT NULL CHECK (status IN ('running', 'evidence_ready', 'failed')),
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rca_runs_event ON rca_runs (event_id);

-- What each prefetch source returned (or why it did not), keyed so a retried activity overwrites its own row.
CREATE TABLE rca_sources (
  rca_id     text NOT NULL REFERENCES rca_runs (id) ON DELETE CASCADE,
  source     text NOT NULL,
  status     text NOT NULL CHECK (status IN ('ok', 'empty', 'failed', 'skipped')),
  reason     text,
  items      integer NOT NULL DEFAULT 0,
  data       jsonb,
  fetched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rca_id, source)
);

-- The bounded evidence bundle the analyst sees; workflow history carries only its id and summary.
CREATE TABLE rca_evidence (
  rca_id         text PRIMARY KEY REFERENCES rca_runs (id) ON DELETE CASCADE,
  bundle         jsonb NOT NULL,
  summary        text NOT NULL,
  token_estimate integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE rca_evidence;
DROP TABLE rca_sources;
DROP TABLE rca_runs;
