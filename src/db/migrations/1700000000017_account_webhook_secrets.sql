-- Up Migration
-- An account may authenticate its own Alertmanager or Grafana deliveries (a bearer token or basic auth) and
-- verify its own PagerDuty signatures; sealed like its other keys. Without them, RAYNE_WEBHOOK_SECRET and
-- PAGERDUTY_WEBHOOK_SECRET apply.
ALTER TABLE accounts ADD COLUMN webhook_auth text NOT NULL DEFAULT 'none' CHECK (webhook_auth IN ('none', 'bearer', 'basic'));
ALTER TABLE accounts ADD COLUMN webhook_auth_enc text;
ALTER TABLE accounts ADD COLUMN pagerduty_secret_enc text;

-- Down Migration
ALTER TABLE accounts DROP COLUMN pagerduty_secret_enc;
ALTER TABLE accounts DROP COLUMN webhook_auth_enc;
ALTER TABLE accounts DROP COLUMN webhook_auth;
