-- Up Migration
-- Every signed GitHub delivery, once (X-GitHub-Delivery), whether it starts a triage or is skipped.
CREATE TABLE github_issue_events (
  id             bigserial PRIMARY KEY,
  delivery_id    text NOT NULL UNIQUE,
  event          text NOT NULL,
  action         text,
  repository     text,
  issue_number   integer,
  issue_title    text,
  issue_url      text,
  sender         text,
  payload        jsonb NOT NULL,
  status         text NOT NULL CHECK (status IN ('skipped', 'pending_start', 'started')),
  skip_reason    text,
  workflow_id    text,
  run_id         text,
  start_attempts integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  last_error     text,
  received_at    timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz
);
CREATE INDEX github_issue_events_pending ON github_issue_events (id) WHERE status = 'pending_start';
CREATE INDEX github_issue_events_issue ON github_issue_events (repository, issue_number);

-- One row per githubIssueWorkflow (github/{deliveryId}): its context, result and what it wrote to GitHub.
CREATE TABLE github_triage (
  id           text PRIMARY KEY,
  event_id     bigint NOT NULL REFERENCES github_issue_events (id) ON DELETE CASCADE,
  phase        text NOT NULL,
  status       text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  context      jsonb,
  analyst      text,
  model        text,
  result       jsonb,
  usage        jsonb,
  comment_id   bigint,
  comment_url  text,
  comment_note text,
  labels_added text[],
  closed       boolean NOT NULL DEFAULT false,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX github_triage_event ON github_triage (event_id);

-- The triage analyst's conversation, as rca_messages is the RCA analyst's.
CREATE TABLE github_triage_messages (
  triage_id  text NOT NULL REFERENCES github_triage (id) ON DELETE CASCADE,
  seq        integer NOT NULL,
  role       text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content    jsonb NOT NULL,
  usage      jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (triage_id, seq)
);

-- Down Migration
DROP TABLE github_triage_messages;
DROP TABLE github_triage;
DROP TABLE github_issue_events;
