import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ALERT_STATUSES, DatadogAlertSchema } from '../intake/datadog-payload';
import { TemporalUnavailableError, UnknownAccountError } from '../intake/intake';
import { ProcessorConfigInput, viewProcessorConfig } from '../processors/config';
import type { ApiDeps } from './app';
import { requireApiToken, requireWebhookSecret } from './auth';
import { ApiError } from './errors';
import { temporalRunLink } from './links';
import { readJson, readQuery } from './request';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const EventFilters = z.object({
  status: z.enum(['pending_start', 'started', 'processed']).optional(),
  monitor_id: z.string().regex(/^\d+$/, 'must be a number').optional(),
  account: z.string().optional(),
  alert_status: z.enum(ALERT_STATUSES).optional(),
  since: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  cursor: z.string().regex(/^\d+$/, 'must be a cursor returned by a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const EventId = z.string().regex(/^\d+$/, 'event id must be a number');

const SUMMARY_COLUMNS = `id::text, account, monitor_id, alert_id, transition_id, alert_status, monitor_name,
  hostname, service, scope, status, workflow_id, run_id, start_attempts, last_error, received_at, started_at, processed_at`;

export const webhookRoutes = ({ intake, db, temporal, config, accounts, processorConfigs, metrics }: ApiDeps) => {
  /** The account a config request names, else the default one; "default" also stands for "no accounts yet". */
  const configAccount = async (name: string | undefined): Promise<string> => {
    if (name === undefined) return (await accounts.routeByOrg(undefined)) ?? 'default';
    if (name !== 'default' && !(await accounts.get(name))) throw new ApiError('NOT_FOUND', `no account named "${name}"`);
    return name;
  };

  const receive = new Hono().post(
    '/receive/:account?',
    // First in the chain, so it sees every answer: the error handler has already turned errors into responses.
    async (c, next) => {
      await next();
      metrics.webhookAnswered('datadog', c.res.status);
    },
    requireWebhookSecret(config.RAYNE_WEBHOOK_SECRET),
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: () => {
        throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
      },
    }),
    async (c) => {
      const { value, raw, text } = await readJson(c, DatadogAlertSchema);
      try {
        const result = await intake.accept(c.req.param('account'), value, raw as Record<string, unknown>, text);
        if (result.duplicate) metrics.webhooksDuplicated.inc({ source: 'datadog' });
        return c.json({ ...result, links: { temporal_run: temporalRunLink(config, result.workflow_id, result.run_id) } }, result.duplicate ? 200 : 202);
      } catch (err) {
        if (err instanceof UnknownAccountError) throw new ApiError('NOT_FOUND', err.message);
        if (err instanceof TemporalUnavailableError) {
          c.header('Retry-After', '10');
          throw new ApiError('SERVICE_UNAVAILABLE', err.message);
        }
        throw err;
      }
    },
  );

  const reads = new Hono()
    .use(requireApiToken(config.RAYNE_API_TOKEN))
    .get('/events', async (c) => {
      const f = readQuery(c, EventFilters);
      const { rows } = await db.query(
        `SELECT ${SUMMARY_COLUMNS} FROM webhook_events
          WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR monitor_id = $2)
            AND ($3::text IS NULL OR account = $3) AND ($4::text IS NULL OR alert_status = $4)
            AND ($5::timestamptz IS NULL OR received_at >= $5) AND ($6::bigint IS NULL OR id < $6)
          ORDER BY id DESC LIMIT $7`,
        [f.status ?? null, f.monitor_id ?? null, f.account ?? null, f.alert_status ?? null, f.since ?? null, f.cursor ?? null, f.limit + 1],
      );
      const page = rows.slice(0, f.limit);
      return c.json({ events: page, next_cursor: rows.length > f.limit ? page[page.length - 1].id : null });
    })
    .get('/events/:id', async (c) => {
      const id = EventId.safeParse(c.req.param('id'));
      if (!id.success) throw new ApiError('BAD_REQUEST', id.error.issues[0]!.message);
      const { rows } = await db.query(`SELECT ${SUMMARY_COLUMNS}, processing, payload FROM webhook_events WHERE id = $1`, [id.data]);
      const event = rows[0];
      if (!event) throw new ApiError('NOT_FOUND', `no event ${id.data}`);
      const { rows: processorRuns } = await db.query(
        `SELECT processor, label AS target, status, attempts, error, detail, latency_ms, started_at, finished_at
           FROM processor_runs WHERE event_id = $1 ORDER BY id`,
        [id.data],
      );
      return c.json({
        ...event,
        processor_runs: processorRuns,
        workflow: await workflowStatus(temporal, event.workflow_id, event.run_id, config.RAYNE_TEMPORAL_TIMEOUT_MS),
        links: { temporal_run: event.run_id ? temporalRunLink(config, event.workflow_id, event.run_id) : null },
      });
    })
    .get('/config', async (c) => {
      const { account } = readQuery(c, z.object({ account: z.string().min(1).optional() }));
      const name = await configAccount(account);
      return c.json({ account: name, ...viewProcessorConfig(await processorConfigs.get(name)) });
    })
    .post('/config', async (c) => {
      const { value } = await readJson(c, ProcessorConfigInput);
      const name = await configAccount(value.account);
      return c.json({ account: name, ...viewProcessorConfig(await processorConfigs.save(name, value)) });
    })
    .get('/stats', async (c) => {
      const totals = await db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE received_at > now() - interval '24 hours')::int AS last_24h,
                count(DISTINCT workflow_id)::int AS incidents FROM webhook_events`,
      );
      const countBy = async (column: 'status' | 'alert_status') =>
        Object.fromEntries((await db.query(`SELECT ${column} AS k, count(*)::int AS n FROM webhook_events GROUP BY 1`)).rows.map((r) => [r.k, r.n]));
      return c.json({ ...totals.rows[0], by_status: await countBy('status'), by_alert_status: await countBy('alert_status') });
    });

  return new Hono().route('/', receive).route('/', reads);
};

/** The workflow's live status from Temporal; "unknown" (with why) when Temporal cannot say. */
export async function workflowStatus(temporal: ApiDeps['temporal'], workflowId: string, runId: string | null, timeoutMs: number) {
  if (!runId) return { status: 'NOT_STARTED' };
  try {
    const d = await temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflow.getHandle(workflowId, runId).describe());
    return { status: d.status.name, start_time: d.startTime, close_time: d.closeTime ?? null, history_length: d.historyLength };
  } catch (err) {
    return { status: 'UNKNOWN', error: (err as Error).message };
  }
}
