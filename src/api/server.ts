import type { Server, ServerOptions } from 'node:http';
import { serve } from '@hono/node-server';
import type { Config } from '../config';
import { startReconciler } from '../intake/intake';
import { restoreNotStartedCounts } from '../intake/workflow-starts';
import { temporalState } from '../temporal/connection';
import type { Logger } from '../logger';
import { createApiRuntime } from '../runtime';
import type { MetricsSource } from '../telemetry/metrics';
import { createApp } from './app';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

/** Serves the API on PORT, with the readiness checks and the pending-start reconciler (deliveries and feedback re-indexes) beside it; /metrics adds extraMetrics (an in-process worker's). */
export async function startApiServer(
  config: Config,
  databaseUrl: string,
  temporalAddress: string,
  log: Logger,
  extraMetrics: MetricsSource[] = [],
): Promise<RunningApi> {
  const runtime = createApiRuntime(config, databaseUrl, temporalAddress, log, extraMetrics);
  if (await runtime.accounts.ensureDefaultFromEnv(config.DD_API_KEY, config.DD_APP_KEY, config.DD_API_URL)) {
    log.info({ base_url: config.DD_API_URL }, 'created the default account from DD_API_KEY/DD_APP_KEY');
  }
  await restoreNotStartedCounts(runtime.db, runtime.metrics);
  // Not awaited: the API serves while Temporal is away. A setup Temporal refuses is said at once, loudly.
  void temporalState(runtime.temporal, config.RAYNE_TEMPORAL_TIMEOUT_MS).then((temporal) => {
    if (temporal.state === 'not_configured')
      log.error(
        { problem: temporal.reason, namespace: config.TEMPORAL_NAMESPACE },
        "Temporal refuses Rayne's setup: no workflow starts until it is fixed; webhooks are stored and started once it is",
      );
  });
  const app = createApp({ ...runtime, config, log });
  const reconciler = startReconciler(
    [runtime.intake, runtime.githubIntake, runtime.feedbackReindex],
    config.RAYNE_RECONCILE_INTERVAL_MS,
    log,
  );
  // Events kept while Temporal was away are started as soon as a check sees it back, not an interval later.
  runtime.readiness.onRecovered((dependency) => dependency === 'temporal' && reconciler.wake());
  runtime.readiness.start();
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, serverOptions: slowClientLimits(config) }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  // Closes kept-alive connections that send no next request.
  (server as Server).keepAliveTimeout = config.RAYNE_HTTP_IDLE_TIMEOUT_MS;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return {
    url: `http://${host}:${config.PORT}`,
    async stop() {
      await reconciler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
    },
  };
}

/**
 * Bounds on slow clients: headers (a connection that sends nothing included) and the whole
 * request must arrive in time, else Node answers 408 and closes the connection. Node checks
 * them every connectionsCheckingInterval, so that interval bounds how late the close may be.
 */
function slowClientLimits(config: Config): ServerOptions {
  return {
    headersTimeout: config.RAYNE_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: config.RAYNE_HTTP_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: Math.min(1000, config.RAYNE_HTTP_HEADERS_TIMEOUT_MS),
  };
}
