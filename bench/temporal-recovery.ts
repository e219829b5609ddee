/**
 * npm run bench:recovery [-- --outage SECONDS --kept N]
 *
 * Runs the API server against a Temporal dev server of its own, stops that server for SECONDS
 * (default 60) while N alerts (default 5) arrive, are kept pending and are sent again after each
 * 503's Retry-After, starts it again, and prints
 * how long /ready took at worst meanwhile, and, from Temporal's return, when a new alert was first
 * started, when the kept ones were, and when /ready said ready. The last line is machine-readable.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { RETRY_AFTER_SECONDS } from '../src/api/errors';
import { startApiServer } from '../src/api/server';
import { createPool } from '../src/db/pool';
import { freePort } from '../src/dev/free-port';
import { ensureSearchAttributes } from '../src/temporal/connection';
import { type DevServer, startTemporalDevServer } from '../src/temporal/dev-server';
import { arg, runBenchmark } from './measure';

const outageSeconds = arg('outage', 60);
const kept = arg('kept', 5);

runBenchmark('bench-recovery', async ({ config, log, databaseUrl, stops }) => {
  const [port, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const home = path.join(config.home, 'recovery');
  const startTemporal = () => startTemporalDevServer({ home, port, uiPort, namespace: 'default' });
  let temporal: DevServer = await startTemporal();
  stops.push(() => temporal.stop());
  await ensureSearchAttributes({ address: temporal.address, namespace: 'default' });
  const api = await startApiServer({ ...config, PORT: apiPort, HOST: '127.0.0.1' }, databaseUrl, temporal.address, log);
  stops.push(() => api.stop());
  const db = createPool(databaseUrl, 1);
  stops.push(() => db.end());

  const alert = () => JSON.stringify({ monitor_id: 7, alert_status: 'Alert', alert_id: 1, transition_id: crypto.randomUUID() });
  const send = async (body = alert()) =>
    (await fetch(`${api.url}/v1/webhooks/receive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status;
  const ready = async () => {
    const started = performance.now();
    const { status } = (await (await fetch(`${api.url}/ready`)).json()) as { status: string };
    return { status, ms: performance.now() - started };
  };
  const pending = async () =>
    (await db.query(`SELECT count(*)::int AS n FROM webhook_events WHERE status = 'pending_start'`)).rows[0].n as number;
  const until = async (done: () => Promise<boolean>) => {
    while (!(await done())) await new Promise((r) => setTimeout(r, 50));
  };

  await until(async () => (await ready()).status === 'ready');
  console.log(`temporal recovery benchmark: ${outageSeconds} s outage, ${kept} alerts kept meanwhile`);
  await temporal.stop();
  const outageEnds = Date.now() + outageSeconds * 1000;
  // The sender retries each after the Retry-After the 503 gives, as Datadog does, until the outage ends.
  const keptAlerts = Array.from({ length: kept }, alert);
  const resend = async () => {
    const answers = await Promise.all(keptAlerts.map((body) => send(body)));
    if (answers.some((status) => status !== 503)) throw new Error(`alerts during the outage were answered ${answers.join(', ')}, not 503`);
  };
  let resent = resend();
  let nextResend = Date.now() + RETRY_AFTER_SECONDS * 1000;
  let slowestReadyMs = 0;
  while (Date.now() < outageEnds) {
    slowestReadyMs = Math.max(slowestReadyMs, (await ready()).ms);
    if (Date.now() >= nextResend) {
      await resent;
      resent = resend();
      nextResend = Date.now() + RETRY_AFTER_SECONDS * 1000;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await resent;

  temporal = await startTemporal();
  const back = performance.now();
  const since = async (done: () => Promise<boolean>) => {
    await until(done);
    return performance.now() - back;
  };
  const [firstStartMs, keptStartedMs, readyMs] = await Promise.all([
    since(async () => (await send()) === 202),
    since(async () => (await pending()) === 0),
    since(async () => (await ready()).status === 'ready'),
  ]);
  console.log(`/ready during the outage      slowest ${slowestReadyMs.toFixed(1)} ms`);
  console.log(
    `after Temporal's return       first new start ${firstStartMs.toFixed(0)} ms, kept events started ${keptStartedMs.toFixed(0)} ms, ready ${readyMs.toFixed(0)} ms`,
  );
  console.log(
    `outage_s=${outageSeconds} ready_slowest_ms=${slowestReadyMs.toFixed(1)} first_start_ms=${firstStartMs.toFixed(0)} kept_started_ms=${keptStartedMs.toFixed(0)} ready_ms=${readyMs.toFixed(0)}`,
  );
});
