-- Up Migration
-- What ties a group member to the rest of its outage beyond its host and service (issue 21, item 2,
-- src/groups/links.ts): its names (service, host, change, addresses its text names), its places
-- (zone tags) and its mentions (service-map neighbours, words of its text). Rows from before are
-- empty and still join by host and service.
ALTER TABLE incident_group_members
  ADD COLUMN names    text[] NOT NULL DEFAULT '{}',
  ADD COLUMN places   text[] NOT NULL DEFAULT '{}',
  ADD COLUMN mentions text[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE incident_group_members DROP COLUMN names, DROP COLUMN places, DROP COLUMN mentions;
