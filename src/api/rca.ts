import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { RayneFailure } from '../errors';
import { temporalConfigurationProblem } from '../temporal/connection';
import { z } from 'zod';
import { searchAttributesOf } from '../intake/intake';
import { RayneRole } from '../contracts/search-attributes';
import { renderMarkdown } from '../notebook/notebook';
import { RCA_CATEGORIES, RcaReportSchema } from '../analysis/report';
import { ANALYSTS, rcaStateQuery } from '../contracts/rca';
import type { ApiDeps } from './deps';
import { requireApiToken } from './auth';
import { TemporalUnavailableError } from '../intake/workflow-starts';
import { RCA_STATUSES, RcaStore, RunSummaryRow } from '../rca/store';
import { jsonShape } from '../db/rows';
import { EventStore } from '../events/store';
import { ApiError, unavailable } from './errors';
import { temporalRunLink } from './links';
import {
  type ApiRoutes,
  BAD_REQUEST,
  json,
  jsonRequest,
  openApiApp,
  problem,
  routesOf,
  security,
  UNAUTHORIZED,
  UNSUPPORTED_MEDIA_TYPE,
} from './openapi';
import { bigintDigits, jsonBody, storableText } from './request';
import type { rcaWorkflow } from '../workflows';

/**
 * "123" stands for the first run of event 123 (rca/123); a full id such as rca/123/rerun-1 (or an
 * incident group's re-analysis, rca/123/group-1) may be given URL-encoded.
 */
const RcaId = z
  .string()
  .regex(/^(\d+|rca\/\d+(\/(rerun|group)-\d+)?)$/, 'an RCA id is an event id (123) or a full id such as rca/123/rerun-1')
  .transform((param) => (/^\d+$/.test(param) ? `rca/${param}` : param))
  .meta({ description: 'an event id (123: its first RCA) or a full RCA id such as rca/123/rerun-1, URL-encoded', example: '123' });
const RcaIdParam = z.object({ id: RcaId });

const RcaFilters = z.object({
  status: z.enum(RCA_STATUSES).optional(),
  event_id: bigintDigits('must be an event id (a number)').optional(),
  category: z.enum(RCA_CATEGORIES).optional(),
  account: storableText().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const Rerun = z.strictObject({ analyst: z.enum(ANALYSTS).optional(), model: z.string().min(1).max(100).optional() });
const Feedback = z
  .strictObject({
    verdict: z.enum(['confirmed', 'rejected']),
    root_cause: z.string().min(1).max(2000).optional(),
    category: z.enum(RCA_CATEGORIES).optional(),
    comment: z.string().max(4000).optional(),
  })
  .meta({ id: 'RcaFeedback' });

const Nullable = z.string().nullable();
const Timestamp = z.string().meta({ format: 'date-time' });
const RcaSummary = z
  .looseObject({
    ...jsonShape(RunSummaryRow.shape),
    verdict: RunSummaryRow.shape.verdict.meta({ description: 'null until reported, and for reports stored before verdicts existed' }),
  })
  .meta({ id: 'RcaSummary' });
/** A stored report; one written before hypotheses and verdicts existed has neither. */
const Report = RcaReportSchema.partial({ hypotheses: true, verdict: true }).meta({
  id: 'RcaReport',
  description:
    'summary, root cause, category, confidence, the verdict code derived, ranked hypotheses with evidence for and against, evidence with links, remediation',
});
const Rca = z
  .looseObject({
    id: z.string(),
    event_id: z.string(),
    account: z.string(),
    role: Nullable,
    role_reason: Nullable,
    phase: z.string(),
    status: z.string(),
    error: Nullable,
    analyst: Nullable,
    model: Nullable,
    created_at: Timestamp,
    updated_at: Timestamp,
    report: Report.nullable(),
    usage: z.unknown(),
    timings: z.unknown(),
    notebook_url: Nullable,
    resolved_at: Timestamp.nullable(),
    live: z
      .unknown()
      .meta({ description: "a running RCA's phase, turns and tokens so far; null once finished or when Temporal cannot say" }),
    links: z.object({ temporal_run: Nullable, notebook: Nullable }),
  })
  .meta({ id: 'Rca' });
const Evidence = z
  .looseObject({
    id: z.string(),
    event_id: z.string(),
    account: z.string(),
    role: Nullable,
    role_reason: Nullable,
    phase: z.string(),
    status: z.string(),
    error: Nullable,
    created_at: Timestamp,
    updated_at: Timestamp,
    summary: z.unknown(),
    token_estimate: z.number().int().nullable(),
    sources: z.array(
      z.looseObject({
        source: z.string(),
        status: z.string(),
        reason: Nullable,
        items: z.number().int().nullable(),
        fetched_at: Timestamp.nullable(),
      }),
    ),
    evidence: z.record(z.string(), z.unknown()).nullable().meta({ description: 'the evidence bundle; null until prefetched' }),
  })
  .meta({ id: 'RcaEvidence' });

const NOT_FOUND = problem('no RCA with that id');
const RerunStarted = z.object({ rca_id: z.string(), workflow_id: z.string(), run_id: z.string() }).meta({ id: 'RcaRerunStarted' });
const route = routesOf('RCA', security.apiToken);
const listRcas = route({
  method: 'get',
  path: '/',
  summary: 'List RCAs',
  description: 'Newest first.',
  request: { query: RcaFilters },
  responses: { 200: json(z.object({ rcas: z.array(RcaSummary) }), 'the RCAs'), 400: BAD_REQUEST, 401: UNAUTHORIZED },
});
const getEvidence = route({
  method: 'get',
  path: '/{id}/evidence',
  summary: "An RCA's evidence",
  request: { params: RcaIdParam },
  responses: { 200: json(Evidence, 'status, role, sources and the evidence bundle'), 400: BAD_REQUEST, 401: UNAUTHORIZED, 404: NOT_FOUND },
});
const getNotebook = route({
  method: 'get',
  path: '/{id}/notebook',
  summary: "An RCA's report as Markdown",
  request: { params: RcaIdParam },
  responses: {
    200: { description: 'the report rendered like the Datadog notebook', content: { 'text/markdown': { schema: z.string() } } },
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: problem('no RCA with that id, or it has no report yet'),
  },
});
const getRca = route({
  method: 'get',
  path: '/{id}',
  summary: 'Show an RCA',
  request: { params: RcaIdParam },
  responses: {
    200: json(Rca, 'the run, its report, and live progress while running'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
  },
});
const rerunRca = route({
  method: 'post',
  path: '/{id}/rerun',
  summary: 'Re-run an RCA',
  middleware: [jsonBody] as const,
  description:
    'Starts rca/{event}/rerun-{n} for the same event, optionally with another analyst or model. ' +
    'While the previous re-run is still starting (before its first step), it answers that run instead of starting another.',
  request: { params: RcaIdParam, body: jsonRequest(Rerun.meta({ id: 'RcaRerun' })) },
  responses: {
    200: json(RerunStarted, 'the re-run that is still starting, unchanged'),
    202: json(RerunStarted, 'started'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
    415: UNSUPPORTED_MEDIA_TYPE,
    502: problem("Temporal refuses Rayne's setup (no such TEMPORAL_NAMESPACE, credentials); nothing was started"),
    503: problem('Temporal did not start the re-run within RAYNE_TEMPORAL_TIMEOUT_MS (Retry-After)', true),
  },
});
const sendFeedback = route({
  method: 'post',
  path: '/{id}/feedback',
  summary: 'Confirm or correct an RCA',
  middleware: [jsonBody] as const,
  description:
    'Stored at once; the similar-incident index is updated by a worker. While Temporal is away the re-index is kept and started when it is back (a Warning header says so).',
  request: { params: RcaIdParam, body: jsonRequest(Feedback) },
  responses: {
    201: json(
      z.object({
        id: z.string(),
        rca_id: z.string(),
        verdict: z.enum(['confirmed', 'rejected']),
        corrected_root_cause: Nullable,
        corrected_category: Nullable,
        comment: Nullable,
        created_at: Timestamp,
      }),
      'stored',
    ),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
    415: UNSUPPORTED_MEDIA_TYPE,
  },
});

export const rcaRoutes = ({ db, temporal, auth, config, metrics, feedbackReindex }: ApiDeps): ApiRoutes => {
  const rcas = new RcaStore(db);
  const events = new EventStore(db);
  const runOf = async (id: string) => {
    const run = await rcas.find(id);
    if (!run) throw new ApiError('NOT_FOUND', `no RCA ${id}`);
    return run;
  };

  /**
   * Every search attribute of the event's first RCA, so a re-run is found by the same filters in
   * the Web UI; rebuilt from the stored event when Temporal no longer keeps that run (or does not answer by the deadline).
   */
  const originalSearchAttributes = async (eventId: string, role: string | null, deadline: number): Promise<TypedSearchAttributes> => {
    const original = await temporal.connection
      .withDeadline(deadline, () => temporal.workflow.getHandle(`rca/${eventId}`).describe())
      .catch(() => undefined);
    if (original) return original.typedSearchAttributes;
    // The run's event is there: rca_runs.event_id references it, and deleting it deletes the run.
    const event = (await events.find(eventId))!;
    return new TypedSearchAttributes([...searchAttributesOf(event), ...(role ? [{ key: RayneRole, value: role }] : [])]);
  };

  const app = openApiApp();
  app.use(requireApiToken(auth));
  return app
    .openapi(listRcas, async (c) => c.json({ rcas: await rcas.list(c.req.valid('query')) }, 200))
    .openapi(getEvidence, async (c) => {
      const { id } = c.req.valid('param');
      const run = await rcas.withEvidence(id);
      if (!run) throw new ApiError('NOT_FOUND', `no RCA ${id}`);
      const sources = await rcas.sourceOutcomes(id);
      const { bundle, ...status } = run;
      return c.json({ ...status, sources, evidence: bundle ?? null }, 200);
    })
    .openapi(getNotebook, async (c) => {
      const { id } = c.req.valid('param');
      const run = await runOf(id);
      if (!run.report) throw new ApiError('NOT_FOUND', `RCA ${id} has no report yet (phase ${run.phase})`);
      const bundle = await rcas.bundle(id);
      if (!bundle) throw new ApiError('NOT_FOUND', `RCA ${id} has no evidence bundle`);
      // saveReport stores usage and timings with every report; the run's analyst is planned before it runs.
      const result = {
        report: run.report,
        analyst: run.analyst!,
        model: run.model ?? undefined,
        usage: run.usage!,
        timings: run.timings!,
        reasoning: [],
      };
      c.header('content-type', 'text/markdown; charset=utf-8');
      return c.body(renderMarkdown(bundle, result, { temporalRun: temporalRunLink(config, id) ?? undefined }));
    })
    .openapi(getRca, async (c) => {
      const { id } = c.req.valid('param');
      const run = await runOf(id);
      // A running RCA answers its phase, turns and tokens so far.
      const live =
        run.status === 'completed' || run.status === 'failed'
          ? undefined
          : await temporal.connection
              .withDeadline(Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS, () => temporal.workflow.getHandle(id).query(rcaStateQuery))
              .catch(() => undefined);
      return c.json(
        { ...run, live: live ?? null, links: { temporal_run: temporalRunLink(config, id), notebook: run.notebook_url ?? null } },
        200,
      );
    })
    .openapi(rerunRca, async (c) => {
      const { id } = c.req.valid('param');
      const value = c.req.valid('json');
      const run = await runOf(id);
      // Its row is written by its first step: until then the next re-run has the same id, and finds it running.
      const rcaId = `rca/${run.event_id}/rerun-${await rcas.countForEvent(run.event_id)}`;
      // One deadline for every Temporal call of the answer, so an absent Temporal costs one wait, not one per call.
      const deadline = Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS;
      // Found in the Web UI by the same attributes as the first run (bounded: describe answers or the event's own).
      const typedSearchAttributes = await originalSearchAttributes(run.event_id, run.role, deadline);
      try {
        const handle = await temporal.connection.withDeadline(deadline, () =>
          temporal.workflow.start<typeof rcaWorkflow>('rcaWorkflow', {
            workflowId: rcaId,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args: [{ eventId: run.event_id, rcaId, ...value }],
            typedSearchAttributes,
          }),
        );
        metrics.workflowsStarted.inc({ workflow_type: 'rcaWorkflow' });
        return c.json({ rca_id: rcaId, workflow_id: rcaId, run_id: handle.firstExecutionRunId }, 202);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          const { runId } = await temporal.connection
            .withDeadline(deadline, () => temporal.workflow.getHandle(rcaId).describe())
            .catch((cause: unknown) => {
              throw unavailable(c, `Temporal did not say which run of ${rcaId} is starting; retry later: ${(cause as Error).message}`);
            });
          return c.json({ rca_id: rcaId, workflow_id: rcaId, run_id: runId }, 200);
        }
        const problem = temporalConfigurationProblem(err);
        if (problem) throw new RayneFailure('NotConfigured', `Temporal did not start the re-run: ${problem}`, { upstream: 'Temporal' });
        throw unavailable(c, `Temporal did not start the re-run; nothing was started, retry later: ${(err as Error).message}`);
      }
    })
    .openapi(sendFeedback, async (c) => {
      const { id } = c.req.valid('param');
      const value = c.req.valid('json');
      await runOf(id);
      const feedback = await rcas.addFeedback(id, value);
      // The similar-incident entry is re-embedded by a worker; while Temporal is away the reconciler starts it later.
      await feedbackReindex.start(feedback).catch((err: Error) => {
        if (!(err instanceof TemporalUnavailableError)) throw err;
        c.header('warning', '199 - "feedback stored; the similar-incident index is updated once Temporal accepts the re-index"');
      });
      return c.json(feedback, 201);
    });
};
