/** Shared by the benchmarks: infrastructure, batches with bounded concurrency, latency percentiles, one line per path. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../src/config';
import { freePort } from '../src/dev/free-port';
import { silentSteps, startInfrastructure } from '../src/dev/stack';
import type { Db } from '../src/db/pool';
import { createLogger, type Logger } from '../src/logger';
import { createActivityDeps } from '../src/runtime';
import { createWorker } from '../src/workers/worker';

export interface Result {
  rps: number;
  p50: number;
  p99: number;
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface Sample {
  seconds: number;
  latencies: number[];
}

/** Runs ops [from, to) with `concurrency` in flight, adding to sample; every call must succeed. */
export async function runBatch(
  sample: Sample,
  from: number,
  to: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<void> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        sample.latencies.push(performance.now() - t0);
      }
    }),
  );
  sample.seconds += (performance.now() - started) / 1000;
}

export function report(label: string, sample: Sample): Result {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  const result = { rps: sorted.length / sample.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  console.log(
    `${label.padEnd(28)} ${sorted.length} in ${sample.seconds.toFixed(2)}s  ${result.rps.toFixed(1)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms`,
  );
  return result;
}

const ROUNDS = 5;

/**
 * Runs a and b over the same indices, alternating in rounds so both see the same server state
 * (histories and tables grow as the benchmark goes), after a warm-up that keeps connection setup
 * out of the figures.
 */
export async function compareInRounds(
  count: number,
  concurrency: number,
  a: (i: number) => Promise<void>,
  b: (i: number) => Promise<void>,
): Promise<[Sample, Sample]> {
  await runBatch({ seconds: 0, latencies: [] }, count, count + 20, 4, async (i) => {
    await a(i);
    await b(i);
  });
  const samples: [Sample, Sample] = [
    { seconds: 0, latencies: [] },
    { seconds: 0, latencies: [] },
  ];
  const perRound = Math.ceil(count / ROUNDS);
  for (let from = 0; from < count; from += perRound) {
    const to = Math.min(count, from + perRound);
    await runBatch(samples[0], from, to, concurrency, a);
    await runBatch(samples[1], from, to, concurrency, b);
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K  ${to}/${count} of each`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return samples;
}

export interface BenchContext {
  config: Config;
  log: Logger;
  databaseUrl: string;
  temporalAddress: string;
  /** Undone in reverse order when the benchmark ends. */
  stops: Array<() => Promise<void>>;
}

/** A worker polling the benchmark's task queue in this process, shut down with the benchmark's other stops. */
export async function startBenchWorker(
  { config, temporalAddress, stops }: Pick<BenchContext, 'config' | 'temporalAddress' | 'stops'>,
  db: Db,
): Promise<void> {
  const { worker, connection } = await createWorker(
    { address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE },
    createActivityDeps(config, db),
  );
  const running = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });
}

/**
 * Runs a benchmark over Postgres and Temporal (embedded ones on free ports, beside any `rayne
 * dev`, unless DATABASE_URL and TEMPORAL_ADDRESS are set), cleans up, and exits 0 or 1.
 */
export function runBenchmark(taskQueue: string, body: (context: BenchContext) => Promise<void>): void {
  const run = async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-bench-'));
    fs.chmodSync(home, 0o755);
    const ports = { RAYNE_PG_PORT: await freePort(), RAYNE_TEMPORAL_PORT: await freePort(), RAYNE_TEMPORAL_UI_PORT: await freePort() };
    const config = loadConfig({
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      RAYNE_HOME: home,
      LOG_LEVEL: 'silent',
      TEMPORAL_TASK_QUEUE: taskQueue,
      // The benchmarks' Datadog is a simulator on loopback.
      RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: 'true',
    });
    const log = createLogger('silent');
    const stops: Array<() => Promise<void>> = [];
    try {
      const { databaseUrl, temporalAddress } = await startInfrastructure(config, log, silentSteps, stops);
      await body({ config, log, databaseUrl, temporalAddress, stops });
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    }
  };
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
