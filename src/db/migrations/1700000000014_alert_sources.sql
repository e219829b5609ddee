-- Up Migration
-- Alerts come from Datadog, Alertmanager, Grafana and PagerDuty into one table; rows before this came from Datadog.
ALTER TABLE webhook_events ADD COLUMN source text NOT NULL DEFAULT 'datadog';
CREATE INDEX webhook_events_source ON webhook_events (source, id DESC);

-- Down Migration
DROP INDEX webhook_events_source;
ALTER TABLE webhook_events DROP COLUMN source;
