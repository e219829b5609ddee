-- Up Migration
-- Grouping rules per account (issue 21, item 2), validated by the API (groups/rules.ts) and read by
-- the join under the account's lock. A group a rule formed carries the rule's key (its name and the
-- group_by values), so later alerts with the same values find it.
ALTER TABLE accounts ADD COLUMN group_rules jsonb NOT NULL DEFAULT '[]';
ALTER TABLE incident_groups ADD COLUMN group_key text;
CREATE INDEX incident_groups_key_open ON incident_groups (account, group_key, opened_at) WHERE status = 'open' AND group_key IS NOT NULL;

-- Down Migration
DROP INDEX incident_groups_key_open;
ALTER TABLE incident_groups DROP COLUMN group_key;
ALTER TABLE accounts DROP COLUMN group_rules;
