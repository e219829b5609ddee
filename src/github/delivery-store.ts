import { z } from 'zod';
import { RETRYABLE_STATES } from '../contracts/alert';
import type { Db } from '../db/pool';
import { parseRow, parseRows } from '../db/rows';
import { claimUntil, StartLedger } from '../db/start-ledger';

/** Where a stored delivery is; skipped ones never ask for a triage (see EVENT_STATUSES for the rest). */
export const DELIVERY_STATUSES = ['skipped', 'pending_start', 'started', 'rejected', 'dead_letter'] as const;

const Text = z.string().nullable();

/** A github_issue_events row: one GitHub delivery, the issue it names, and where its triage's start is. */
export const DeliveryRow = z.object({
  id: z.string(),
  delivery_id: z.string(),
  event: z.string(),
  action: Text,
  repository: Text,
  issue_number: z.number().int().nullable(),
  issue_title: Text,
  issue_url: Text,
  sender: Text,
  status: z.enum(DELIVERY_STATUSES),
  skip_reason: Text,
  workflow_id: Text,
  run_id: Text,
  start_attempts: z.number().int(),
  last_error: Text,
  received_at: z.date(),
  started_at: z.date().nullable(),
});
export type DeliveryRow = z.infer<typeof DeliveryRow>;

/** A delivery with its payload as received. */
export const DeliveryDetailRow = DeliveryRow.extend({ payload: z.record(z.string(), z.unknown()) });
export type DeliveryDetailRow = z.infer<typeof DeliveryDetailRow>;

/** A delivery's values as the GitHub intake writes them; text is already storable. */
export interface NewDelivery {
  deliveryId: string;
  event: string;
  action: string | null;
  repository: string | null;
  issueNumber: number | null;
  issueTitle: string | null;
  issueUrl: string | null;
  sender: string | null;
  payload: Record<string, unknown>;
  /** Set when the delivery asks for a triage: the workflow it starts. Else why it is skipped. */
  start: { workflowId: string } | { skipReason: string };
}

/** What the delivery list is narrowed by; unset fields do not narrow. */
export interface DeliveryFilter {
  status?: string;
  repository?: string;
  action?: string;
  /** Deliveries with a lower id than this one (the page after it). */
  cursor?: string;
  limit: number;
}

const COLUMNS = `id::text, delivery_id, event, action, repository, issue_number, issue_title, issue_url, sender,
  status, skip_reason, workflow_id, run_id, start_attempts, last_error, received_at, started_at`;

const IssueRow = z.object({ repository: z.string(), issue_number: z.number().int(), payload: DeliveryDetailRow.shape.payload });
const Count = z.object({ k: z.string().nullable(), n: z.number().int() });
const Totals = z.object({ total: z.number().int(), last_24h: z.number().int() });
const NotStarted = z.object({ status: z.enum(RETRYABLE_STATES), n: z.number().int() });

/**
 * GitHub deliveries in Postgres (github_issue_events): each stored once per delivery id, skipped or
 * starting one triage. Their triages are TriageStore's. Rows are checked against the schemas above as they are read.
 */
export class DeliveryStore {
  /** The start bookkeeping of github_issue_events, for WorkflowStarts. */
  readonly starts: StartLedger;

  constructor(private readonly db: Db) {
    this.starts = new StartLedger(db, 'github_issue_events');
  }

  /**
   * Stores the delivery, claimed for its first start (for claimSeconds) when it asks for a triage;
   * undefined when a delivery with its id is stored already.
   */
  async insert(d: NewDelivery, claimSeconds: number): Promise<DeliveryRow | undefined> {
    const triage = 'workflowId' in d.start;
    const { rows } = await this.db.query(
      `INSERT INTO github_issue_events (delivery_id, event, action, repository, issue_number, issue_title, issue_url, sender,
         payload, status, skip_reason, workflow_id, start_attempts, last_attempt_at, start_claimed_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $13 > 0 THEN now() END, CASE WHEN $13 > 0 THEN ${claimUntil(claimSeconds)} END)
       ON CONFLICT (delivery_id) DO NOTHING RETURNING ${COLUMNS}`,
      [
        d.deliveryId,
        d.event,
        d.action,
        d.repository,
        d.issueNumber,
        d.issueTitle,
        d.issueUrl,
        d.sender,
        JSON.stringify(d.payload),
        triage ? 'pending_start' : 'skipped',
        'skipReason' in d.start ? d.start.skipReason : null,
        'workflowId' in d.start ? d.start.workflowId : null,
        triage ? 1 : 0,
      ],
    );
    return rows[0] === undefined ? undefined : this.delivery(rows[0]);
  }

  /** The delivery stored under GitHub's delivery id; undefined when there is none. */
  async findByDeliveryId(deliveryId: string): Promise<DeliveryRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${COLUMNS} FROM github_issue_events WHERE delivery_id = $1`, [deliveryId]);
    return rows[0] === undefined ? undefined : this.delivery(rows[0]);
  }

  /** The delivery with its payload; undefined when there is none. */
  async find(id: string): Promise<DeliveryDetailRow | undefined> {
    const { rows } = await this.db.query(`SELECT ${COLUMNS}, payload FROM github_issue_events WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : parseRow('github_issue_events', DeliveryDetailRow, rows[0]);
  }

  /** The issue a triage is about: its delivery's repository, number and payload; undefined when there is no such issues delivery. */
  async issue(id: string): Promise<{ repository: string; issue_number: number; payload: Record<string, unknown> } | undefined> {
    const { rows } = await this.db.query(
      'SELECT repository, issue_number, payload FROM github_issue_events WHERE id = $1 AND repository IS NOT NULL AND issue_number IS NOT NULL',
      [id],
    );
    return rows[0] === undefined ? undefined : parseRow('github_issue_events', IssueRow, rows[0]);
  }

  /** Pending deliveries due for a start (see StartLedger.dueCondition), oldest first. */
  async dueForStart(ignoreBackoff: boolean, limit: number): Promise<DeliveryRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${COLUMNS} FROM github_issue_events WHERE ${this.starts.dueCondition(ignoreBackoff)} ORDER BY id LIMIT $1`,
      [limit],
    );
    return parseRows('github_issue_events', DeliveryRow, rows);
  }

  /** Deliveries newest first, narrowed by the filter's fields that are set; one more than the limit says another page follows. */
  async list(f: DeliveryFilter): Promise<DeliveryRow[]> {
    const { rows } = await this.db.query(
      `SELECT ${COLUMNS} FROM github_issue_events
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR repository = $2)
          AND ($3::text IS NULL OR action = $3) AND ($4::bigint IS NULL OR id < $4)
        ORDER BY id DESC LIMIT $5`,
      [f.status ?? null, f.repository ?? null, f.action ?? null, f.cursor ?? null, f.limit + 1],
    );
    return parseRows('github_issue_events', DeliveryRow, rows);
  }

  /** Totals over every delivery, and counts by status, by event and by the action of issues deliveries. */
  async stats() {
    const { rows } = await this.db.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE received_at > now() - interval '24 hours')::int AS last_24h FROM github_issue_events`,
    );
    // A null key (an issues delivery without an action) counts under "null", as JSON writes it.
    const countBy = async (sql: string) =>
      Object.fromEntries(parseRows('github_issue_events', Count, (await this.db.query(sql)).rows).map((r) => [String(r.k), r.n]));
    return {
      ...parseRow('github_issue_events', Totals, rows[0]),
      byStatus: await countBy('SELECT status AS k, count(*)::int AS n FROM github_issue_events GROUP BY 1'),
      byEvent: await countBy('SELECT event AS k, count(*)::int AS n FROM github_issue_events GROUP BY 1'),
      byAction: await countBy(`SELECT action AS k, count(*)::int AS n FROM github_issue_events WHERE event = 'issues' GROUP BY 1`),
    };
  }

  /** Deliveries not started for good (rejected, dead_letter), counted by status. */
  async notStartedCounts(): Promise<Array<z.infer<typeof NotStarted>>> {
    const { rows } = await this.db.query('SELECT status, count(*)::int AS n FROM github_issue_events WHERE status = ANY($1) GROUP BY 1', [
      RETRYABLE_STATES,
    ]);
    return parseRows('github_issue_events', NotStarted, rows);
  }

  private delivery(row: unknown): DeliveryRow {
    return parseRow('github_issue_events', DeliveryRow, row);
  }
}
