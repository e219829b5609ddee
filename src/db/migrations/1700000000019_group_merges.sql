-- Up Migration
-- Groups merge (issue 21): an alert linked to two open groups shows they are one outage, so the
-- younger group's members and RCAs move to the older one and the younger is 'merged' into it.
-- merged_by is the member whose join merged it, so a retried join signals the merge again;
-- moved_from tells which members came over.
ALTER TABLE incident_groups DROP CONSTRAINT incident_groups_status_check;
ALTER TABLE incident_groups
  ADD CONSTRAINT incident_groups_status_check CHECK (status IN ('open', 'resolved', 'merged')),
  ADD COLUMN merged_into text REFERENCES incident_groups (id),
  ADD COLUMN merged_by   text;
CREATE INDEX incident_groups_merged_by ON incident_groups (merged_by) WHERE merged_by IS NOT NULL;
ALTER TABLE incident_group_members ADD COLUMN moved_from text;

-- Down Migration
ALTER TABLE incident_group_members DROP COLUMN moved_from;
UPDATE incident_groups SET status = 'resolved', resolved_at = coalesce(resolved_at, now()) WHERE status = 'merged';
DROP INDEX incident_groups_merged_by;
ALTER TABLE incident_groups DROP CONSTRAINT incident_groups_status_check;
ALTER TABLE incident_groups
  DROP COLUMN merged_into,
  DROP COLUMN merged_by,
  ADD CONSTRAINT incident_groups_status_check CHECK (status IN ('open', 'resolved'));
