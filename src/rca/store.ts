import type { AnalysisResult, RcaReport, StoredReport } from '../analysis/report';
import {
  type AnalysisPlan,
  type AnalysisUsage,
  type AnalystName,
  ANALYSTS,
  type RcaPhase,
  type Role,
  type SourceOutcome,
  VERDICTS,
} from '../contracts/rca';
import { z } from 'zod';
import { type Db, inTransaction } from '../db/pool';
import { jsonColumn, parseRow, parseRows } from '../db/rows';
import type { EvidenceBundle, InvestigationRead } from '../evidence/bundle';

/** A prefetched source with what it fetched. */
export interface StoredSource extends SourceOutcome {
  data: Record<string, unknown> | null;
}

/** A stored report with what its notebook is built from. */
export interface PublishableReport {
  event_id: string;
  account: string;
  analyst: AnalysisResult['analyst'] | null;
  model: string | null;
  report: StoredReport;
  usage: AnalysisUsage | null;
  timings: AnalysisResult['timings'] | null;
  notebook_id: string | null;
  resolved_at: Date | null;
  bundle: EvidenceBundle | null;
}

/** A report's notebook as the transaction publishing it sees it. */
export interface NotebookState {
  notebook_id: string | null;
  resolved_at: Date | null;
}

/** The notebook fields of a report, read and written inside the transaction of underNotebookLock. */
export interface LockedNotebook {
  state(rcaId: string): Promise<NotebookState | undefined>;
  record(rcaId: string, notebookId: number, url: string): Promise<void>;
}

/** A report with its event and newest feedback: what the similar-incident index embeds. */
export interface IndexableReport {
  report: RcaReport;
  notebook_url: string | null;
  created_at: Date;
  account: string;
  event_id: string;
  monitor_id: string;
  monitor_name: string | null;
  service: string | null;
  hostname: string | null;
  title: string | null;
  verdict: 'confirmed' | 'rejected' | null;
  corrected_root_cause: string | null;
  corrected_category: string | null;
}

export interface RcaFilter {
  status?: string;
  event_id?: string;
  category?: string;
  account?: string;
  limit: number;
}

export interface FeedbackInput {
  verdict: 'confirmed' | 'rejected';
  root_cause?: string;
  category?: string;
  comment?: string;
}

/** Where an RCA run is: running, its evidence built, completed with a report, or failed. */
export const RCA_STATUSES = ['running', 'evidence_ready', 'completed', 'failed'] as const;

const Text = z.string().nullable();
const Analyst = z.enum(ANALYSTS).nullable();
const Usage = jsonColumn<AnalysisUsage>().nullable();
const Timings = jsonColumn<AnalysisResult['timings']>().nullable();
const Bundle = jsonColumn<EvidenceBundle>();

/** An rca_runs row with its report's columns, as the API shows one RCA. */
export const RunRow = z.object({
  id: z.string(),
  event_id: z.string(),
  account: z.string(),
  role: Text,
  role_reason: Text,
  phase: z.string(),
  status: z.enum(RCA_STATUSES),
  error: Text,
  analyst: Analyst,
  model: Text,
  created_at: z.date(),
  updated_at: z.date(),
  report: jsonColumn<StoredReport>().nullable(),
  usage: Usage,
  timings: Timings,
  notebook_url: Text,
  resolved_at: z.date().nullable(),
});
export type RunRow = z.infer<typeof RunRow>;

/** An RCA in the list: the run with its report's headline. */
export const RunSummaryRow = RunRow.pick({
  id: true,
  event_id: true,
  account: true,
  role: true,
  phase: true,
  status: true,
  analyst: true,
  created_at: true,
}).extend({ category: Text, root_cause: Text, verdict: z.enum(VERDICTS).nullable(), notebook_url: Text });
export type RunSummaryRow = z.infer<typeof RunSummaryRow>;

/** A run with its evidence's summary and bundle (null before the evidence step). */
export const RunEvidenceRow = RunRow.pick({
  id: true,
  event_id: true,
  account: true,
  role: true,
  role_reason: true,
  phase: true,
  status: true,
  error: true,
  created_at: true,
  updated_at: true,
}).extend({ summary: Text, token_estimate: z.number().int().nullable(), bundle: Bundle.nullable() });
export type RunEvidenceRow = z.infer<typeof RunEvidenceRow>;

/** One prefetched source's outcome, as the API shows it. */
export const SourceOutcomeRow = z.object({
  source: z.string(),
  status: z.enum(['ok', 'empty', 'failed', 'skipped']),
  reason: Text,
  items: z.number().int(),
  fetched_at: z.date(),
});
export type SourceOutcomeRow = z.infer<typeof SourceOutcomeRow>;

/** A person's verdict on an RCA, as stored. */
export const FeedbackRow = z.object({
  id: z.string(),
  rca_id: z.string(),
  verdict: z.enum(['confirmed', 'rejected']),
  corrected_root_cause: Text,
  corrected_category: Text,
  comment: Text,
  created_at: z.date(),
});
export type FeedbackRow = z.infer<typeof FeedbackRow>;

const NotebookRow = z.object({ rca_id: z.string(), account: z.string(), notebook_id: Text, resolved_at: z.date().nullable() });

/** Feedback whose re-index of its RCA is still to start. */
export const PendingReindex = z.object({ id: z.string(), rca_id: z.string() });
export type PendingReindex = z.infer<typeof PendingReindex>;

const RUN_COLUMNS = `r.id, r.event_id::text, r.account, r.role, r.role_reason, r.phase, r.status, r.error, r.analyst, r.model,
  r.created_at, r.updated_at, rep.report, rep.usage, rep.timings, rep.notebook_url, rep.resolved_at`;

/**
 * RCA runs in Postgres: rca_runs and what hangs off one run (its sources, evidence, report and
 * feedback). Writes that retried activities make are keyed by RCA id (an upsert or an UPDATE),
 * so a retry rewrites the same row and nothing twice.
 */
export class RcaStore {
  constructor(private readonly db: Db) {}

  /** Registers the run; a run already registered is left as it is. */
  async start(rcaId: string, eventId: string, account: string): Promise<void> {
    await this.db.query(
      `INSERT INTO rca_runs (id, event_id, account, phase, status) VALUES ($1, $2, $3, 'classify', 'running') ON CONFLICT (id) DO NOTHING`,
      [rcaId, eventId, account],
    );
  }

  /** Moves the run to a phase; the phases that end a stage set its status too. */
  async setPhase(rcaId: string, phase: RcaPhase, role?: { role: Role; reason: string }, error?: string): Promise<void> {
    await this.db.query(
      `UPDATE rca_runs SET phase = $2, role = coalesce($3, role), role_reason = coalesce($4, role_reason), error = $5,
         status = CASE $2 WHEN 'failed' THEN 'failed' WHEN 'analyse' THEN 'evidence_ready' WHEN 'done' THEN 'completed' ELSE status END, updated_at = now()
       WHERE id = $1`,
      [rcaId, phase, role?.role ?? null, role?.reason ?? null, error ?? null],
    );
  }

  async setAnalyst(rcaId: string, plan: Pick<AnalysisPlan, 'analyst' | 'model'>): Promise<void> {
    await this.db.query('UPDATE rca_runs SET analyst = $2, model = $3, updated_at = now() WHERE id = $1', [
      rcaId,
      plan.analyst,
      plan.model ?? null,
    ]);
  }

  /** The analyst and model planned for the run; empty when the run does not exist. */
  async plannedAnalyst(rcaId: string): Promise<{ analyst?: AnalystName | null; model?: string | null }> {
    const { rows } = await this.db.query('SELECT analyst, model FROM rca_runs WHERE id = $1', [rcaId]);
    return rows[0] === undefined ? {} : parseRow('rca_runs', RunRow.pick({ analyst: true, model: true }), rows[0]);
  }

  /** The run's account and evidence bundle (null before the evidence step); undefined when the run does not exist. */
  async accountAndBundle(rcaId: string): Promise<{ account: string; bundle: EvidenceBundle | null } | undefined> {
    const { rows } = await this.db.query(
      'SELECT r.account, e.bundle FROM rca_runs r LEFT JOIN rca_evidence e ON e.rca_id = r.id WHERE r.id = $1',
      [rcaId],
    );
    return rows[0] === undefined ? undefined : parseRow('rca_runs', z.object({ account: z.string(), bundle: Bundle.nullable() }), rows[0]);
  }

  /** Records one source's outcome and data, replacing an earlier fetch of that source. */
  async saveSource(rcaId: string, outcome: SourceOutcome, data: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO rca_sources (rca_id, source, status, reason, items, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (rca_id, source) DO UPDATE SET status = excluded.status, reason = excluded.reason,
         items = excluded.items, data = excluded.data, fetched_at = now()`,
      [rcaId, outcome.source, outcome.status, outcome.reason ?? null, outcome.items, data === undefined ? null : JSON.stringify(data)],
    );
  }

  /** The fetched sources with their data, for building the evidence. */
  async sources(rcaId: string): Promise<StoredSource[]> {
    const { rows } = await this.db.query<StoredSource>(
      'SELECT source, status, reason, items, data FROM rca_sources WHERE rca_id = $1 ORDER BY source',
      [rcaId],
    );
    return rows;
  }

  /** The fetched sources' outcomes without their data, as the API shows them. */
  async sourceOutcomes(rcaId: string): Promise<SourceOutcomeRow[]> {
    const { rows } = await this.db.query(
      'SELECT source, status, reason, items, fetched_at FROM rca_sources WHERE rca_id = $1 ORDER BY source',
      [rcaId],
    );
    return parseRows('rca_sources', SourceOutcomeRow, rows);
  }

  async saveEvidence(rcaId: string, bundle: EvidenceBundle, summary: string): Promise<void> {
    await this.db.query(
      `INSERT INTO rca_evidence (rca_id, bundle, summary, token_estimate) VALUES ($1, $2, $3, $4)
       ON CONFLICT (rca_id) DO UPDATE SET bundle = excluded.bundle, summary = excluded.summary, token_estimate = excluded.token_estimate, created_at = now()`,
      [rcaId, JSON.stringify(bundle), summary, bundle.tokenEstimate],
    );
  }

  /** Adds what the investigating analyst read to the bundle (a retry writes the same reads again). */
  async saveInvestigation(rcaId: string, reads: InvestigationRead[]): Promise<void> {
    await this.db.query(`UPDATE rca_evidence SET bundle = jsonb_set(bundle, '{investigation}', $2::jsonb) WHERE rca_id = $1`, [
      rcaId,
      JSON.stringify(reads),
    ]);
  }

  /** The evidence bundle; undefined before the evidence step. */
  async bundle(rcaId: string): Promise<EvidenceBundle | undefined> {
    const { rows } = await this.db.query('SELECT bundle FROM rca_evidence WHERE rca_id = $1', [rcaId]);
    return rows[0] === undefined ? undefined : parseRow('rca_evidence', z.object({ bundle: Bundle }), rows[0]).bundle;
  }

  /** Stores the report under the run's event; a report already stored is rewritten, its notebook fields kept. */
  async saveReport(rcaId: string, report: RcaReport, by: Pick<AnalysisResult, 'analyst' | 'model' | 'usage' | 'timings'>): Promise<void> {
    await this.db.query(
      `INSERT INTO rca_reports (rca_id, event_id, analyst, model, report, usage, timings)
       SELECT $1, event_id, $2, $3, $4, $5, $6 FROM rca_runs WHERE id = $1
       ON CONFLICT (rca_id) DO UPDATE SET analyst = excluded.analyst, model = excluded.model, report = excluded.report,
         usage = excluded.usage, timings = excluded.timings, updated_at = now()`,
      [rcaId, by.analyst, by.model ?? null, JSON.stringify(report), JSON.stringify(by.usage), JSON.stringify(by.timings)],
    );
  }

  /**
   * Whether an OK transition of the run's incident arrived after the run's alert; for a group's RCA,
   * whether the group resolved (every member recovered), since one recovery does not end the outage.
   */
  async incidentRecovered(rcaId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM incident_group_rcas WHERE rca_id = $1)
        THEN EXISTS (SELECT 1 FROM incident_group_rcas gr JOIN incident_groups g ON g.id = gr.group_id WHERE gr.rca_id = $1 AND g.status = 'resolved')
        ELSE EXISTS (SELECT 1 FROM rca_runs r JOIN webhook_events e ON e.id = r.event_id
         JOIN webhook_events later ON later.workflow_id = e.workflow_id AND later.id > e.id AND later.alert_status = 'OK'
        WHERE r.id = $1) END AS recovered`,
      [rcaId],
    );
    return parseRow('rca_runs', z.object({ recovered: z.boolean() }), rows[0]).recovered;
  }

  /** The incident's own RCAs with a published notebook not marked resolved yet (a group's RCAs resolve with their group). */
  async unresolvedNotebooks(incidentWorkflowId: string): Promise<string[]> {
    const { rows } = await this.db.query(
      `SELECT rep.rca_id FROM rca_reports rep JOIN webhook_events e ON e.id = rep.event_id
        WHERE e.workflow_id = $1 AND rep.notebook_id IS NOT NULL AND rep.resolved_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM incident_group_rcas gr WHERE gr.rca_id = rep.rca_id) ORDER BY rep.rca_id`,
      [incidentWorkflowId],
    );
    return parseRows('rca_reports', z.object({ rca_id: z.string() }), rows).map((r) => r.rca_id);
  }

  async indexable(rcaId: string): Promise<IndexableReport | undefined> {
    const {
      rows: [row],
    } = await this.db.query<IndexableReport>(
      `SELECT r.report, r.notebook_url, r.created_at, e.account, e.id::text AS event_id, e.monitor_id, e.monitor_name, e.service, e.hostname,
              e.payload->>'alert_title' AS title, f.verdict, f.corrected_root_cause, f.corrected_category
         FROM rca_reports r JOIN rca_runs run ON run.id = r.rca_id JOIN webhook_events e ON e.id = run.event_id
         LEFT JOIN LATERAL (SELECT * FROM rca_feedback WHERE rca_id = r.rca_id ORDER BY id DESC LIMIT 1) f ON true
        WHERE r.rca_id = $1`,
      [rcaId],
    );
    return row;
  }

  async publishable(rcaId: string): Promise<PublishableReport | undefined> {
    const {
      rows: [row],
    } = await this.db.query<PublishableReport>(
      `SELECT r.event_id::text, run.account, r.analyst, r.model, r.report, r.usage, r.timings,
              r.notebook_id::text, r.resolved_at, e.bundle
         FROM rca_reports r JOIN rca_runs run ON run.id = r.rca_id LEFT JOIN rca_evidence e ON e.rca_id = r.rca_id
        WHERE r.rca_id = $1`,
      [rcaId],
    );
    return row;
  }

  /**
   * Runs fn in one transaction holding the advisory lock `lock`: a publish that overlaps another
   * of the same notebook (a retry of a slow attempt, a re-run) waits, then sees what it stored.
   */
  async underNotebookLock<T>(lock: string, fn: (notebook: LockedNotebook) => Promise<T>): Promise<T> {
    return inTransaction(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
      return fn({
        async state(rcaId) {
          const {
            rows: [state],
          } = await tx.query<NotebookState>('SELECT notebook_id::text, resolved_at FROM rca_reports WHERE rca_id = $1', [rcaId]);
          return state;
        },
        async record(rcaId, notebookId, url) {
          await tx.query('UPDATE rca_reports SET notebook_id = $2, notebook_url = $3, updated_at = now() WHERE rca_id = $1', [
            rcaId,
            notebookId,
            url,
          ]);
        },
      });
    });
  }

  /** The reports of an event (`123`) or of one RCA (`rca/123…`), oldest first, with their notebooks. */
  async notebooksOf(eventIdOrRcaId: string): Promise<Array<z.infer<typeof NotebookRow>>> {
    const byEvent = /^\d+$/.test(eventIdOrRcaId);
    const { rows } = await this.db.query(
      `SELECT r.rca_id, run.account, r.notebook_id::text, r.resolved_at
         FROM rca_reports r JOIN rca_runs run ON run.id = r.rca_id
        WHERE ${byEvent ? 'r.event_id = $1::bigint' : 'r.rca_id = $1'} ORDER BY r.created_at, r.rca_id`,
      [eventIdOrRcaId],
    );
    return parseRows('rca_reports', NotebookRow, rows);
  }

  /** Marks the reports resolved at `at`, unless already marked: the first recovery's time stays. */
  async markResolved(rcaIds: string[], at: string): Promise<void> {
    await this.db.query(
      'UPDATE rca_reports SET resolved_at = coalesce(resolved_at, $2::timestamptz), updated_at = now() WHERE rca_id = ANY($1::text[])',
      [rcaIds, at],
    );
  }

  /** The run with its report's columns, as the API shows it. */
  async find(rcaId: string): Promise<RunRow | undefined> {
    const { rows } = await this.db.query(
      `SELECT ${RUN_COLUMNS} FROM rca_runs r LEFT JOIN rca_reports rep ON rep.rca_id = r.id WHERE r.id = $1`,
      [rcaId],
    );
    return rows[0] === undefined ? undefined : parseRow('rca_runs', RunRow, rows[0]);
  }

  /** Runs newest first, with their report's headline, narrowed by the filter's fields that are set. */
  async list(f: RcaFilter): Promise<RunSummaryRow[]> {
    const { rows } = await this.db.query(
      `SELECT r.id, r.event_id::text, r.account, r.role, r.phase, r.status, r.analyst, r.created_at,
              rep.report->>'category' AS category, rep.report->>'root_cause' AS root_cause, rep.report->>'verdict' AS verdict, rep.notebook_url
         FROM rca_runs r LEFT JOIN rca_reports rep ON rep.rca_id = r.id
        WHERE ($1::text IS NULL OR r.status = $1) AND ($2::bigint IS NULL OR r.event_id = $2)
          AND ($3::text IS NULL OR rep.report->>'category' = $3) AND ($4::text IS NULL OR r.account = $4)
        ORDER BY r.created_at DESC LIMIT $5`,
      [f.status ?? null, f.event_id ?? null, f.category ?? null, f.account ?? null, f.limit],
    );
    return parseRows('rca_runs', RunSummaryRow, rows);
  }

  /** The run's status with its evidence's summary and bundle (null before the evidence step). */
  async withEvidence(rcaId: string): Promise<RunEvidenceRow | undefined> {
    const { rows } = await this.db.query(
      `SELECT r.id, r.event_id::text, r.account, r.role, r.role_reason, r.phase, r.status, r.error, r.created_at, r.updated_at,
              e.summary, e.token_estimate, e.bundle
         FROM rca_runs r LEFT JOIN rca_evidence e ON e.rca_id = r.id WHERE r.id = $1`,
      [rcaId],
    );
    return rows[0] === undefined ? undefined : parseRow('rca_runs', RunEvidenceRow, rows[0]);
  }

  /** How many runs the event has had: the number of its next re-run. */
  async countForEvent(eventId: string): Promise<number> {
    const { rows } = await this.db.query('SELECT count(*)::int AS n FROM rca_runs WHERE event_id = $1', [eventId]);
    return parseRow('rca_runs', z.object({ n: z.number().int() }), rows[0]).n;
  }

  /** Feedback whose re-index has not started yet, oldest first (they keep no back-off). */
  async pendingReindexes(limit = 100): Promise<PendingReindex[]> {
    const { rows } = await this.db.query(
      `SELECT id::text, rca_id FROM rca_feedback WHERE reindex_status = 'pending' ORDER BY id LIMIT $1`,
      [limit],
    );
    return parseRows('rca_feedback', PendingReindex, rows);
  }

  /** Why the feedback's re-index did not start; it stays pending for the reconciler. */
  async noteReindexError(feedbackId: string, error: string): Promise<void> {
    await this.db.query('UPDATE rca_feedback SET reindex_error = $2 WHERE id = $1', [feedbackId, error.slice(0, 500)]);
  }

  async markReindexStarted(feedbackId: string): Promise<void> {
    await this.db.query(`UPDATE rca_feedback SET reindex_status = 'started', reindex_error = NULL WHERE id = $1`, [feedbackId]);
  }

  /** Stores a person's verdict on the run; the similar-incident index reads the newest. */
  async addFeedback(rcaId: string, feedback: FeedbackInput): Promise<FeedbackRow> {
    const { rows } = await this.db.query(
      `INSERT INTO rca_feedback (rca_id, verdict, corrected_root_cause, corrected_category, comment) VALUES ($1, $2, $3, $4, $5)
       RETURNING id::text, rca_id, verdict, corrected_root_cause, corrected_category, comment, created_at`,
      [rcaId, feedback.verdict, feedback.root_cause ?? null, feedback.category ?? null, feedback.comment ?? null],
    );
    return parseRow('rca_feedback', FeedbackRow, rows[0]);
  }
}
