import { z } from 'zod';
import type { Db } from '../db/pool';
import { parseRow, parseRows } from '../db/rows';
import type { TriagePhase } from '../contracts/triage';
import type { Triage, TriageContext } from './triage';

/** A triage with the issue event it is about. */
export interface TriageRow {
  id: string;
  event_id: string;
  action: string | null;
  repository: string;
  issue_number: number;
  payload: Record<string, unknown>;
  context: TriageContext | null;
  result: Triage | null;
  analyst: string | null;
  model: string | null;
  comment_url: string | null;
  created_at: Date;
}

/** A finished triage as stored: the analyst's usage carries its timings and reasoning too. */
export interface StoredTriage {
  triage: Triage;
  analyst: string;
  model?: string;
  usage: Record<string, unknown>;
}

const Text = z.string().nullable();

/** A triage's headline, as a delivery's row in the API shows it (all null before its triage starts). */
export const TriageSummaryRow = z.object({
  triage_phase: Text,
  triage_status: Text,
  kind: Text,
  confidence: z.number().nullable(),
  comment_url: Text,
});
export type TriageSummaryRow = z.infer<typeof TriageSummaryRow>;

const NO_TRIAGE: TriageSummaryRow = { triage_phase: null, triage_status: null, kind: null, confidence: null, comment_url: null };

/** A github_triage row as the API shows it: where it is, what it found and what it wrote to GitHub. */
export const TriageDetailRow = z.object({
  phase: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  analyst: Text,
  model: Text,
  result: z.unknown(),
  usage: z.unknown(),
  context: z.unknown(),
  comment_url: Text,
  comment_note: Text,
  labels_added: z.array(z.string()).nullable(),
  closed: z.boolean(),
  error: Text,
  created_at: z.date(),
  updated_at: z.date(),
});
export type TriageDetailRow = z.infer<typeof TriageDetailRow>;

const TriageTotals = z.object({
  triaged: z.number().int(),
  comments_posted: z.number().int(),
  closed_as_duplicate: z.number().int(),
  failed: z.number().int(),
  estimated_cost_usd: z.number(),
});
const KindCount = z.object({ k: z.string().nullable(), n: z.number().int() });

/**
 * Issue triages in Postgres (github_triage, over github_issue_events), and what the triage reads
 * of the alerts Rayne has seen. Writes are keyed by triage id, so a retried activity rewrites
 * the same row; the row is created once.
 */
export class TriageStore {
  constructor(private readonly db: Db) {}

  /** Creates the triage's row; one already created is left as it is. */
  async start(triageId: string, eventId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO github_triage (id, event_id, phase, status) VALUES ($1, $2, 'context', 'running') ON CONFLICT (id) DO NOTHING`,
      [triageId, eventId],
    );
  }

  async find(triageId: string): Promise<TriageRow | undefined> {
    const {
      rows: [row],
    } = await this.db.query<TriageRow>(
      `SELECT t.id, t.event_id::text, e.action, e.repository, e.issue_number, e.payload, t.context, t.result, t.analyst, t.model, t.comment_url, t.created_at
         FROM github_triage t JOIN github_issue_events e ON e.id = t.event_id WHERE t.id = $1`,
      [triageId],
    );
    return row;
  }

  /** The headline of each triage named, by id; a triage not stored yet has all fields null. */
  async summaries(triageIds: ReadonlyArray<string | null>): Promise<Map<string | null, TriageSummaryRow>> {
    const ids = triageIds.filter((id): id is string => id !== null);
    const { rows } = ids.length
      ? await this.db.query(
          `SELECT id, phase AS triage_phase, status AS triage_status, result->>'kind' AS kind, (result->>'confidence')::float AS confidence, comment_url
             FROM github_triage WHERE id = ANY($1)`,
          [ids],
        )
      : { rows: [] };
    const found = new Map(parseRows('github_triage', TriageSummaryRow.extend({ id: z.string() }), rows).map(({ id, ...t }) => [id, t]));
    return new Map(triageIds.map((id) => [id, (id !== null && found.get(id)) || NO_TRIAGE]));
  }

  /** The triage as the API shows it; undefined before it starts. */
  async detail(triageId: string): Promise<TriageDetailRow | undefined> {
    const { rows } = await this.db.query(
      `SELECT phase, status, analyst, model, result, usage, context, comment_url, comment_note, labels_added, closed, error, created_at, updated_at
         FROM github_triage WHERE id = $1`,
      [triageId],
    );
    return rows[0] === undefined ? undefined : parseRow('github_triage', TriageDetailRow, rows[0]);
  }

  /** Totals over every triage (comments posted, closed as duplicates, failed, cost), and counts by the kind found. */
  async stats(): Promise<z.infer<typeof TriageTotals> & { byKind: Record<string, number> }> {
    const { rows: totals } = await this.db.query(
      `SELECT count(*)::int AS triaged, count(comment_url)::int AS comments_posted, count(*) FILTER (WHERE closed)::int AS closed_as_duplicate,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              coalesce(sum((usage->>'estimatedCostUsd')::numeric), 0)::float AS estimated_cost_usd
         FROM github_triage`,
    );
    const { rows: kinds } = await this.db.query(
      `SELECT result->>'kind' AS k, count(*)::int AS n FROM github_triage WHERE result IS NOT NULL GROUP BY 1`,
    );
    return {
      ...parseRow('github_triage', TriageTotals, totals[0]),
      byKind: Object.fromEntries(parseRows('github_triage', KindCount, kinds).map((r) => [String(r.k), r.n])),
    };
  }

  /** Moves the triage to a phase; `done` completes it. */
  async setPhase(triageId: string, phase: TriagePhase): Promise<void> {
    await this.update(triageId, { phase, ...(phase === 'done' ? { status: 'completed' } : {}) });
  }

  async fail(triageId: string, error: string): Promise<void> {
    await this.update(triageId, { status: 'failed', error: error.slice(0, 2000) });
  }

  async saveContext(triageId: string, context: TriageContext): Promise<void> {
    await this.update(triageId, { context: JSON.stringify(context) });
  }

  async setAnalyst(triageId: string, analyst: string, model?: string): Promise<void> {
    await this.update(triageId, { analyst, model: model ?? null });
  }

  async saveResult(triageId: string, { triage, analyst, model, usage }: StoredTriage): Promise<void> {
    await this.update(triageId, { result: JSON.stringify(triage), analyst, model: model ?? null, usage: JSON.stringify(usage) });
  }

  /** Why no comment was posted. */
  async noteComment(triageId: string, note: string): Promise<void> {
    await this.update(triageId, { comment_note: note });
  }

  /** The posted comment; `note` says how it was found when it was not posted now. */
  async recordComment(triageId: string, comment: { id: number; url: string; note: string | null }): Promise<void> {
    await this.update(triageId, { comment_id: comment.id, comment_url: comment.url, comment_note: comment.note });
  }

  async recordLabels(triageId: string, labels: string[]): Promise<void> {
    await this.update(triageId, { labels_added: labels });
  }

  async markClosed(triageId: string): Promise<void> {
    await this.update(triageId, { closed: true });
  }

  // Column names come from the methods above, never from input; values are parameters.
  private update(triageId: string, fields: Record<string, unknown>) {
    const names = Object.keys(fields);
    return this.db.query(
      `UPDATE github_triage SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
      [triageId, ...names.map((n) => fields[n])],
    );
  }
}
