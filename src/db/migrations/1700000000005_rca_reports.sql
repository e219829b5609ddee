-- Up Migration
-- One report per RCA run and what was published from it: the Datadog notebook (looked up by its
-- stored id first, so a retried publish never creates a second one) and when the monitor recovered.
CREATE TABLE rca_reports (
  rca_id       text PRIMARY KEY REFERENCES rca_runs (id) ON DELETE CASCADE,
  event_id     bigint NOT NULL,
  analyst      text,
  model        text,
  report       jsonb NOT NULL,
  usage        jsonb,
  timings      jsonb,
  notebook_id  bigint,
  notebook_url text,
  resolved_at  timestamptz,
  created_at   timestamptz DEFAULT now(),
  updated_at   timestamptz DEFAULT now()
);
-- Recovery resolves by the alert's event id.
CREATE INDEX rca_reports_event ON rca_reports (event_id);

-- Down Migration
DROP TABLE rca_reports;
