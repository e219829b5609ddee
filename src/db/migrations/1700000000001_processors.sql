-- Up Migration
-- The exact bytes Datadog sent: the forward processor relays them unchanged.
ALTER TABLE webhook_events ADD COLUMN raw_body text;

-- Tier-1 processor settings per account; the whole document is sealed (it holds webhook URLs and signing secrets).
CREATE TABLE processor_configs (
  account    text PRIMARY KEY,
  config_enc text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per side effect (event, processor, target): the run record and the ledger that makes it happen once.
CREATE TABLE processor_runs (
  id          bigserial PRIMARY KEY,
  event_id    bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  processor   text NOT NULL,
  target      text NOT NULL,
  label       text NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'succeeded', 'failed', 'in_doubt')),
  attempts    integer NOT NULL DEFAULT 1,
  error       text,
  detail      text,
  latency_ms  integer,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (event_id, processor, target)
);

-- Down Migration
DROP TABLE processor_runs;
DROP TABLE processor_configs;
ALTER TABLE webhook_events DROP COLUMN raw_body;
