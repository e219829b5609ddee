-- Up Migration
-- Burst scopes (issue 21, src/groups/links.ts): a member's Kubernetes cluster, whether it is about
-- the cluster's own platform, and whether its alert says a host was lost. They join members only
-- within a short window (burstGroups). Rows from before have none.
ALTER TABLE incident_group_members ADD COLUMN bursts text[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE incident_group_members DROP COLUMN bursts;
