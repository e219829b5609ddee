/**
 * npm run bench:ingest [-- --count N --concurrency C]
 *
 * Sends N alerts through the real receive endpoint (HTTP on loopback: validate, store, signal-with-start)
 * and, against the same Temporal, N raw client.workflow.start calls, then prints requests/s and
 * p50/p99 for both. Starts embedded Postgres and a Temporal dev server unless DATABASE_URL and
 * TEMPORAL_ADDRESS are set. The last line is machine-readable.
 */
import os from 'node:os';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/app';
import { createApiRuntime } from '../src/runtime';
import { arg, compareInRounds, report, runBenchmark } from './measure';
import type { incidentWorkflow } from '../src/workflows';

const count = arg('count', 500);
const concurrency = arg('concurrency', 16);

runBenchmark('bench', async ({ config, log, databaseUrl, temporalAddress: address, stops }) => {
  const runtime = createApiRuntime(config, databaseUrl, address, log);
  stops.push(() => runtime.close());
  const app = createApp({ ...runtime, config, log });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  stops.push(() => new Promise((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/receive`;
  const runId = Date.now();

  console.log(`ingest benchmark: ${count} requests each, ${concurrency} in flight, interleaved rounds, ${os.cpus().length} cores`);
  const sendAlert = async (i: number) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        monitor_id: 100000 + i,
        alert_status: 'Alert',
        hostname: `host-${i}`,
        alert_id: i,
        transition_id: `${runId}-${i}`,
        tags: ['env:bench'],
      }),
    });
    if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
  };
  const startRaw = async (i: number) => {
    await runtime.temporal.workflow.start<typeof incidentWorkflow>('incidentWorkflow', {
      workflowId: `bench-raw/${runId}/${i}`,
      taskQueue: 'bench-raw',
      args: [{ account: 'bench', monitorId: String(i), scope: '*' }],
    });
  };
  const [apiSample, rawSample] = await compareInRounds(count, concurrency, sendAlert, startRaw);
  const api = report('API POST /receive', apiSample);
  const raw = report('raw client.workflow.start', rawSample);
  console.log(
    `ingest_ratio=${(api.rps / raw.rps).toFixed(3)} api_rps=${api.rps.toFixed(1)} raw_rps=${raw.rps.toFixed(1)} p99_ms=${api.p99.toFixed(1)}`,
  );
});
