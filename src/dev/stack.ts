import path from 'node:path';
import { startApiServer } from '../api/server';
import type { Config } from '../config';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import type { Logger } from '../logger';
import { findTemporalCli } from '../temporal/cli';
import { ensureSearchAttributes } from '../temporal/connection';
import { startTemporalDevServer } from '../temporal/dev-server';
import { createActivityDeps } from '../runtime';
import { coreMetricsSource, createLlmWorker, createWorker, installRuntime } from '../workers/worker';
import { freePort } from './free-port';
import { startEmbeddedPostgres } from './embedded-postgres';

export type Step = (label: string) => { done(detail?: string): void };

/** Prints "label ..." then "ok (1.2s)": progress for a human watching the stack start. */
export const consoleSteps =
  (write: (s: string) => void): Step =>
  (label) => {
    const started = Date.now();
    write(`  ${label} ...`);
    return { done: (detail) => write(` ok (${((Date.now() - started) / 1000).toFixed(1)}s)${detail ? ` ${detail}` : ''}\n`) };
  };

export interface DevStack {
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  stop(): Promise<void>;
}

export interface Infrastructure {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
}

/**
 * Postgres and Temporal ready for Rayne: the embedded ones unless config points at real ones,
 * migrated, with search attributes registered. Pushes a stop for each part it started onto stops.
 */
export async function startInfrastructure(
  config: Config,
  log: Logger,
  step: Step,
  stops: Array<() => Promise<void>>,
): Promise<Infrastructure> {
  // Fail before starting anything when the dev server cannot be started.
  if (!config.TEMPORAL_ADDRESS) findTemporalCli(config.TEMPORAL_CLI_PATH);

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const s = step(`Postgres (embedded, data in ${path.join(config.RAYNE_HOME, 'pg')})`);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(config.home, 'pg'),
      port: config.RAYNE_PG_PORT,
      database: 'rayne',
      log: (l) => log.debug(l),
    });
    stops.push(pg.stop);
    databaseUrl = pg.url;
    s.done();
  }

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUiUrl: string | undefined;
  if (!temporalAddress) {
    const s = step(`Temporal dev server (history in ${path.join(config.RAYNE_HOME, 'temporal.db')})`);
    const server = await startTemporalDevServer({
      home: config.home,
      port: config.RAYNE_TEMPORAL_PORT,
      uiPort: config.RAYNE_TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      cliPath: config.TEMPORAL_CLI_PATH,
      log: (l) => log.debug(l),
    });
    stops.push(server.stop);
    temporalAddress = server.address;
    temporalUiUrl = server.uiUrl;
    s.done();
  }

  let s = step('migrations');
  const applied = await migrate(databaseUrl);
  s.done(applied.length ? `(${applied.length} applied)` : '(up to date)');

  s = step('search attributes');
  const added = await ensureSearchAttributes({ address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  s.done(added.length ? `(${added.length} registered)` : '(present)');

  return { databaseUrl, temporalAddress, temporalUiUrl };
}

/** A step reporter that prints nothing. */
export const silentSteps: Step = () => ({ done: () => undefined });

/**
 * `rayne dev`: the infrastructure, one worker and the API. stop() undoes it all in reverse order.
 */
export async function startDevStack(config: Config, log: Logger, step: Step): Promise<DevStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.error({ err: (err as Error).message }, 'stop failed'));
  };
  try {
    const { databaseUrl, temporalAddress, temporalUiUrl } = await startInfrastructure(config, log, step, stops);

    let s = step('worker (bundling workflows)');
    const workerDb = createPool(databaseUrl, 5);
    installRuntime({ log, coreMetricsPort: await freePort() });
    const deps = createActivityDeps(
      { ...config, RAYNE_PUBLIC_URL: config.RAYNE_PUBLIC_URL ?? `http://localhost:${config.PORT}` },
      workerDb,
      config.TEMPORAL_UI_URL ?? temporalUiUrl,
    );
    const settings = { address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE };
    const main = await createWorker({ ...settings, taskQueue: config.TEMPORAL_TASK_QUEUE }, deps);
    const { metrics } = main;
    // With a task queue for model turns, this process serves it too: `rayne dev` runs everything.
    const workers = config.TEMPORAL_LLM_TASK_QUEUE
      ? [
          main,
          await createLlmWorker(
            { ...settings, taskQueue: config.TEMPORAL_LLM_TASK_QUEUE, maxConcurrentActivities: config.RAYNE_LLM_CONCURRENCY },
            deps,
            metrics,
          ),
        ]
      : [main];
    const running = Promise.all(workers.map((w) => w.worker.run()));
    stops.push(async () => {
      workers.forEach((w) => w.worker.shutdown());
      await running;
      await Promise.all(workers.map((w) => w.connection.close()));
      await workerDb.end();
    });
    s.done();

    s = step('API');
    // The API's answers link runs in the Web UI too; in one process its /metrics serves the worker's series and Temporal Core's.
    const core = coreMetricsSource();
    const api = await startApiServer(
      { ...config, TEMPORAL_UI_URL: config.TEMPORAL_UI_URL ?? temporalUiUrl },
      databaseUrl,
      temporalAddress,
      log,
      [metrics.registry, ...(core ? [core] : [])],
    );
    stops.push(api.stop);
    s.done();

    return { apiUrl: api.url, databaseUrl, temporalAddress, temporalUiUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
