-- Up Migration
-- The Claude analyst's conversation, one row per message, so each model turn and each tool call
-- is its own activity and workflow history carries only small outcomes. seq 0 is the system
-- prompt, seq 1 the evidence; a retried turn overwrites its row, a retried tool call finds its result.
CREATE TABLE rca_messages (
  rca_id     text NOT NULL REFERENCES rca_runs (id) ON DELETE CASCADE,
  seq        integer NOT NULL,
  role       text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content    jsonb NOT NULL,
  -- The model's token usage for an assistant message: what the token budget is summed from.
  usage      jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rca_id, seq)
);

-- Down Migration
DROP TABLE rca_messages;
