import crypto from 'node:crypto';
import { z } from 'zod';
import { ALERT_STATUSES } from '../contracts/alert';
import type { GroupJoin, GroupMember, GroupSettings } from '../contracts/group';
import { type Db, inTransaction } from '../db/pool';
import { parseRow, parseRows } from '../db/rows';
import { type GroupEvidence, GROUP_MEMBERS_SHOWN } from '../evidence/bundle';
import { BURST_S, burstGroups, type LinkedAlert, type MemberLinks, type RecentMember } from './links';
import { type GroupRule, matchRule, type RuleMatch, storedTags } from './rules';

const Text = z.string().nullable();

/** A member as MEMBER_COLUMNS reads it. */
export const GroupMemberRow = z.object({
  member_key: z.string(),
  event_id: z.string(),
  monitor_id: z.string(),
  monitor_name: Text,
  service: Text,
  hostname: Text,
  status: z.string(),
  alerted_at: z.date(),
  joined_at: z.date(),
  recovered: z.boolean(),
});
export type GroupMemberRow = z.infer<typeof GroupMemberRow>;

/** A group as GROUP_COLUMNS reads it, with its members' services and hosts and its RCAs' ids. */
export const GroupSummaryRow = z.object({
  id: z.string(),
  account: z.string(),
  workflow_id: z.string(),
  group_key: Text,
  status: z.enum(['open', 'resolved', 'merged']),
  member_count: z.number().int(),
  /** The group this one was merged into (status merged): its members and RCAs are there now. */
  merged_into: Text,
  opened_at: z.date(),
  resolved_at: z.date().nullable(),
  services: z.array(z.string()),
  hosts: z.array(z.string()),
  rca_ids: z.array(z.string()),
});
export type GroupSummaryRow = z.infer<typeof GroupSummaryRow>;

/** One of a group's RCAs with its run's state and its report's headline (null until there is one). */
export const GroupRcaRow = z.object({
  rca_id: z.string(),
  created_at: z.date(),
  status: Text,
  phase: Text,
  root_cause: Text,
  verdict: Text,
  notebook_url: Text,
});
export type GroupRcaRow = z.infer<typeof GroupRcaRow>;

/** A group with its members in firing order and its RCAs. */
export type GroupRow = GroupSummaryRow & { members: GroupMemberRow[]; rcas: GroupRcaRow[] };

/** What a join decided: the group, and whether a matching group was passed over because it was full. */
export interface JoinOutcome extends GroupJoin {
  created: boolean;
  /** A group this member matched was at its maximum size (or past its lifetime), so a new one started. */
  capped: boolean;
  /** The account's rule that grouped the member; absent when it was grouped by its links (host, service, map, change, text). */
  rule?: Pick<GroupRule, 'name' | 'min_members'>;
  /** Younger open groups this member linked to, merged into its group by its join (again on a retried join). */
  merged: GroupMerge[];
}

/** A group merged into another: its workflow, how many members it had, and those members, now the other group's. */
export interface GroupMerge extends GroupJoin {
  memberCount: number;
  members: GroupMember[];
}

type Tx = Pick<Db, 'query'>;

/** The lock join takes for the group's account. */
const lockAccountOf = (tx: Tx, groupId: string) =>
  tx.query(`SELECT pg_advisory_xact_lock(hashtext('incident-groups/' || (SELECT account FROM incident_groups WHERE id = $1)))`, [groupId]);

/** A member moved by a merge, as the merging join reads it back to signal the group that took it. */
const MovedMemberRow = GroupMemberRow.pick({
  member_key: true,
  event_id: true,
  monitor_id: true,
  monitor_name: true,
  service: true,
  hostname: true,
  alerted_at: true,
}).extend({ moved_from: z.string(), account: z.string(), status: z.enum(ALERT_STATUSES) });

/** The member as its group workflow's signal carries it. */
const memberOf = (m: z.infer<typeof MovedMemberRow>): GroupMember => ({
  memberKey: m.member_key,
  eventId: m.event_id,
  account: m.account,
  monitorId: m.monitor_id,
  ...(m.monitor_name ? { monitorName: m.monitor_name } : {}),
  ...(m.service ? { service: m.service } : {}),
  ...(m.hostname ? { hostname: m.hostname } : {}),
  status: m.status,
  alertedAt: m.alerted_at.toISOString(),
});
type Candidate = GroupJoin & { full: boolean; memberCount: number };

export interface GroupFilter {
  account?: string;
  status?: GroupSummaryRow['status'];
  limit: number;
}

/** One member as the API shows it; recovered when its incident had an OK after the member's alert. */
const MEMBER_COLUMNS = `m.member_key, m.event_id::text, m.monitor_id, m.monitor_name, m.service, m.hostname, m.status, m.alerted_at, m.joined_at,
  EXISTS (SELECT 1 FROM webhook_events e JOIN webhook_events ok ON ok.workflow_id = e.workflow_id AND ok.id > e.id AND ok.alert_status = 'OK'
           WHERE e.id = m.event_id) AS recovered`;

const GROUP_COLUMNS = `g.id, g.account, g.workflow_id, g.group_key, g.status, g.member_count, g.merged_into, g.opened_at, g.resolved_at,
  (SELECT coalesce(array_agg(DISTINCT m.service ORDER BY m.service), '{}') FROM incident_group_members m WHERE m.group_id = g.id AND m.service IS NOT NULL) AS services,
  (SELECT coalesce(array_agg(DISTINCT m.hostname ORDER BY m.hostname), '{}') FROM incident_group_members m WHERE m.group_id = g.id AND m.hostname IS NOT NULL) AS hosts,
  (SELECT coalesce(array_agg(r.rca_id ORDER BY r.created_at, r.rca_id), '{}') FROM incident_group_rcas r WHERE r.group_id = g.id) AS rca_ids`;

/**
 * Incident groups in Postgres: incident_groups, their members and their RCAs. Joins and
 * resolutions of one account hold one advisory lock, so a member never joins a group that is
 * resolving, and two alerts of one outage arriving together find the same group.
 */
export class GroupStore {
  constructor(private readonly db: Db) {}

  /**
   * The group the member belongs to: the one it already joined (a retry); else, when one of the
   * account's rules applies, the oldest open group with the rule's key, younger than its window and
   * with room; else the oldest open group of its account, younger than the lifetime, with room, that
   * has a member it is linked to (links.ts: a shared host or service, a service-map neighbour, the
   * same change, a name or zone one's text names); else a new one. A member with no links and no
   * rule matches nothing, so it starts its own group. A member linked to several open groups shows
   * they are one outage: the younger ones merge into the oldest while it has room, so the grouping
   * does not depend on which alert of the outage came first.
   */
  async join(member: GroupMember, settings: GroupSettings, links: MemberLinks): Promise<JoinOutcome> {
    return inTransaction(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`incident-groups/${member.account}`]);
      const {
        rows: [already],
      } = await tx.query<GroupJoin>(
        `SELECT g.id AS "groupId", g.workflow_id AS "workflowId" FROM incident_group_members m JOIN incident_groups g ON g.id = m.group_id
          WHERE m.member_key = $1`,
        [member.memberKey],
      );
      if (already) return { ...already, created: false, capped: false, merged: await this.mergedBy(tx, member.memberKey) };

      const match = await this.ruleFor(tx, member);
      const matching = match
        ? await this.ruleGroups(tx, member.account, match, settings)
        : await this.linkedGroups(tx, member, links, settings);
      const [open, ...younger] = matching.filter((g) => !g.full);
      const group = open ?? (await this.create(tx, member.account, match?.groupKey));
      await tx.query(
        `INSERT INTO incident_group_members (group_id, member_key, event_id, monitor_id, monitor_name, service, hostname, status, alerted_at,
                                             names, places, mentions, bursts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          group.groupId,
          member.memberKey,
          member.eventId,
          member.monitorId,
          member.monitorName ?? null,
          member.service ?? null,
          member.hostname ?? null,
          member.status,
          member.alertedAt,
          links.names,
          links.places,
          links.mentions,
          links.bursts,
        ],
      );
      await tx.query('UPDATE incident_groups SET member_count = member_count + 1 WHERE id = $1', [group.groupId]);
      // A rule's key is the whole decision; links chain, so a member linked to two groups joins them.
      const merged = open && !match ? await this.merge(tx, open, younger, member.memberKey, settings) : [];
      return {
        groupId: group.groupId,
        workflowId: group.workflowId,
        created: !open,
        capped: !open && matching.length > 0,
        ...(match ? { rule: { name: match.rule.name, min_members: match.rule.min_members } } : {}),
        merged,
      };
    });
  }

  /**
   * Moves the members and RCAs of the younger groups into `into`, oldest first, while it stays
   * within the maximum size, and marks them merged by `memberKey`.
   */
  private async merge(tx: Tx, into: Candidate, younger: Candidate[], memberKey: string, settings: GroupSettings): Promise<GroupMerge[]> {
    let room = settings.maxMembers - (into.memberCount + 1);
    const absorbed: string[] = [];
    for (const g of younger)
      if (g.memberCount <= room) {
        absorbed.push(g.groupId);
        room -= g.memberCount;
      }
    if (absorbed.length === 0) return [];
    await tx.query(`UPDATE incident_groups SET status = 'merged', merged_into = $1, merged_by = $2 WHERE id = ANY($3)`, [
      into.groupId,
      memberKey,
      absorbed,
    ]);
    await tx.query('UPDATE incident_group_members SET group_id = $1, moved_from = group_id WHERE group_id = ANY($2)', [
      into.groupId,
      absorbed,
    ]);
    await tx.query('UPDATE incident_group_rcas SET group_id = $1 WHERE group_id = ANY($2)', [into.groupId, absorbed]);
    await tx.query(
      'UPDATE incident_groups SET member_count = (SELECT count(*) FROM incident_group_members WHERE group_id = $1) WHERE id = $1',
      [into.groupId],
    );
    return this.mergedBy(tx, memberKey);
  }

  /** The groups `memberKey`'s join merged, with the members that came from each. */
  private async mergedBy(tx: Tx, memberKey: string): Promise<GroupMerge[]> {
    const { rows } = await tx.query<GroupJoin & { memberCount: number }>(
      `SELECT id AS "groupId", workflow_id AS "workflowId", member_count AS "memberCount" FROM incident_groups
        WHERE merged_by = $1 ORDER BY opened_at, id`,
      [memberKey],
    );
    if (rows.length === 0) return [];
    const { rows: moved } = await tx.query(
      `SELECT m.moved_from, g.account, m.member_key, m.event_id::text, m.monitor_id, m.monitor_name, m.service, m.hostname, m.status, m.alerted_at
         FROM incident_group_members m JOIN incident_groups g ON g.id = m.group_id
        WHERE m.moved_from = ANY($1) ORDER BY m.alerted_at, m.event_id`,
      [rows.map((r) => r.groupId)],
    );
    const members = parseRows('incident_group_members', MovedMemberRow, moved);
    return rows.map((g) => ({ ...g, members: members.filter((m) => m.moved_from === g.groupId).map(memberOf) }));
  }

  /** The account's first rule that applies to the member's alert (its tags or labels, host and service). */
  private async ruleFor(tx: Tx, member: GroupMember): Promise<RuleMatch | undefined> {
    const {
      rows: [row],
    } = await tx.query<{ rules: GroupRule[] | null; tags: unknown }>(
      `SELECT (SELECT group_rules FROM accounts WHERE name = $2) AS rules, e.payload->'tags' AS tags FROM webhook_events e WHERE e.id = $1`,
      [member.eventId, member.account],
    );
    if (!row?.rules?.length) return undefined;
    return matchRule(row.rules, { tags: storedTags(row.tags), hostname: member.hostname, service: member.service });
  }

  /** Open groups with the rule's key, opened within its window (and the lifetime); full once at the maximum size. */
  private async ruleGroups(tx: Tx, account: string, match: RuleMatch, settings: GroupSettings): Promise<Candidate[]> {
    const { rows } = await tx.query<Candidate>(
      `SELECT g.id AS "groupId", g.workflow_id AS "workflowId", g.member_count AS "memberCount", g.member_count >= $3 AS full
         FROM incident_groups g
        WHERE g.account = $1 AND g.status = 'open' AND g.group_key = $2 AND g.opened_at > now() - make_interval(secs => $4)
        ORDER BY g.opened_at, g.id`,
      [account, match.groupKey, settings.maxMembers, Math.min(match.rule.window_s, settings.lifetimeS)],
    );
    return rows;
  }

  /**
   * Open groups with a member the new one is linked to (links.ts; places meet only mentions; burst
   * scopes by burstGroups); full at the maximum size or past the lifetime. Host and service equality
   * also finds members stored before links were.
   */
  private async linkedGroups(tx: Tx, member: GroupMember, links: MemberLinks, settings: GroupSettings): Promise<Candidate[]> {
    const bursting = burstGroups(links, links.host ?? member.service, await this.recentMembers(tx, member, links));
    const { rows } = await tx.query<Candidate>(
      `SELECT g.id AS "groupId", g.workflow_id AS "workflowId", g.member_count AS "memberCount",
              (g.member_count >= $4 OR g.opened_at <= now() - make_interval(secs => $5)) AS full
         FROM incident_groups g
        WHERE g.account = $1 AND g.status = 'open'
          AND (g.id = ANY($9::text[])
               OR EXISTS (SELECT 1 FROM incident_group_members m
                           WHERE m.group_id = g.id
                             AND (m.hostname = $2 OR m.service = $3
                                  OR m.names && ($6::text[] || $8::text[]) OR m.mentions && ($6::text[] || $7::text[]) OR m.places && $8::text[])))
        ORDER BY g.opened_at, g.id`,
      [
        member.account,
        // A probe's host only ran it: unrelated probes from one location share it.
        links.host ?? null,
        member.service ?? null,
        settings.maxMembers,
        settings.lifetimeS,
        links.names,
        links.places,
        links.mentions,
        bursting,
      ],
    );
    return rows;
  }

  /** Members of the account's open groups that alerted within BURST_S of the member and share a burst scope with it. */
  private async recentMembers(tx: Tx, member: GroupMember, links: MemberLinks): Promise<RecentMember[]> {
    if (links.bursts.length === 0) return [];
    const { rows } = await tx.query<RecentMember>(
      `SELECT m.group_id AS "groupId", m.bursts, coalesce(m.hostname, m.service, m.member_key) AS subject
         FROM incident_group_members m JOIN incident_groups g ON g.id = m.group_id
        WHERE g.account = $1 AND g.status = 'open' AND m.bursts && $2::text[]
          AND m.alerted_at BETWEEN $3::timestamptz - make_interval(secs => $4) AND $3::timestamptz + make_interval(secs => $4)`,
      [member.account, links.bursts, member.alertedAt, BURST_S],
    );
    return rows;
  }

  /** What the member's links are read from: its alert's tags, title and message as stored. */
  async linkedAlert(member: Pick<GroupMember, 'eventId' | 'service' | 'hostname'>): Promise<LinkedAlert> {
    const {
      rows: [row],
    } = await this.db.query<{
      tags: unknown;
      title: string | null;
      message: string | null;
      monitor_type: string | null;
      scope: string | null;
    }>(
      `SELECT payload->'tags' AS tags, payload->>'alert_title' AS title, payload->>'alert_message' AS message,
              payload->>'monitor_type' AS monitor_type, payload->>'scope' AS scope
         FROM webhook_events WHERE id = $1`,
      [member.eventId],
    );
    return {
      service: member.service,
      hostname: member.hostname,
      tags: storedTags(row?.tags),
      ...(row?.title ? { title: row.title } : {}),
      ...(row?.message ? { message: row.message } : {}),
      ...(row?.monitor_type ? { monitorType: row.monitor_type } : {}),
      ...(row?.scope ? { scope: row.scope } : {}),
    };
  }

  private async create(tx: Tx, account: string, groupKey: string | undefined): Promise<GroupJoin> {
    // Random, not a sequence: group workflow ids must not collide across databases sharing one Temporal.
    const groupId = crypto.randomBytes(8).toString('hex');
    const workflowId = `group/${groupId}`;
    await tx.query('INSERT INTO incident_groups (id, account, workflow_id, group_key) VALUES ($1, $2, $3, $4)', [
      groupId,
      account,
      workflowId,
      groupKey ?? null,
    ]);
    return { groupId, workflowId };
  }

  /**
   * Resolves the group if it has exactly the members its workflow has seen; false when a member
   * joined that the workflow has not heard of yet (its signal is on the way), so it must wait, or
   * when it was merged (the merge's signal is on the way).
   */
  async resolve(groupId: string, membersSeen: number): Promise<boolean> {
    return inTransaction(this.db, async (tx) => {
      await lockAccountOf(tx, groupId);
      const { rows } = await tx.query(
        `UPDATE incident_groups SET status = 'resolved', resolved_at = coalesce(resolved_at, now())
          WHERE id = $1 AND member_count = $2 AND status <> 'merged' RETURNING id`,
        [groupId, membersSeen],
      );
      return rows.length > 0;
    });
  }

  /**
   * Records an RCA of the group before it starts, so its evidence step finds the members; false
   * when the group was merged into another (whose RCA covers its members), so none starts.
   */
  async recordRca(groupId: string, rcaId: string): Promise<boolean> {
    return inTransaction(this.db, async (tx) => {
      await lockAccountOf(tx, groupId);
      const { rows } = await tx.query<{ status: string }>('SELECT status FROM incident_groups WHERE id = $1', [groupId]);
      if (rows[0]?.status === 'merged') return false;
      await tx.query('INSERT INTO incident_group_rcas (rca_id, group_id) VALUES ($1, $2) ON CONFLICT (rca_id) DO NOTHING', [
        rcaId,
        groupId,
      ]);
      return true;
    });
  }

  /** The group an RCA investigates as evidence (its members in firing order, bounded); undefined for a single-alert RCA. */
  async evidenceFor(rcaId: string): Promise<GroupEvidence | undefined> {
    const {
      rows: [group],
    } = await this.db.query<{ id: string }>('SELECT group_id AS id FROM incident_group_rcas WHERE rca_id = $1', [rcaId]);
    if (!group) return undefined;
    const members = await this.members(group.id);
    const distinct = (values: Array<string | null>) => [...new Set(values.filter((v): v is string => !!v))].sort();
    return {
      groupId: group.id,
      memberCount: members.length,
      services: distinct(members.map((m) => m.service)),
      hosts: distinct(members.map((m) => m.hostname)),
      firstToFire: members[0]?.event_id ?? '',
      members: members.slice(0, GROUP_MEMBERS_SHOWN).map((m) => ({
        eventId: m.event_id,
        monitorId: m.monitor_id,
        ...(m.monitor_name ? { monitorName: m.monitor_name } : {}),
        ...(m.service ? { service: m.service } : {}),
        ...(m.hostname ? { hostname: m.hostname } : {}),
        status: m.status,
        at: m.alerted_at.toISOString(),
      })),
    };
  }

  /** Groups newest first, narrowed by the filter's fields that are set. */
  async list(f: GroupFilter): Promise<GroupSummaryRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${GROUP_COLUMNS} FROM incident_groups g
        WHERE ($1::text IS NULL OR g.account = $1) AND ($2::text IS NULL OR g.status = $2)
        ORDER BY g.opened_at DESC, g.id LIMIT $3`,
      [f.account ?? null, f.status ?? null, f.limit],
    );
    return parseRows('incident_groups', GroupSummaryRow, rows);
  }

  /** One group with its members and its RCAs' headlines; undefined when there is none. */
  async find(groupId: string): Promise<GroupRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${GROUP_COLUMNS} FROM incident_groups g WHERE g.id = $1`, [groupId]);
    if (rows[0] === undefined) return undefined;
    const group = parseRow('incident_groups', GroupSummaryRow, rows[0]);
    const { rows: rcas } = await this.db.query(
      `SELECT r.rca_id, r.created_at, run.status, run.phase, rep.report->>'root_cause' AS root_cause, rep.report->>'verdict' AS verdict, rep.notebook_url
         FROM incident_group_rcas r LEFT JOIN rca_runs run ON run.id = r.rca_id LEFT JOIN rca_reports rep ON rep.rca_id = r.rca_id
        WHERE r.group_id = $1 ORDER BY r.created_at, r.rca_id`,
      [groupId],
    );
    return { ...group, members: await this.members(groupId), rcas: parseRows('incident_group_rcas', GroupRcaRow, rcas) };
  }

  private async members(groupId: string): Promise<GroupMemberRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${MEMBER_COLUMNS} FROM incident_group_members m WHERE m.group_id = $1 ORDER BY m.alerted_at, m.event_id`,
      [groupId],
    );
    return parseRows('incident_group_members', GroupMemberRow, rows);
  }
}
