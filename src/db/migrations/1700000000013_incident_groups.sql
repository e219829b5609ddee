-- Up Migration
-- Incident groups (issue 21): alerts of one outage, investigated by one RCA. A group is open to new
-- members while it is younger than its lifetime and smaller than its cap; it is resolved, by its
-- group workflow, when every member has recovered. A member is one incident episode
-- (incident/{account}/{monitor}/{scope}#{episode}), so an escalation within the episode joins once.
CREATE TABLE incident_groups (
  id           text PRIMARY KEY,
  account      text NOT NULL,
  workflow_id  text NOT NULL,
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  member_count integer NOT NULL DEFAULT 0,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz
);
CREATE INDEX incident_groups_account_open ON incident_groups (account, opened_at DESC) WHERE status = 'open';
CREATE INDEX incident_groups_opened_at ON incident_groups (opened_at DESC);

CREATE TABLE incident_group_members (
  group_id    text NOT NULL REFERENCES incident_groups (id) ON DELETE CASCADE,
  member_key  text NOT NULL,
  event_id    bigint NOT NULL,
  monitor_id  text NOT NULL,
  monitor_name text,
  service     text,
  hostname    text,
  status      text NOT NULL,
  alerted_at  timestamptz NOT NULL,
  joined_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, member_key)
);
-- One group per member: a retried join finds the group it joined.
CREATE UNIQUE INDEX incident_group_members_key ON incident_group_members (member_key);
CREATE INDEX incident_group_members_service ON incident_group_members (service) WHERE service IS NOT NULL;
CREATE INDEX incident_group_members_hostname ON incident_group_members (hostname) WHERE hostname IS NOT NULL;

-- The group's RCAs: the first, and each bounded re-analysis.
CREATE TABLE incident_group_rcas (
  rca_id     text PRIMARY KEY,
  group_id   text NOT NULL REFERENCES incident_groups (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_group_rcas_group ON incident_group_rcas (group_id);

-- Down Migration
DROP TABLE incident_group_rcas;
DROP TABLE incident_group_members;
DROP TABLE incident_groups;
