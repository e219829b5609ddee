/**
 * npm run bench:ingest [-- --count N --concurrency C]
 *
 * Sends N alerts through the real receive endpoint (HTTP on loopback: validate, store, signal-with-start)
 * and, against the same Temporal, N raw client.workflow.start calls, then prints requests/s and
 * p50/p99 for both. Starts embedded Postgres and a Temporal dev server unless DATABASE_URL and
 * TEMPORAL_ADDRESS are set. The last line is machine-readable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { startEmbeddedPostgres } from '../src/dev/embedded-postgres';
import { freePort } from '../src/dev/free-port';
import { createLogger } from '../src/logger';
import { createApiRuntime } from '../src/runtime';
import { ensureSearchAttributes } from '../src/temporal/connection';
import { startTemporalDevServer } from '../src/temporal/dev-server';

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs `count` calls of op with `concurrency` in flight; every call must succeed. */
async function measure(label: string, count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  // Progress on a terminal only; piped output keeps just the result lines.
  const progress = setInterval(() => process.stderr.isTTY && process.stderr.write(`\r\x1b[K  ${label}: ${latencies.length}/${count}`), 500);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  clearInterval(progress);
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const result = { rps: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  console.log(`${label.padEnd(28)} ${count} in ${seconds.toFixed(2)}s  ${result.rps.toFixed(1)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms`);
  return result;
}

async function main() {
  const count = arg('count', 500);
  const concurrency = arg('concurrency', 16);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-bench-'));
  fs.chmodSync(home, 0o755);
  const config = loadConfig({ ...process.env, RAYNE_HOME: home, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: 'bench' });
  const stops: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(home, 'pg'), port: await freePort(), database: 'rayne' });
      stops.push(pg.stop);
      databaseUrl = pg.url;
    }
    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      const server = await startTemporalDevServer({ home, port: await freePort(), uiPort: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
      stops.push(server.stop);
      address = server.address;
    }
    await migrate(databaseUrl);
    await ensureSearchAttributes({ address, namespace: config.TEMPORAL_NAMESPACE });

    const log = createLogger('silent');
    const runtime = createApiRuntime(config, databaseUrl, address, log);
    stops.push(() => runtime.close());
    const app = createApp({ ...runtime, config, log });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    stops.push(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/receive`;
    const runId = Date.now();

    console.log(`ingest benchmark: ${count} requests each, ${concurrency} in flight, ${os.cpus().length} cores`);
    // Warm both paths so connection setup is not measured.
    await measure('warm-up', 20, 4, async (i) => {
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ monitor_id: 1, alert_status: 'Alert', transition_id: `w${runId}-${i}`, alert_id: 1 }) });
      await runtime.temporal.workflow.start('incidentWorkflow', { workflowId: `bench-warm/${runId}/${i}`, taskQueue: 'bench-raw', args: [{ account: 'bench', monitorId: '1', scope: '*' }] });
    });
    const api = await measure('API POST /receive', count, concurrency, async (i) => {
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ monitor_id: 100000 + i, alert_status: 'Alert', hostname: `host-${i}`, alert_id: i, transition_id: `${runId}-${i}`, tags: ['env:bench'] }),
      });
      if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
    });
    const raw = await measure('raw client.workflow.start', count, concurrency, async (i) => {
      await runtime.temporal.workflow.start('incidentWorkflow', {
        workflowId: `bench-raw/${runId}/${i}`, taskQueue: 'bench-raw', args: [{ account: 'bench', monitorId: String(i), scope: '*' }],
      });
    });
    console.log(`ingest_ratio=${(api.rps / raw.rps).toFixed(3)} api_rps=${api.rps.toFixed(1)} raw_rps=${raw.rps.toFixed(1)} p99_ms=${api.p99.toFixed(1)}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
