import { createRoute } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { AccountStore } from '../accounts/store';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { GithubIntake } from '../github/intake';
import type { Intake } from '../intake/intake';
import type { Logger } from '../logger';
import type { ProcessorConfigStore } from '../processors/config';
import { type ApiMetrics, exposition, METRICS_CONTENT_TYPE, type MetricsSource } from '../telemetry/metrics';
import { consoleRoutes } from '../console/routes';
import { accountRoutes } from './accounts';
import { datadogRoutes } from './datadog';
import { docsRoutes } from './docs';
import { githubRoutes } from './github';
import { handleError } from './errors';
import { documentConfig, json, openApiApp, registerComponents, security } from './openapi';
import { rcaRoutes } from './rca';
import { webhookRoutes } from './webhooks';

export interface ApiDeps {
  config: Pick<Config, 'RAYNE_API_TOKEN' | 'RAYNE_WEBHOOK_SECRET' | 'GITHUB_WEBHOOK_SECRET' | 'RAYNE_PUBLIC_URL' | 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'RAYNE_TEMPORAL_TIMEOUT_MS' | 'DD_API_URL'>;
  db: Db;
  temporal: Client;
  intake: Intake;
  githubIntake: GithubIntake;
  accounts: AccountStore;
  processorConfigs: ProcessorConfigStore;
  log: Logger;
  metrics: ApiMetrics;
  /** What GET /metrics serves, in order. */
  metricsSources: MetricsSource[];
}

const Readiness = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']).meta({ description: 'degraded: Temporal is away; webhooks are still stored and started when it is back' }),
  checks: z.object({ postgres: z.string(), temporal: z.string() }).meta({ description: '"ok", or "unavailable: <why>"' }),
}).meta({ id: 'Readiness' });

const health = createRoute({
  method: 'get', path: '/health', tags: ['Health'], summary: 'Liveness', security: security.none,
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'the process answers') },
});
const ready = createRoute({
  method: 'get', path: '/ready', tags: ['Health'], summary: 'Readiness: webhooks can be stored (Postgres answers)', security: security.none,
  responses: { 200: json(Readiness, 'Postgres answers; status says whether Temporal does'), 503: json(Readiness, 'Postgres does not answer') },
});
const metricsRoute = createRoute({
  method: 'get', path: '/metrics', tags: ['Health'], summary: 'Prometheus metrics', security: security.none,
  responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
});

/** The Hono app: thin routes over the intake, the stores and Temporal, described at /openapi.json. */
export function createApp(deps: ApiDeps) {
  const app = openApiApp();
  registerComponents(app);
  return app
    .openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
    // Unauthenticated like /health: counts by status and type, no ids, accounts or payloads.
    .openapi(metricsRoute, async (c) => c.text(await exposition(deps.metricsSources), 200, { 'content-type': METRICS_CONTENT_TYPE }))
    // Ready means webhooks are stored durably: Postgres is needed, Temporal is not (while it is
    // away, events wait as pending_start for the reconciler), so it only degrades the answer.
    .openapi(ready, async (c) => {
      const checks = await readiness(deps);
      const body = { status: checks.postgres !== 'ok' ? 'not_ready' as const : checks.temporal !== 'ok' ? 'degraded' as const : 'ready' as const, checks };
      return body.status === 'not_ready' ? c.json(body, 503) : c.json(body, 200);
    })
    // Before /v1/webhooks: its management token guards everything under it, and GitHub signs instead.
    .route('/v1/webhooks/github', githubRoutes(deps))
    .route('/v1/webhooks', webhookRoutes(deps))
    .route('/v1/accounts', accountRoutes(deps))
    .route('/v1/rca', rcaRoutes(deps))
    .route('/v1', datadogRoutes(deps))
    // Public: the document and the page describe the routes, and hold no secrets.
    .route('/', docsRoutes(() => app.getOpenAPI31Document(documentConfig())))
    // The console renders the API's own answers, asked in-process with the signed-in token.
    .route('/', consoleRoutes(deps.config, (path, init) => app.request(path, init)))
    .notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))
    .onError(handleError(deps.log));
}

async function readiness({ db, temporal, config }: ApiDeps): Promise<{ postgres: string; temporal: string }> {
  const check = (p: Promise<unknown>) => p.then(() => 'ok', (err: Error) => `unavailable: ${err.message}`);
  const [postgres, temporalStatus] = await Promise.all([
    check(db.query('SELECT 1')),
    check(temporal.connection.withDeadline(Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}))),
  ]);
  return { postgres, temporal: temporalStatus };
}
