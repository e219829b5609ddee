import { Hono } from 'hono';
import { z } from 'zod';
import { renderMarkdown } from '../notebook/notebook';
import { RCA_CATEGORIES } from '../analysis/report';
import { rcaStateQuery } from '../workflows/rca-workflow';
import { ANALYSTS } from '../workflows/rca-types';
import type { ApiDeps } from './app';
import { requireApiToken } from './auth';
import { ApiError } from './errors';
import { temporalRunLink } from './links';
import { readJson, readQuery } from './request';

/** "123" stands for the first run of event 123 (rca/123); a full id such as rca/123/rerun-1 may be given URL-encoded. */
export function rcaIdOf(param: string): string {
  const id = /^\d+$/.test(param) ? `rca/${param}` : param;
  if (!/^rca\/\d+(\/rerun-\d+)?$/.test(id)) throw new ApiError('BAD_REQUEST', 'an RCA id is an event id (123) or a full id such as rca/123/rerun-1');
  return id;
}

const RcaFilters = z.object({
  status: z.enum(['running', 'evidence_ready', 'completed', 'failed']).optional(),
  event_id: z.string().regex(/^\d+$/).optional(),
  category: z.enum(RCA_CATEGORIES).optional(),
  account: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const Rerun = z.strictObject({ analyst: z.enum(ANALYSTS).optional(), model: z.string().min(1).max(100).optional() });
const Feedback = z.strictObject({
  verdict: z.enum(['confirmed', 'rejected']),
  root_cause: z.string().min(1).max(2000).optional(),
  category: z.enum(RCA_CATEGORIES).optional(),
  comment: z.string().max(4000).optional(),
});

const RUN_COLUMNS = `r.id, r.event_id::text, r.account, r.role, r.role_reason, r.phase, r.status, r.error, r.analyst, r.model,
  r.created_at, r.updated_at, rep.report, rep.usage, rep.timings, rep.notebook_url, rep.resolved_at`;

export const rcaRoutes = ({ db, temporal, config, metrics }: ApiDeps) => {
  const runOf = async (id: string) => {
    const { rows: [run] } = await db.query(`SELECT ${RUN_COLUMNS} FROM rca_runs r LEFT JOIN rca_reports rep ON rep.rca_id = r.id WHERE r.id = $1`, [id]);
    if (!run) throw new ApiError('NOT_FOUND', `no RCA ${id}`);
    return run;
  };

  return new Hono()
    .use(requireApiToken(config.RAYNE_API_TOKEN))
    .get('/', async (c) => {
      const f = readQuery(c, RcaFilters);
      const { rows } = await db.query(
        `SELECT r.id, r.event_id::text, r.account, r.role, r.phase, r.status, r.analyst, r.created_at,
                rep.report->>'category' AS category, rep.report->>'root_cause' AS root_cause, rep.notebook_url
           FROM rca_runs r LEFT JOIN rca_reports rep ON rep.rca_id = r.id
          WHERE ($1::text IS NULL OR r.status = $1) AND ($2::bigint IS NULL OR r.event_id = $2)
            AND ($3::text IS NULL OR rep.report->>'category' = $3) AND ($4::text IS NULL OR r.account = $4)
          ORDER BY r.created_at DESC LIMIT $5`,
        [f.status ?? null, f.event_id ?? null, f.category ?? null, f.account ?? null, f.limit],
      );
      return c.json({ rcas: rows });
    })
    .get('/:id/evidence', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const { rows: [run] } = await db.query(
        `SELECT r.id, r.event_id::text, r.account, r.role, r.role_reason, r.phase, r.status, r.error, r.created_at, r.updated_at,
                e.summary, e.token_estimate, e.bundle
           FROM rca_runs r LEFT JOIN rca_evidence e ON e.rca_id = r.id WHERE r.id = $1`,
        [id],
      );
      if (!run) throw new ApiError('NOT_FOUND', `no RCA ${id}`);
      const { rows: sources } = await db.query('SELECT source, status, reason, items, fetched_at FROM rca_sources WHERE rca_id = $1 ORDER BY source', [id]);
      const { bundle, ...status } = run;
      return c.json({ ...status, sources, evidence: bundle ?? null });
    })
    .get('/:id/notebook', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const run = await runOf(id);
      if (!run.report) throw new ApiError('NOT_FOUND', `RCA ${id} has no report yet (phase ${run.phase})`);
      const { rows: [evidence] } = await db.query('SELECT bundle FROM rca_evidence WHERE rca_id = $1', [id]);
      const result = { report: run.report, analyst: run.analyst, model: run.model ?? undefined, usage: run.usage, timings: run.timings, reasoning: [] };
      c.header('content-type', 'text/markdown; charset=utf-8');
      return c.body(renderMarkdown(evidence.bundle, result, { temporalRun: temporalRunLink(config, id) ?? undefined }));
    })
    .get('/:id', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const run = await runOf(id);
      // A running RCA answers its phase, turns and tokens so far.
      const live = run.status === 'completed' || run.status === 'failed' ? undefined
        : await temporal.connection.withDeadline(Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS, () => temporal.workflow.getHandle(id).query(rcaStateQuery)).catch(() => undefined);
      return c.json({ ...run, live: live ?? null, links: { temporal_run: temporalRunLink(config, id), notebook: run.notebook_url ?? null } });
    })
    .post('/:id/rerun', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const { value } = await readJson(c, Rerun);
      const run = await runOf(id);
      const { rows: [{ n }] } = await db.query('SELECT count(*)::int AS n FROM rca_runs WHERE event_id = $1', [run.event_id]);
      const rcaId = `rca/${run.event_id}/rerun-${n}`;
      try {
        const handle = await temporal.workflow.start('rcaWorkflow', {
          workflowId: rcaId, taskQueue: config.TEMPORAL_TASK_QUEUE, args: [{ eventId: run.event_id, rcaId, ...value }],
        });
        metrics.workflowsStarted.inc({ workflow_type: 'rcaWorkflow' });
        return c.json({ rca_id: rcaId, workflow_id: rcaId, run_id: handle.firstExecutionRunId }, 202);
      } catch (err) {
        if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') throw new ApiError('CONFLICT', `${rcaId} is already running; try again`);
        throw new ApiError('SERVICE_UNAVAILABLE', `Temporal did not start the re-run: ${(err as Error).message}`);
      }
    })
    .post('/:id/feedback', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const { value } = await readJson(c, Feedback);
      await runOf(id);
      const { rows: [feedback] } = await db.query(
        `INSERT INTO rca_feedback (rca_id, verdict, corrected_root_cause, corrected_category, comment) VALUES ($1, $2, $3, $4, $5)
         RETURNING id::text, rca_id, verdict, corrected_root_cause, corrected_category, comment, created_at`,
        [id, value.verdict, value.root_cause ?? null, value.category ?? null, value.comment ?? null],
      );
      // The similar-incident entry is re-embedded by a worker; the API stays off the embedder.
      await temporal.workflow.start('reindexRcaWorkflow', { workflowId: `rca-feedback/${id}/${feedback.id}`, taskQueue: config.TEMPORAL_TASK_QUEUE, args: [id] })
        .then(() => metrics.workflowsStarted.inc({ workflow_type: 'reindexRcaWorkflow' }))
        .catch((err) => c.header('warning', `199 - "feedback stored; similar-incident index not updated yet: ${(err as Error).message.slice(0, 100)}"`));
      return c.json(feedback, 201);
    });
};
