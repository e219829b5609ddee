-- Up Migration
-- The investigating analyst's conversation: its tool calls and their results, one row per message
-- in the shape of rca_messages, so each call is its own activity, a retried call finds its result,
-- and a Claude or Ollama run of the same RCA keeps its own conversation beside it.
CREATE TABLE rca_investigation_messages (
  rca_id     text NOT NULL REFERENCES rca_runs (id) ON DELETE CASCADE,
  seq        integer NOT NULL,
  role       text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content    jsonb NOT NULL,
  usage      jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rca_id, seq)
);

-- Down Migration
DROP TABLE rca_investigation_messages;
