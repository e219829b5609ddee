import type { HttpBindings } from '@hono/node-server';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { timeout } from 'hono/timeout';
import { z } from 'zod';
import type { Logger } from '../logger';
import { exposition, METRICS_CONTENT_TYPE } from '../telemetry/metrics';
import { consoleRoutes } from '../console/routes';
import { accountRoutes } from './accounts';
import type { ApiDeps } from './deps';
import { datadogRoutes } from './datadog';
import { docsRoutes } from './docs';
import { githubRoutes } from './github';
import { answerForeignErrors, ApiError, handleError, unavailable } from './errors';
import { documentConfig, json, openApiApp, registerComponents, security } from './openapi';
import { rcaRoutes } from './rca';
import { groupRoutes } from './groups';
import { webhookRoutes } from './webhooks';
import { alertSourceRoutes } from './alert-sources';

const DependencyCheck = z.object({
  state: z
    .enum(['ok', 'unavailable', 'not_configured', 'unchecked'])
    .meta({ description: 'what the last background check found; unchecked until the first one returns after start' }),
  checked_at: z.string().nullable().meta({ description: 'when the last check returned (ISO 8601); null before the first' }),
});
const Readiness = z
  .object({
    status: z.enum(['ready', 'degraded', 'not_ready']).meta({
      description: "degraded: Temporal is away or refuses Rayne's setup; webhooks are still stored and started once it takes them",
    }),
    checks: z.object({ postgres: DependencyCheck, temporal: DependencyCheck }).meta({
      description:
        "each dependency as last checked in the background; the reason of a failed one is logged, not shown. not_configured: Temporal answers but refuses Rayne's setup (no such TEMPORAL_NAMESPACE, credentials)",
    }),
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
  app.use(timeout(deadlineMs, (c) => deadlinePassed(c, deadlineMs, deps.log)));
  return (
    app
      .openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
      // Unauthenticated like /health: counts by status and type, no ids, accounts or payloads.
      .openapi(metricsRoute, async (c) => c.text(await exposition(deps.metricsSources), 200, { 'content-type': METRICS_CONTENT_TYPE }))
      // Ready means webhooks are stored durably: Postgres is needed, Temporal is not (while it is
      // away, events wait as pending_start for the reconciler), so it only degrades the answer.
      // Read from the background checks, so the answer comes at once whatever is down.
      .openapi(ready, async (c) => {
        const checks = await deps.readiness.current();
        const status =
          checks.postgres.state !== 'ok'
            ? ('not_ready' as const)
            : checks.temporal.state !== 'ok'
              ? ('degraded' as const)
              : ('ready' as const);
        const body = { status, checks };
        return body.status === 'not_ready' ? c.json(body, 503) : c.json(body, 200);
      })
      // Before /v1/webhooks: its management token guards everything under it; these check their own secrets.
      .route('/v1/webhooks/github', githubRoutes(deps))
      .route('/v1/webhooks', alertSourceRoutes(deps))
      .route('/v1/webhooks', webhookRoutes(deps))
      .route('/v1/accounts', accountRoutes(deps))
      .route('/v1/rca', rcaRoutes(deps))
      .route('/v1/groups', groupRoutes(deps))
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

/**
 * The answer when a request's deadline passes: 408 while its body is still arriving (the client is
 * slow, not Rayne, so it is logged at info and the connection closed), else 503.
 */
function deadlinePassed(c: Context, deadlineMs: number, log: Logger): ApiError {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming?.complete === false) {
    log.info({ path: c.req.path, method: c.req.method, deadlineMs }, 'request body did not arrive in time; answered 408');
    c.header('Connection', 'close');
    return new ApiError('REQUEST_TIMEOUT', `the request body did not arrive within ${deadlineMs} ms`);
  }
  return unavailable(c, `no answer within ${deadlineMs} ms (Postgres or Temporal is slow); retry later`);
}
