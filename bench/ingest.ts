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
import { freePort } from '../src/dev/free-port';
import { silentSteps, startInfrastructure } from '../src/dev/stack';
import { createLogger } from '../src/logger';
import { createApiRuntime } from '../src/runtime';
import { arg, report, runBatch, type Sample } from './measure';

const ROUNDS = 5;

async function main() {
  const count = arg('count', 500);
  const concurrency = arg('concurrency', 16);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-bench-'));
  fs.chmodSync(home, 0o755);
  // Free ports, so the benchmark runs beside a `rayne dev` on the defaults.
  const ports = { RAYNE_PG_PORT: await freePort(), RAYNE_TEMPORAL_PORT: await freePort(), RAYNE_TEMPORAL_UI_PORT: await freePort() };
  const config = loadConfig({
    ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    RAYNE_HOME: home, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: 'bench',
  });
  const log = createLogger('silent');
  const stops: Array<() => Promise<void>> = [];
  try {
    const { databaseUrl, temporalAddress: address } = await startInfrastructure(config, log, silentSteps, stops);
    const runtime = createApiRuntime(config, databaseUrl, address, log);
    stops.push(() => runtime.close());
    const app = createApp({ ...runtime, config, log });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    stops.push(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/receive`;
    const runId = Date.now();

    console.log(`ingest benchmark: ${count} requests each, ${concurrency} in flight, ${ROUNDS} interleaved rounds, ${os.cpus().length} cores`);
    const sendAlert = async (i: number) => {
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ monitor_id: 100000 + i, alert_status: 'Alert', hostname: `host-${i}`, alert_id: i, transition_id: `${runId}-${i}`, tags: ['env:bench'] }),
      });
      if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
    };
    const startRaw = async (i: number) => {
      await runtime.temporal.workflow.start('incidentWorkflow', {
        workflowId: `bench-raw/${runId}/${i}`, taskQueue: 'bench-raw', args: [{ account: 'bench', monitorId: String(i), scope: '*' }],
      });
    };
    // Warm both paths so connection setup is not measured.
    await runBatch({ seconds: 0, latencies: [] }, count, count + 20, 4, async (i) => {
      await sendAlert(i);
      await startRaw(i);
    });
    // Alternate the two in rounds so both see the same server state (its history grows as we go).
    const apiSample: Sample = { seconds: 0, latencies: [] };
    const rawSample: Sample = { seconds: 0, latencies: [] };
    const perRound = Math.ceil(count / ROUNDS);
    for (let from = 0; from < count; from += perRound) {
      const to = Math.min(count, from + perRound);
      await runBatch(apiSample, from, to, concurrency, sendAlert);
      await runBatch(rawSample, from, to, concurrency, startRaw);
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K  ${to}/${count} of each`);
    }
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const api = report('API POST /receive', apiSample);
    const raw = report('raw client.workflow.start', rawSample);
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
