import { createRoute } from '@hono/zod-openapi';
import { timeout } from 'hono/timeout';
import { z } from 'zod';
import { exposition, METRICS_CONTENT_TYPE } from '../telemetry/metrics';
import { temporalState } from '../temporal/connection';
import { consoleRoutes } from '../console/routes';
import { accountRoutes } from './accounts';
import type { ApiDeps } from './deps';
import { datadogRoutes } from './datadog';
import { docsRoutes } from './docs';
import { githubRoutes } from './github';
import { answerForeignErrors, handleError, unavailable } from './errors';
import { documentConfig, json, openApiApp, registerComponents, security } from './openapi';
import { rcaRoutes } from './rca';
import { webhookRoutes } from './webhooks';
import { alertSourceRoutes } from './alert-sources';

const CheckState = z.enum(['ok', 'unavailable']);
const Readiness = z
  .object({
    status: z.enum(['ready', 'degraded', 'not_ready']).meta({
      description: "degraded: Temporal is away or refuses Rayne's setup; webhooks are still stored and started once it takes them",
    }),
    checks: z
      .object({
        postgres: CheckState,
        temporal: z.enum(['ok', 'unavailable', 'not_configured']).meta({
          description: 'not_configured: Temporal answers but refuses the setup (no such TEMPORAL_NAMESPACE, credentials)',
        }),
      })
      .meta({ description: 'the reason of a failed one is logged, not shown' }),
  })
  .meta({ id: 'Readiness' });

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['Health'],
  summary: 'Liveness',
  security: security.none,
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'the process answers') },
});
const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['Health'],
  summary: 'Readiness: webhooks can be stored (Postgres answers)',
  security: security.none,
  responses: {
    200: json(Readiness, 'Postgres answers; status says whether Temporal does'),
    503: json(Readiness, 'Postgres does not answer'),
  },
});
const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['Health'],
  summary: 'Prometheus metrics',
  security: security.none,
  responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
});

/** The Hono app: thin routes over the intake, the stores and Temporal, described at /openapi.json. */
export function createApp(deps: ApiDeps) {
  const app = openApiApp();
  registerComponents(app);
  const deadlineMs = deps.config.RAYNE_REQUEST_TIMEOUT_MS;
  const onError = handleError(deps.log);
  app.use(answerForeignErrors(onError));
  // Every answer within a bound, whatever it waits on; the work may still finish, and retries are deduplicated.
  app.use(timeout(deadlineMs, (c) => unavailable(c, `no answer within ${deadlineMs} ms (Postgres or Temporal is slow); retry later`)));
  return (
    app
      .openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
      // Unauthenticated like /health: counts by status and type, no ids, accounts or payloads.
      .openapi(metricsRoute, async (c) => c.text(await exposition(deps.metricsSources), 200, { 'content-type': METRICS_CONTENT_TYPE }))
      // Ready means webhooks are stored durably: Postgres is needed, Temporal is not (while it is
      // away, events wait as pending_start for the reconciler), so it only degrades the answer.
      .openapi(ready, async (c) => {
        const checks = await readiness(deps);
        const body = {
          status: checks.postgres !== 'ok' ? ('not_ready' as const) : checks.temporal !== 'ok' ? ('degraded' as const) : ('ready' as const),
          checks,
        };
        return body.status === 'not_ready' ? c.json(body, 503) : c.json(body, 200);
      })
      // Before /v1/webhooks: its management token guards everything under it; these check their own secrets.
      .route('/v1/webhooks/github', githubRoutes(deps))
      .route('/v1/webhooks', alertSourceRoutes(deps))
      .route('/v1/webhooks', webhookRoutes(deps))
      .route('/v1/accounts', accountRoutes(deps))
      .route('/v1/rca', rcaRoutes(deps))
      .route('/v1', datadogRoutes(deps))
      // Public: the document and the page describe the routes, and hold no secrets.
      .route(
        '/',
        docsRoutes(() => app.getOpenAPI31Document(documentConfig())),
      )
      // The console renders the API's own answers, asked in-process with the browser's session.
      .route(
        '/',
        consoleRoutes(deps.auth, deps.config, (path, init, env) => app.request(path, init, env as object)),
      )
      .notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))
      .onError(onError)
  );
}

/** Each dependency's state; why one failed goes to the log, since /ready answers without auth. */
async function readiness({
  db,
  temporal,
  config,
  log,
}: ApiDeps): Promise<{ postgres: 'ok' | 'unavailable'; temporal: 'ok' | 'unavailable' | 'not_configured' }> {
  const [postgres, temporalCheck] = await Promise.all([
    db.query('SELECT 1').then(
      () => 'ok' as const,
      (err: Error) => {
        log.warn({ dependency: 'postgres', err: err.message }, 'readiness check failed');
        return 'unavailable' as const;
      },
    ),
    temporalState(temporal, config.RAYNE_TEMPORAL_TIMEOUT_MS),
  ]);
  // A wrong setup does not pass by waiting: it is an error, not a warning.
  if (temporalCheck.state === 'not_configured')
    log.error({ dependency: 'temporal', err: temporalCheck.reason }, "readiness check failed: Temporal refuses Rayne's setup");
  else if (temporalCheck.state === 'unavailable') log.warn({ dependency: 'temporal', err: temporalCheck.reason }, 'readiness check failed');
  return { postgres, temporal: temporalCheck.state };
}
