import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { type Logger, temporalLogger } from '../logger';
import { scrapeText, WorkerMetrics, type MetricsSource } from '../telemetry/metrics';
import { workerTelemetry, workflowInterceptorModules } from '../telemetry/temporal-telemetry';

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /**
   * A prebuilt bundle (tests build one per run, with workflowInterceptorModules(false));
   * otherwise the workflows are bundled at start, with the interceptors tracing needs.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface RuntimeSettings {
  /** Temporal SDK logs (worker, workflow, activity) go through this pino logger; unset: plain text on stderr. */
  log?: Logger;
  /** Serve Temporal Core's own metrics (temporal_*) on this loopback port, for a metrics endpoint to relay. */
  coreMetricsPort?: number;
}

let runtimeInstalled = false;
let coreMetrics: MetricsSource | undefined;

const logLevel = (): LogLevel | undefined => (process.env.TEMPORAL_LOG_LEVEL?.toUpperCase() as LogLevel | undefined) || undefined;

/**
 * Installs the process's Temporal runtime once; later calls change nothing. Rayne stops its
 * workers itself on SIGINT/SIGTERM; the SDK's own handlers would drain them first.
 */
export function installRuntime(settings: RuntimeSettings = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { log, coreMetricsPort } = settings;
  const bindAddress = coreMetricsPort ? `127.0.0.1:${coreMetricsPort}` : undefined;
  Runtime.install({
    shutdownSignals: [],
    // Without a pino logger (tests), the SDK's own lines stay at WARN as before.
    logger: log ? temporalLogger(log, logLevel()) : new DefaultLogger(logLevel() ?? 'WARN'),
    ...(bindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } }
      : {}),
  });
  if (bindAddress) coreMetrics = scrapeText(`http://${bindAddress}/metrics`);
}

/** Temporal Core's metrics (temporal_*) as a source for a /metrics endpoint, when the runtime exports them. */
export const coreMetricsSource = (): MetricsSource | undefined => coreMetrics;

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  metrics: WorkerMetrics;
}

/** A worker for Rayne's workflows and activities, with its metrics; run() it, shutdown() it. */
export async function createWorker(settings: WorkerSettings, deps: ActivityDeps): Promise<RunningWorker> {
  installRuntime();
  const metrics = new WorkerMetrics();
  const { interceptors, sinks } = workerTelemetry(metrics);
  const connection = await NativeConnection.connect({ address: settings.address });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities({ ...deps, metrics }),
    sinks,
    ...(settings.workflowBundle
      ? { workflowBundle: settings.workflowBundle, interceptors }
      : {
          workflowsPath: require.resolve('../workflows'),
          interceptors: { ...interceptors, workflowModules: workflowInterceptorModules() },
        }),
  });
  return { worker, connection, metrics };
}

/** The activities that call a model: with TEMPORAL_LLM_TASK_QUEUE they run on that queue, and nothing else does. */
export const LLM_ACTIVITIES = ['analysisTurn', 'analysisTool', 'triageTurn', 'triageTool'] as const;

/**
 * A worker for the model-calling activities only, on their own task queue: scaled apart from the
 * rest, with at most `maxConcurrentActivities` turns at once to bound spend and rate limits.
 */
export async function createLlmWorker(
  settings: Omit<WorkerSettings, 'workflowBundle'> & { maxConcurrentActivities: number },
  deps: ActivityDeps,
  // Shared with a main worker in the same process: one set of series per /metrics.
  metrics = new WorkerMetrics(),
): Promise<RunningWorker> {
  installRuntime();
  const { interceptors } = workerTelemetry(metrics);
  const connection = await NativeConnection.connect({ address: settings.address });
  const all = createActivities({ ...deps, metrics });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: Object.fromEntries(LLM_ACTIVITIES.map((name) => [name, all[name]])),
    interceptors,
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
  });
  return { worker, connection, metrics };
}
