-- Up Migration
-- A console sign-in. The browser's cookie carries a random id; this table keeps only its HMAC
-- under the API token, so a copy of the table signs nobody in, and changing the token ends every
-- session. Signing out deletes the row; an expired row is refused, and swept at the next sign-in.
CREATE TABLE console_sessions (
  id_hash bytea PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

-- Down Migration
DROP TABLE console_sessions;
