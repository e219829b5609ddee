import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../../src/api/app';
import { type Config, loadConfig } from '../../src/config';
import { createPool, type Db } from '../../src/db/pool';
import { createLogger } from '../../src/logger';
import { createActivityDeps, createApiRuntime, type ApiRuntime } from '../../src/runtime';
import type { MetricsSource } from '../../src/telemetry/metrics';
import { createWorker } from '../../src/workers/worker';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (global setup starts the services)`);
  return value;
};

export const temporalAddress = () => env('RAYNE_TEST_TEMPORAL_ADDRESS');

/** A fresh database cloned from the migrated template, dropped by drop(). */
export async function createTestDatabase(): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const base = env('RAYNE_TEST_DATABASE_URL');
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const adminUrl = base.replace(/\/[^/]+$/, '/postgres');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE rayne_template`);
  await admin.end();
  const url = base.replace(/\/[^/]+$/, `/${name}`);
  const db = createPool(url, 4);
  // Workflow ids such as rca/{eventId} come from event ids; all test files share one Temporal server.
  await db.query(`ALTER SEQUENCE webhook_events_id_seq RESTART WITH ${crypto.randomInt(1, 1_000_000) * 1000}`);
  return {
    url,
    db,
    async drop() {
      await db.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Config as the API would load it, with a task queue of the test's own. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const home = path.join(env('RAYNE_TEST_WORK_DIR'), `home-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(home, { recursive: true });
  return loadConfig({
    RAYNE_HOME: home,
    TEMPORAL_TASK_QUEUE: `test-${crypto.randomBytes(6).toString('hex')}`,
    RAYNE_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    RAYNE_TEMPORAL_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'silent',
    // The tests' Datadog is a simulator or sandbox on loopback.
    RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: 'true',
    // One RCA per alert, as tests that predate incident groups expect; group tests set a wait.
    RAYNE_GROUP_WAIT_S: '0',
    ...overrides,
  });
}

export interface TestApi {
  app: ReturnType<typeof createApp>;
  runtime: ApiRuntime;
  config: Config;
  close(): Promise<void>;
}

/** The real app over a database URL and a Temporal address (the shared server unless given); /metrics adds extraMetrics. */
export function createTestApi(
  databaseUrl: string,
  config = testConfig(),
  address = temporalAddress(),
  extraMetrics: MetricsSource[] = [],
): TestApi {
  const log = createLogger('silent');
  const runtime = createApiRuntime(config, databaseUrl, address, log, extraMetrics);
  return { app: createApp({ ...runtime, config, log }), runtime, config, close: () => runtime.close() };
}

/** A worker on the config's task queue (sharing its encryption key with the API), running until stop(). */
export async function startTestWorker(db: Db, config: Config, address = temporalAddress()) {
  const { worker, connection, metrics } = await createWorker(
    {
      address,
      namespace: 'default',
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: { codePath: env('RAYNE_TEST_WORKFLOW_BUNDLE') },
    },
    createActivityDeps(config, db),
  );
  const running = worker.run();
  return {
    metrics,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** POSTs JSON to the app. */
export function postJson(app: TestApi['app'], url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Polls until check() returns a value, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function eventStatus(db: Db, id: string): Promise<string | undefined> {
  return (await db.query('SELECT status FROM webhook_events WHERE id = $1', [id])).rows[0]?.status;
}

/**
 * Terminates the workflows of the events `query` selects (one `workflow_id` column): a test's runs
 * must not linger on the Temporal server every test file shares. One already gone is skipped.
 */
export async function terminateWorkflowsOf(db: Db, temporal: TestApi['runtime']['temporal'], query: string): Promise<void> {
  const { rows } = await db.query<{ workflow_id: string }>(query);
  await Promise.all(
    rows.map((r) =>
      temporal.workflow
        .getHandle(r.workflow_id)
        .terminate('test over')
        .catch(() => undefined),
    ),
  );
}
