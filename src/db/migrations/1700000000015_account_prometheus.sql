-- Up Migration
-- An account may read evidence from a Prometheus server; its credentials are sealed like the Datadog keys.
-- An account may also have no Datadog keys at all: they are then stored as '' (api_key_set is false).
ALTER TABLE accounts ADD COLUMN prometheus_url text;
ALTER TABLE accounts ADD COLUMN prometheus_auth text NOT NULL DEFAULT 'none' CHECK (prometheus_auth IN ('none', 'bearer', 'basic'));
ALTER TABLE accounts ADD COLUMN prometheus_auth_enc text;

-- Down Migration
ALTER TABLE accounts DROP COLUMN prometheus_auth_enc;
ALTER TABLE accounts DROP COLUMN prometheus_auth;
ALTER TABLE accounts DROP COLUMN prometheus_url;
