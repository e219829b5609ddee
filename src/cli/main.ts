import path from 'node:path';
import { Command } from 'commander';
import { startApiServer } from '../api/server';
import { type Config, ConfigError, loadConfig, obsoleteSettings } from '../config';
import { createPool } from '../db/pool';
import { StartupError } from '../errors';
import { migrate } from '../db/migrate';
import { DEFAULT_SCENARIO, runDemo } from '../demo/demo';
import { consoleSteps, startDevStack } from '../dev/stack';
import { createLogger, type Logger } from '../logger';
import { ensureSearchAttributes } from '../temporal/connection';
import { createActivityDeps } from '../runtime';
import { createWorker } from '../workers/worker';
import { addLogsCommand } from './logs';

const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl) throw new StartupError('set DATABASE_URL (or DB_HOST, DB_USER, DB_PASSWORD, DB_NAME); `rayne dev` starts an embedded Postgres instead');
  return config.databaseUrl;
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Resolves once SIGINT or SIGTERM arrives. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });
}

async function dev(config: Config, log: Logger) {
  const out = (s: string) => process.stdout.write(s);
  out('Starting Rayne (embedded defaults; set DATABASE_URL or TEMPORAL_ADDRESS to use real ones)\n');
  const stack = await startDevStack(config, log, consoleSteps(out));
  out(
    `\nRayne is up:\n` +
      `  API          ${stack.apiUrl}  (POST /v1/webhooks/receive)\n` +
      (stack.temporalUiUrl ? `  Temporal UI  ${stack.temporalUiUrl}\n` : '') +
      `  Temporal     ${stack.temporalAddress}  (namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE})\n` +
      `  Postgres     ${redactUrl(stack.databaseUrl)}\n` +
      `\nTry:  curl -X POST ${stack.apiUrl}/v1/webhooks/receive -H 'content-type: application/json' \\\n` +
      `        -d '{"monitor_id":1,"alert_status":"Alert","monitor_name":"High CPU","hostname":"web-01"}'\n` +
      `Press Ctrl-C to stop.\n`,
  );
  const signal = await untilSignal();
  out(`\n${signal}: stopping ...\n`);
  await stack.stop();
  out('stopped.\n');
}

async function api(config: Config, log: Logger) {
  const databaseUrl = requireDatabaseUrl(config);
  const address = config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  await migrate(databaseUrl, (m) => log.info(m));
  // Starts that carry unregistered search attributes are rejected, so register them when allowed.
  await ensureSearchAttributes({ address, namespace: config.TEMPORAL_NAMESPACE }).catch((err) =>
    log.warn({ err: (err as Error).message }, 'could not register search attributes; run `rayne migrate` with TEMPORAL_ADDRESS set'),
  );
  const running = await startApiServer(config, databaseUrl, address, log);
  log.info({ url: running.url, temporal: address }, 'api listening');
  await untilSignal();
  await running.stop();
}

async function worker(config: Config, log: Logger) {
  const db = createPool(requireDatabaseUrl(config));
  const address = config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  const { worker: w, connection } = await createWorker({ address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, createActivityDeps(config, db));
  log.info({ temporal: address, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  const running = w.run();
  await Promise.race([untilSignal().then(() => w.shutdown()), running]);
  await running;
  await connection.close();
  await db.end();
}

async function migrateCommand(config: Config) {
  const applied = await migrate(requireDatabaseUrl(config), (m) => console.log(m));
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
  if (config.TEMPORAL_ADDRESS) {
    const added = await ensureSearchAttributes({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
    console.log(added.length ? `registered search attributes: ${added.join(', ')}` : 'search attributes present');
  }
}

type Action = (config: Config, log: Logger) => Promise<void>;

/** Loads config, runs the action, and turns failures into one clear line and exit code 1. */
const run = (action: Action) => async () => {
  try {
    const config = loadConfig();
    const log = createLogger(config.LOG_LEVEL);
    for (const warning of obsoleteSettings(config)) log.warn(warning);
    await action(config, log);
    process.exit(0);
  } catch (err) {
    console.error(`\nrayne: ${err instanceof StartupError ? err.message : (err as Error).stack}`);
    process.exit(err instanceof ConfigError ? 78 : 1);
  }
};

export function buildCli(): Command {
  const program = new Command('rayne').description('Durable alert investigation on Temporal');
  program.command('dev').description('run the whole stack locally: embedded Postgres, Temporal dev server, worker, API').action(run(dev));
  program.command('api').description('serve the HTTP API (needs DATABASE_URL and TEMPORAL_ADDRESS)').action(run(api));
  program.command('worker').description('run a Temporal worker for Rayne workflows and activities').action(run(worker));
  program.command('migrate').description('apply database migrations and register Temporal search attributes').action(run(async (c) => migrateCommand(c)));
  program
    .command('demo')
    .argument('[scenario-file]', 'an incident scenario (see scenarios/README.md)', DEFAULT_SCENARIO)
    .option('--exit', 'stop once the results are printed instead of waiting for Ctrl-C')
    .description('run the stack against a Datadog sandbox seeded from a scenario, send its alert and recovery, and show what each processor did')
    .action((file: string, opts: { exit?: boolean }) =>
      run((config, log) => runDemo(config, log, { scenarioFile: path.resolve(file), exitWhenDone: opts.exit === true, untilStopped: untilSignal }))());
  addLogsCommand(program);
  program.addHelpText('after', '\nExamples:\n  rayne dev\n  rayne demo\n  rayne demo scenarios/checkout-service-error-rate-spike.json --exit\n  DATABASE_URL=postgres://... TEMPORAL_ADDRESS=temporal:7233 rayne api\n');
  return program;
}

if (require.main === module) void buildCli().parseAsync(process.argv);
