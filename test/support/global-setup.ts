import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { findTemporalCli } from '../../src/temporal/cli';
import { ensureSearchAttributes } from '../../src/temporal/connection';
import { freePort } from '../../src/dev/free-port';
import { workflowInterceptorModules } from '../../src/telemetry/temporal-telemetry';

export const TEMPLATE_DB = 'rayne_template';

/** Starts the run's one Postgres and one Temporal dev server; tests find them through env vars. */
export default async function globalSetup(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-test-'));
  fs.chmodSync(workDir, 0o755);
  const [postgres, env, bundle] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg'), port: await freePort(), database: TEMPLATE_DB }),
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: findTemporalCli() }, ip: '127.0.0.1' },
    }),
    // In-process test workers are not traced; the metrics interceptor is bundled as in production.
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      workflowInterceptorModules: workflowInterceptorModules(false),
      logger: quietLogger,
    }),
  ]);
  await migrate(postgres.url);
  // Test databases are cloned from the migrated template; it must have no open connections.
  const admin = new pg.Client({ connectionString: postgres.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${TEMPLATE_DB} WITH IS_TEMPLATE true`);
  await admin.end();

  const address = env.connection.options.address;
  await ensureSearchAttributes({ address, namespace: 'default' });
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.RAYNE_TEST_DATABASE_URL = postgres.url;
  process.env.RAYNE_TEST_TEMPORAL_ADDRESS = address;
  process.env.RAYNE_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.RAYNE_TEST_WORK_DIR = workDir;
  (globalThis as Record<string, unknown>).__rayneTest = { postgres, env, workDir };
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
