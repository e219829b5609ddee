import { z } from 'zod';
import { ALERT_SOURCES, ALERT_STATUSES, type AlertSource, EVENT_STATUSES, RETRYABLE_STATES } from '../contracts/alert';
import type { TransitionRecord } from '../contracts/incident';
import { type Db, inTransaction } from '../db/pool';
import { parseRow, parseRows } from '../db/rows';
import { claimUntil, StartLedger } from '../db/start-ledger';
import type { KnownEntities } from '../github/mentions';
import type { TriageContext } from '../github/triage';

const Text = z.string().nullable();

/** A webhook_events row's own columns: the alert's names and where its start is. */
const EventColumns = z.object({
  id: z.string(),
  account: z.string(),
  source: z.enum(ALERT_SOURCES),
  monitor_id: z.string(),
  alert_id: Text,
  transition_id: Text,
  alert_status: z.enum(ALERT_STATUSES),
  monitor_name: Text,
  hostname: Text,
  service: Text,
  scope: z.string(),
  status: z.enum(EVENT_STATUSES),
  workflow_id: z.string(),
  run_id: Text,
  start_attempts: z.number().int(),
  last_error: Text,
  received_at: z.date(),
  started_at: z.date().nullable(),
  processed_at: z.date().nullable(),
});

/** A webhook_events row as the event list shows it: with the incident group of its episode, if any. */
export const EventSummaryRow = EventColumns.extend({ group_id: Text });
export type EventSummaryRow = z.infer<typeof EventSummaryRow>;

/** A webhook_events row as the intake and the workflows' activities read it: with the alert's time and payload. */
export const EventRow = EventColumns.extend({
  /** When the transition happened, as its source says; null when it did not say. */
  event_time: z.date().nullable(),
  /** Datadog's payload as received, or another source's alert in its field names (see intake/alert.ts). */
  payload: z.record(z.string(), z.unknown()),
});
export type EventRow = z.infer<typeof EventRow>;

/** A webhook_events row as the API shows one event: with the workflow's recorded decision and the payload. */
export const EventDetailRow = EventSummaryRow.extend({
  /** The TransitionRecord the incident workflow stored; null until it processed the event. */
  processing: z.unknown(),
  payload: z.record(z.string(), z.unknown()),
});
export type EventDetailRow = z.infer<typeof EventDetailRow>;

/** A processor_runs row as the event's detail shows it: one tier-1 effect and how it went. */
export const ProcessorRunRow = z.object({
  processor: z.string(),
  target: z.string(),
  status: z.enum(['sending', 'succeeded', 'failed', 'in_doubt']),
  attempts: z.number().int(),
  error: Text,
  detail: Text,
  latency_ms: z.number().int().nullable(),
  started_at: z.date(),
  finished_at: z.date().nullable(),
});
export type ProcessorRunRow = z.infer<typeof ProcessorRunRow>;

/** What the event list is narrowed by; unset fields do not narrow. */
export interface EventFilter {
  status?: string;
  monitor_id?: string;
  source?: AlertSource;
  account?: string;
  alert_status?: string;
  /** ISO 8601: received at or after. */
  since?: string;
  /** Events with a lower id than this one (the page after it). */
  cursor?: string;
  limit: number;
}

/** A stored event's values as the intake writes them; text is already storable. */
export interface NewEvent {
  dedupKey: string;
  account: string;
  source: AlertSource;
  monitorId: string;
  alertId?: string;
  transitionId?: string;
  status: string;
  monitorName?: string;
  hostname?: string;
  service?: string;
  scope: string;
  eventTime?: string;
  payload: Record<string, unknown>;
  rawBody?: string;
  workflowId: string;
}

/** One tier-1 effect's row: the event, the processor and its target. */
export interface EffectKey {
  eventId: string;
  processor: string;
  target: string;
  label: string;
}

const COLUMNS = `id::text, account, source, monitor_id, alert_id, transition_id, alert_status, monitor_name,
  hostname, service, scope, status, workflow_id, run_id, start_attempts, last_error, received_at, started_at, processed_at`;
// An event's group is its episode's: the member {workflow id}#{first run id}#{episode} (before run ids,
// {workflow id}#{episode}) that joined last at or before it, since a monitor's next incident reuses the workflow id.
const SUMMARY_COLUMNS = `${COLUMNS},
  (SELECT m.group_id FROM incident_group_members m
    WHERE starts_with(m.member_key, webhook_events.workflow_id || '#')
      AND right(m.member_key, length(webhook_events.processing->>'episode') + 1) = '#' || (webhook_events.processing->>'episode')
      AND m.alerted_at <= webhook_events.received_at
    ORDER BY m.alerted_at DESC LIMIT 1) AS group_id`;
const EVENT_COLUMNS = `${COLUMNS}, event_time, payload`;

const RECENT_ALERT_DAYS = 7;
const EntityNames = z.object({ services: z.array(z.string()), hosts: z.array(z.string()) });
const MonitorName = z.object({ id: z.string(), name: Text });
const RecentAlertRow = EventColumns.pick({
  monitor_id: true,
  monitor_name: true,
  alert_status: true,
  service: true,
  hostname: true,
  received_at: true,
}).extend({
  event_id: z.string(),
  root_cause: Text,
});

const Counts = z.array(z.object({ k: z.string(), n: z.number().int() }));
const Totals = z.object({ total: z.number().int(), last_24h: z.number().int(), incidents: z.number().int() });
const NotStarted = z.array(z.object({ source: z.enum(ALERT_SOURCES), status: z.enum(RETRYABLE_STATES), n: z.number().int() }));

/**
 * Alert events in Postgres: webhook_events (one row per delivered transition, from every source)
 * and processor_runs (the tier-1 effects run for each). Rows are checked against the schemas
 * above as they are read, so a table and its readers cannot drift apart unseen.
 */
export class EventStore {
  /** The start bookkeeping of webhook_events, for WorkflowStarts. */
  readonly starts: StartLedger;

  constructor(private readonly db: Db) {
    this.starts = new StartLedger(db, 'webhook_events');
  }

  /**
   * Stores the event claimed for its first start (for claimSeconds); undefined when an event with
   * its dedup key is stored already.
   */
  async insert(e: NewEvent, claimSeconds: number): Promise<EventRow | undefined> {
    const { rows } = await this.db.query(
      `INSERT INTO webhook_events (dedup_key, account, source, monitor_id, alert_id, transition_id, alert_status,
         monitor_name, hostname, service, scope, event_time, payload, raw_body, status, workflow_id, start_attempts, last_attempt_at, start_claimed_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending_start', $15, 1, now(), ${claimUntil(claimSeconds)})
       ON CONFLICT (dedup_key) DO NOTHING RETURNING ${EVENT_COLUMNS}`,
      [
        e.dedupKey,
        e.account,
        e.source,
        e.monitorId,
        e.alertId ?? null,
        e.transitionId ?? null,
        e.status,
        e.monitorName ?? null,
        e.hostname ?? null,
        e.service ?? null,
        e.scope,
        e.eventTime ?? null,
        JSON.stringify(e.payload),
        e.rawBody ?? null,
        e.workflowId,
      ],
    );
    return rows[0] === undefined ? undefined : this.event(rows[0]);
  }

  /** The event; undefined when there is none. */
  async find(id: string): Promise<EventRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : this.event(rows[0]);
  }

  /** The event with the workflow's decision, as the API shows it; undefined when there is none. */
  async detail(id: string): Promise<EventDetailRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${SUMMARY_COLUMNS}, processing, payload FROM webhook_events WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : parseRow('webhook_events', EventDetailRow, rows[0]);
  }

  /** The event stored under the dedup key; undefined when there is none. */
  async findByDedupKey(key: string): Promise<EventRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE dedup_key = $1`, [key]);
    return rows[0] === undefined ? undefined : this.event(rows[0]);
  }

  /** The event when a person may retry it (rejected or dead_letter); else undefined. */
  async findRetryable(id: string): Promise<EventRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE id = $1 AND status = ANY($2)`, [
      id,
      RETRYABLE_STATES,
    ]);
    return rows[0] === undefined ? undefined : this.event(rows[0]);
  }

  /** Pending events due for a start (see StartLedger.dueCondition), oldest first. */
  async dueForStart(ignoreBackoff: boolean, limit: number): Promise<EventRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE ${this.starts.dueCondition(ignoreBackoff)} ORDER BY id LIMIT $1`,
      [limit],
    );
    return parseRows('webhook_events', EventRow, rows);
  }

  /** Events newest first, narrowed by the filter's fields that are set; one more than the limit says another page follows. */
  async list(f: EventFilter): Promise<EventSummaryRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM webhook_events
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR monitor_id = $2)
          AND ($3::text IS NULL OR account = $3) AND ($4::text IS NULL OR alert_status = $4)
          AND ($5::timestamptz IS NULL OR received_at >= $5) AND ($6::bigint IS NULL OR id < $6)
          AND ($8::text IS NULL OR source = $8)
        ORDER BY id DESC LIMIT $7`,
      [
        f.status ?? null,
        f.monitor_id ?? null,
        f.account ?? null,
        f.alert_status ?? null,
        f.since ?? null,
        f.cursor ?? null,
        f.limit + 1,
        f.source ?? null,
      ],
    );
    return parseRows('webhook_events', EventSummaryRow, rows);
  }

  /** Totals over every event, and counts by event status and by alert status. */
  async stats(): Promise<{ totals: z.infer<typeof Totals>; byStatus: Record<string, number>; byAlertStatus: Record<string, number> }> {
    const { rows } = await this.db.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE received_at > now() - interval '24 hours')::int AS last_24h,
              count(DISTINCT workflow_id)::int AS incidents FROM webhook_events`,
    );
    const countBy = async (column: 'status' | 'alert_status') =>
      Object.fromEntries(
        parseRows(
          'webhook_events',
          Counts.element,
          (await this.db.query(`SELECT ${column} AS k, count(*)::int AS n FROM webhook_events GROUP BY 1`)).rows,
        ).map((r) => [r.k, r.n]),
      );
    return {
      totals: parseRow('webhook_events', Totals, rows[0]),
      byStatus: await countBy('status'),
      byAlertStatus: await countBy('alert_status'),
    };
  }

  /** Events not started for good (rejected, dead_letter), counted by source and status. */
  async notStartedCounts(): Promise<z.infer<typeof NotStarted>> {
    const { rows } = await this.db.query(
      'SELECT source, status, count(*)::int AS n FROM webhook_events WHERE status = ANY($1) GROUP BY 1, 2',
      [RETRYABLE_STATES],
    );
    return parseRows('webhook_events', NotStarted.element, rows);
  }

  /**
   * How many of the incident's events, up to this one, arrived within windowMinutes before it:
   * what tier-1 flapping is judged by.
   */
  async transitionsWithin(event: Pick<EventRow, 'id' | 'workflow_id' | 'received_at'>, windowMinutes: number): Promise<number> {
    const { rows } = await this.db.query(
      `SELECT count(*)::int AS n FROM webhook_events
        WHERE workflow_id = $1 AND id <= $2 AND received_at > $3::timestamptz - make_interval(mins => $4)`,
      [event.workflow_id, event.id, event.received_at, windowMinutes],
    );
    return parseRow('webhook_events', z.object({ n: z.number().int() }), rows[0]).n;
  }

  /**
   * The delivery's text as received (what forward sends, and where a source's own fields are);
   * for an event stored before raw bodies were kept, its payload as Postgres writes it.
   * Undefined when there is no such event.
   */
  async deliveredBody(id: string): Promise<string | undefined> {
    const { rows } = await this.db.query('SELECT coalesce(raw_body, payload::text) AS body FROM webhook_events WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : parseRow('webhook_events', z.object({ body: z.string() }), rows[0]).body;
  }

  /** The services, hosts and monitors Rayne's alerts have named: what a GitHub issue's mentions are matched against. */
  async knownEntities(): Promise<KnownEntities> {
    const { rows: names } = await this.db.query(
      `SELECT array(SELECT DISTINCT service FROM webhook_events WHERE service IS NOT NULL LIMIT 1000) AS services,
              array(SELECT DISTINCT hostname FROM webhook_events WHERE hostname IS NOT NULL LIMIT 1000) AS hosts`,
    );
    const { rows: monitors } = await this.db.query(
      'SELECT DISTINCT ON (monitor_id) monitor_id AS id, monitor_name AS name FROM webhook_events ORDER BY monitor_id, id DESC LIMIT 2000',
    );
    const { services, hosts } = parseRow('webhook_events', EntityNames, names[0]);
    return {
      services,
      hosts,
      monitors: parseRows('webhook_events', MonitorName, monitors).map((m) => ({ id: m.id, ...(m.name ? { name: m.name } : {}) })),
    };
  }

  /** The last week's alerts on what an issue mentions, newest first, each with its latest RCA's root cause. */
  async recentAlerts(mentions: TriageContext['mentions']): Promise<TriageContext['recentAlerts']> {
    if (!mentions.services.length && !mentions.hosts.length && !mentions.monitors.length) return [];
    const { rows } = await this.db.query(
      `SELECT e.id::text AS event_id, e.monitor_id, e.monitor_name, e.alert_status, e.service, e.hostname, e.received_at, rep.report->>'root_cause' AS root_cause
         FROM webhook_events e
         LEFT JOIN LATERAL (SELECT report FROM rca_reports WHERE event_id = e.id ORDER BY created_at DESC LIMIT 1) rep ON true
        WHERE (e.service = ANY($1) OR e.hostname = ANY($2) OR e.monitor_id = ANY($3))
          AND e.received_at > now() - make_interval(days => $4)
        ORDER BY e.id DESC LIMIT 10`,
      [mentions.services, mentions.hosts, mentions.monitors.map((m) => m.id), RECENT_ALERT_DAYS],
    );
    return parseRows('webhook_events', RecentAlertRow, rows).map((r) => ({
      eventId: r.event_id,
      monitorId: r.monitor_id,
      status: r.alert_status,
      at: r.received_at.toISOString(),
      ...(r.monitor_name ? { monitorName: r.monitor_name } : {}),
      ...(r.service ? { service: r.service } : {}),
      ...(r.hostname ? { host: r.hostname } : {}),
      ...(r.root_cause ? { rootCause: r.root_cause } : {}),
    }));
  }

  /**
   * Records how the incident workflow processed the event. An UPDATE keyed by event id, so a
   * retried activity writes the same row again and nothing twice.
   */
  async recordTransition(eventId: string, decision: TransitionRecord): Promise<void> {
    await this.db.query(
      `UPDATE webhook_events
          SET status = 'processed', processing = $2, processed_at = coalesce(processed_at, now())
        WHERE id = $1`,
      [eventId, JSON.stringify(decision)],
    );
  }

  /** The event's tier-1 effects, in the order they were first tried. */
  async processorRuns(eventId: string): Promise<ProcessorRunRow[]> {
    const { rows } = await this.db.query(
      `SELECT processor, label AS target, status, attempts, error, detail, latency_ms, started_at, finished_at
         FROM processor_runs WHERE event_id = $1 ORDER BY id`,
      [eventId],
    );
    return parseRows('processor_runs', ProcessorRunRow, rows);
  }

  /**
   * Counts an attempt of the effect and marks it sending, in one transaction that locks its row;
   * returns the status an earlier attempt left, if any. A row already succeeded or in doubt is left as it is.
   */
  async claimEffect(key: EffectKey): Promise<ProcessorRunRow['status'] | undefined> {
    return inTransaction(this.db, async (tx) => {
      const { rows } = await tx.query(
        'SELECT status FROM processor_runs WHERE event_id = $1 AND processor = $2 AND target = $3 FOR UPDATE',
        [key.eventId, key.processor, key.target],
      );
      const previous =
        rows[0] === undefined ? undefined : parseRow('processor_runs', ProcessorRunRow.pick({ status: true }), rows[0]).status;
      if (previous === undefined) {
        await tx.query(`INSERT INTO processor_runs (event_id, processor, target, label, status) VALUES ($1, $2, $3, $4, 'sending')`, [
          key.eventId,
          key.processor,
          key.target,
          key.label,
        ]);
      } else if (previous !== 'succeeded' && previous !== 'in_doubt') {
        await tx.query(
          `UPDATE processor_runs SET attempts = attempts + 1, status = 'sending', started_at = now(), finished_at = NULL
            WHERE event_id = $1 AND processor = $2 AND target = $3`,
          [key.eventId, key.processor, key.target],
        );
      }
      return previous;
    });
  }

  /** Records how the effect's attempt ended. */
  async settleEffect(
    key: EffectKey,
    status: Exclude<ProcessorRunRow['status'], 'sending'>,
    outcome: { detail?: string; error?: string; latencyMs?: number },
  ): Promise<void> {
    await this.db.query(
      `UPDATE processor_runs SET status = $4, detail = $5, error = $6, latency_ms = $7, finished_at = now()
        WHERE event_id = $1 AND processor = $2 AND target = $3`,
      [
        key.eventId,
        key.processor,
        key.target,
        status,
        outcome.detail?.slice(0, 500) ?? null,
        outcome.error?.slice(0, 1000) ?? null,
        outcome.latencyMs ?? null,
      ],
    );
  }

  private event(row: unknown): EventRow {
    return parseRow('webhook_events', EventRow, row);
  }
}
