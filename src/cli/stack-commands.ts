/** The commands that run parts of the stack; main.ts loads this module only when one of them runs. */
import path from 'node:path';
import { startApiServer } from '../api/server';
import type { Config } from '../config';
import { createPool } from '../db/pool';
import { StartupError } from '../errors';
import { migrate } from '../db/migrate';
import { runDemo } from '../demo/demo';
import { runEval } from '../demo/eval';
import { isStormFolder, runStormEval } from '../demo/storm-eval';
import type { AnalystName } from '../contracts/rca';
import { DEFAULT_SCENARIO, indexHistory, SANDBOX_KEYS, useSandboxAccount } from '../demo/stack-client';
import { type DatadogSandbox, startDatadogSandbox } from '../demo/sandbox';
import { loadScenario } from '../demo/scenario';
import { apiClient } from '../api-client';
import { consoleSteps, startDevStack } from '../dev/stack';
import type { Logger } from '../logger';
import { ensureSearchAttributes } from '../temporal/connection';
import { createActivityDeps } from '../runtime';
import { coreMetricsSource, createLlmWorker, createWorker, installRuntime, type RunningWorker } from '../workers/worker';
import { freePort } from '../dev/free-port';
import { processMetrics } from '../telemetry/metrics';
import { startMetricsServer } from '../telemetry/metrics-server';

const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl)
    throw new StartupError('set DATABASE_URL (or DB_HOST, DB_USER, DB_PASSWORD, DB_NAME); `rayne dev` starts an embedded Postgres instead');
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

const SANDBOX_ACCOUNT = 'sandbox';

/** How to run this CLI again from here: ./bin/rayne.js in a clone, else \`rayne\` (installed or linked). */
function selfCommand(): string {
  const script = path.relative(process.cwd(), process.argv[1] ?? '');
  return script && !script.startsWith('..') && !path.isAbsolute(script) ? `./${script}` : 'rayne';
}

/** `rayne dev`; with a sandbox scenario, a Datadog sandbox seeded from it is the default account, so an RCA has evidence to conclude from. */
export async function dev(config: Config, log: Logger, sandbox?: string | true) {
  const sandboxScenario = sandbox === true ? DEFAULT_SCENARIO : sandbox && path.resolve(sandbox);
  const out = (s: string) => process.stdout.write(s);
  out('Starting Rayne (embedded defaults; set DATABASE_URL or TEMPORAL_ADDRESS to use real ones)\n');
  const step = consoleSteps(out);
  const scenario = sandboxScenario ? loadScenario(sandboxScenario) : undefined;
  let datadog: DatadogSandbox | undefined;
  if (scenario) {
    const s = step(`Datadog sandbox seeded from ${path.basename(sandboxScenario!)}`);
    datadog = await startDatadogSandbox({ scenario, apiKey: SANDBOX_KEYS.api_key, appKey: SANDBOX_KEYS.app_key });
    s.done(`(${datadog.url})`);
  }
  // The sandbox listens on loopback, so its account needs the opt-in for local addresses.
  const stack = await startDevStack(datadog ? { ...config, RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: true } : config, log, step);
  if (scenario && datadog) {
    const s = step(`account "${SANDBOX_ACCOUNT}" (default) on the sandbox, with its past incidents`);
    await useSandboxAccount(apiClient(stack.apiUrl, config.RAYNE_API_TOKEN), SANDBOX_ACCOUNT, scenario, datadog.url);
    await indexHistory(config, stack.databaseUrl, scenario, SANDBOX_ACCOUNT);
    s.done();
  }
  const tryIt = sandboxScenario
    ? `\nTry:  ${selfCommand()} send --scenario ${path.relative(process.cwd(), sandboxScenario)} --wait\n      (prints the RCA's conclusion and its page in the console)\n`
    : `\nTry:  curl -X POST ${stack.apiUrl}/v1/webhooks/receive -H 'content-type: application/json' \\\n` +
      `        -d '{"monitor_id":1,"alert_status":"Alert","monitor_name":"High CPU","hostname":"web-01"}'\n` +
      `      With no Datadog account the RCA has no evidence; \`rayne dev --sandbox\` gives it a seeded Datadog sandbox.\n`;
  out(
    `\nRayne is up:\n` +
      `  Console      ${stack.apiUrl}/  (incidents, RCAs, GitHub triages)\n` +
      `  API          ${stack.apiUrl}  (POST /v1/webhooks/receive; reference at ${stack.apiUrl}/docs)\n` +
      (stack.temporalUiUrl ? `  Temporal UI  ${stack.temporalUiUrl}\n` : '') +
      `  Temporal     ${stack.temporalAddress}  (namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE})\n` +
      `  Postgres     ${redactUrl(stack.databaseUrl)}\n` +
      (datadog ? `  Datadog      ${datadog.url}  (sandbox, account "${SANDBOX_ACCOUNT}")\n` : '') +
      tryIt +
      `Press Ctrl-C to stop.\n`,
  );
  const signal = await untilSignal();
  out(`\n${signal}: stopping ...\n`);
  await stack.stop();
  await datadog?.close();
  out('stopped.\n');
}

export async function api(config: Config, log: Logger) {
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

export type WorkerQueue = 'all' | 'main' | 'llm';

/**
 * `rayne worker`: the main task queue (workflows and activities) and, with
 * TEMPORAL_LLM_TASK_QUEUE, the model activities' queue; `--queue` runs one of them only.
 */
export async function worker(config: Config, log: Logger, queue: WorkerQueue = 'all') {
  const llmQueue = config.TEMPORAL_LLM_TASK_QUEUE;
  if (queue === 'llm' && !llmQueue)
    throw new StartupError('--queue llm needs TEMPORAL_LLM_TASK_QUEUE: the task queue the model activities are sent to');
  const db = createPool(requireDatabaseUrl(config));
  const address = config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  // Temporal Core serves its temporal_* series on a loopback port; the worker's endpoint relays them.
  installRuntime({ log, coreMetricsPort: await freePort() });
  const deps = createActivityDeps(config, db);
  const settings = { address, namespace: config.TEMPORAL_NAMESPACE };
  const workers: RunningWorker[] = [];
  if (queue !== 'llm') workers.push(await createWorker({ ...settings, taskQueue: config.TEMPORAL_TASK_QUEUE }, deps));
  if (queue !== 'main' && llmQueue) {
    workers.push(
      await createLlmWorker(
        { ...settings, taskQueue: llmQueue, maxConcurrentActivities: config.RAYNE_LLM_CONCURRENCY },
        deps,
        workers[0]?.metrics,
      ),
    );
  }
  const core = coreMetricsSource();
  const metricsServer = await startMetricsServer(config.HOST, config.RAYNE_WORKER_METRICS_PORT, [
    processMetrics(),
    workers[0]!.metrics.registry,
    ...(core ? [core] : []),
  ]);
  log.info({ metrics: metricsServer.url }, 'worker metrics listening');
  log.info({ temporal: address, taskQueues: workers.map((w) => w.worker.options.taskQueue) }, 'worker running');
  const running = Promise.all(workers.map((w) => w.worker.run()));
  await Promise.race([untilSignal().then(() => workers.forEach((w) => w.worker.shutdown())), running]);
  await running;
  await metricsServer.stop();
  await Promise.all(workers.map((w) => w.connection.close()));
  await db.end();
}

export async function migrateCommand(config: Config) {
  const applied = await migrate(requireDatabaseUrl(config), (m) => console.log(m));
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
  if (config.TEMPORAL_ADDRESS) {
    const added = await ensureSearchAttributes({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
    console.log(added.length ? `registered search attributes: ${added.join(', ')}` : 'search attributes present');
  }
}

export async function demo(config: Config, log: Logger, file: string | undefined, exitWhenDone: boolean) {
  // The demo prints its own report: the SDK's lines stay plain and at WARN, not interleaved JSON.
  installRuntime();
  await runDemo(config, log, { scenarioFile: file ? path.resolve(file) : DEFAULT_SCENARIO, exitWhenDone, untilStopped: untilSignal });
}

export async function evaluate(
  config: Config,
  log: Logger,
  dir: string,
  opts: { analyst?: AnalystName; bundles?: string; crossValidate?: boolean },
) {
  installRuntime();
  if (isStormFolder(path.resolve(dir))) {
    if (opts.analyst || opts.bundles || opts.crossValidate)
      throw new StartupError('--analyst, --bundles and --cross-validate apply to single-alert scenarios, not storms');
    const rows = await runStormEval(config, log, { dir: path.resolve(dir), apiUrl: config.RAYNE_URL });
    if (rows.some((r) => r.rootCause.startsWith('(failed'))) throw new StartupError('some RCAs failed; see the table above');
    return;
  }
  const rows = await runEval(config, log, {
    dir: path.resolve(dir),
    analyst: opts.analyst,
    apiUrl: config.RAYNE_URL,
    bundlesDir: opts.bundles && path.resolve(opts.bundles),
    crossValidate: opts.crossValidate,
  });
  if (rows.some((r) => r.rootCause.startsWith('(failed'))) throw new StartupError('some RCAs failed; see the table above');
}
