import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { AccountStore } from '../accounts/store';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { GithubIntake } from '../github/intake';
import type { Intake } from '../intake/intake';
import type { Logger } from '../logger';
import type { ProcessorConfigStore } from '../processors/config';
import { type ApiMetrics, exposition, METRICS_CONTENT_TYPE, type MetricsSource } from '../telemetry/metrics';
import { accountRoutes } from './accounts';
import { datadogRoutes } from './datadog';
import { githubRoutes } from './github';
import { handleError } from './errors';
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

/** The Hono app: thin routes over the intake, the stores and Temporal. */
export function createApp(deps: ApiDeps) {
  return new Hono()
    .get('/health', (c) => c.json({ status: 'ok' }))
    // Prometheus text, unauthenticated like /health: counts by status and type, no ids, accounts or payloads.
    .get('/metrics', async (c) => c.body(await exposition(deps.metricsSources), 200, { 'content-type': METRICS_CONTENT_TYPE }))
    // Ready means webhooks are stored durably: Postgres is needed, Temporal is not (while it is
    // away, events wait as pending_start for the reconciler), so it only degrades the answer.
    .get('/ready', async (c) => {
      const checks = await readiness(deps);
      const status = checks.postgres !== 'ok' ? 'not_ready' : checks.temporal !== 'ok' ? 'degraded' : 'ready';
      return c.json({ status, checks }, status === 'not_ready' ? 503 : 200);
    })
    // Before /v1/webhooks: its management token guards everything under it, and GitHub signs instead.
    .route('/v1/webhooks/github', githubRoutes(deps))
    .route('/v1/webhooks', webhookRoutes(deps))
    .route('/v1/accounts', accountRoutes(deps))
    .route('/v1/rca', rcaRoutes(deps))
    .route('/v1', datadogRoutes(deps))
    .notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))
    .onError(handleError(deps.log));
}

async function readiness({ db, temporal, config }: ApiDeps): Promise<Record<string, string>> {
  const check = (p: Promise<unknown>) => p.then(() => 'ok', (err: Error) => `unavailable: ${err.message}`);
  const [postgres, temporalStatus] = await Promise.all([
    check(db.query('SELECT 1')),
    check(temporal.connection.withDeadline(Date.now() + config.RAYNE_TEMPORAL_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}))),
  ]);
  return { postgres, temporal: temporalStatus };
}
