-- Up Migration
CREATE TABLE accounts (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  org_id      text UNIQUE,
  base_url    text NOT NULL,
  api_key_enc text NOT NULL,
  app_key_enc text NOT NULL,
  is_default  boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one default account.
CREATE UNIQUE INDEX accounts_single_default ON accounts (is_default) WHERE is_default;

CREATE TABLE webhook_events (
  id              bigserial PRIMARY KEY,
  dedup_key       text NOT NULL UNIQUE,
  account         text NOT NULL,
  monitor_id      text NOT NULL,
  alert_id        text,
  transition_id   text,
  alert_status    text NOT NULL,
  monitor_name    text,
  hostname        text,
  service         text,
  scope           text NOT NULL,
  event_time      timestamptz,
  payload         jsonb NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending_start', 'started', 'processed')),
  workflow_id     text NOT NULL,
  run_id          text,
  start_attempts  integer NOT NULL DEFAULT 0,
  last_error      text,
  last_attempt_at timestamptz,
  processing      jsonb,
  received_at     timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  processed_at    timestamptz
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE status = 'pending_start';
CREATE INDEX webhook_events_monitor ON webhook_events (monitor_id, id DESC);
CREATE INDEX webhook_events_received ON webhook_events (received_at DESC);

-- Down Migration
DROP TABLE webhook_events;
DROP TABLE accounts;
