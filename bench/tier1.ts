/**
 * npm run bench:tier1 [-- --count N --concurrency C]
 *
 * 1. The exactly-once ledger's cost: N effects through runEffect (claim, POST, settle) against N
 *    bare POSTs to the same receiver, interleaved in rounds.
 * 2. Tier-1 end to end: N alerts through the API with notify, forward and Slack configured, timed
 *    from the POST until all three receivers got their request.
 * Starts embedded Postgres and a Temporal dev server unless DATABASE_URL and TEMPORAL_ADDRESS are
 * set. The last line is machine-readable.
 */
import os from 'node:os';
import { runEffect } from '../src/activities/effect-ledger';
import { EventStore } from '../src/events/store';
import { createApp } from '../src/api/app';
import type { Db } from '../src/db/pool';
import { startReceiver, type Receiver } from '../src/demo/receiver';
import { createApiRuntime } from '../src/runtime';
import { arg, compareInRounds, report, runBatch, runBenchmark, type Sample, startBenchWorker } from './measure';

const post = async (url: string, body: string) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`receiver answered ${res.status}`);
  return 'ok';
};

/** Resolves once the receiver got a request that mentions `token`. */
async function received(receiver: Receiver, token: string): Promise<void> {
  while (!receiver.requests.some((r) => r.body.includes(token))) await new Promise((r) => setTimeout(r, 2));
}

/** Event rows for the ledger's foreign key; the ledger benchmark needs nothing else of them. */
async function insertEvents(db: Db, n: number): Promise<string[]> {
  const { rows } = await db.query(
    `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id)
     SELECT 'bench-ledger-' || g, 'bench', '1', 'Alert', '*', '{}', 'processed', 'bench' FROM generate_series(1, $1) g
     RETURNING id::text`,
    [n],
  );
  return rows.map((r) => r.id);
}

const count = arg('count', 300);
const concurrency = arg('concurrency', 8);

runBenchmark(`bench-tier1-${Date.now()}`, async ({ config, log, databaseUrl, temporalAddress, stops }) => {
  const runtime = createApiRuntime(config, databaseUrl, temporalAddress, log);
  stops.push(() => runtime.close());
  const receivers = { notify: await startReceiver(), forward: await startReceiver(), slack: await startReceiver() };
  stops.push(async () => void (await Promise.all(Object.values(receivers).map((r) => r.close()))));
  console.log(`tier-1 benchmark: ${count} each, ${concurrency} in flight, ${os.cpus().length} cores`);

  // 1. Ledger overhead, in interleaved rounds.
  const eventIds = await insertEvents(runtime.db, count + 20);
  const target = `${receivers.notify.url}/ledger`;
  const ledgerEvents = new EventStore(runtime.db);
  const viaLedger = (i: number) =>
    runEffect(
      ledgerEvents,
      { eventId: eventIds[i]!, processor: 'notify', target: 'bench', label: 'bench' },
      { send: () => post(target, '{}') },
    ).then(() => undefined);
  const bare = () => post(target, '{}').then(() => undefined);
  const [ledgerSample, bareSample] = await compareInRounds(count, concurrency, viaLedger, bare);
  const ledger = report('POST through the ledger', ledgerSample);
  const direct = report('bare POST', bareSample);

  // 2. Alert to all three receivers, through the API, Temporal and a worker.
  await startBenchWorker({ config, temporalAddress, stops }, runtime.db);
  await runtime.processorConfigs.save('default', {
    notify: { enabled: true, urls: [`${receivers.notify.url}/notify`], statuses: ['Alert'], timeout_ms: 10_000 },
    forward: { enabled: true, urls: [`${receivers.forward.url}/forward`], statuses: ['Alert'], timeout_ms: 10_000 },
    slack: { enabled: true, webhook_url: `${receivers.slack.url}/slack`, statuses: ['Alert'], timeout_ms: 10_000 },
  });
  const app = createApp({ ...runtime, config, log });
  const runId = Date.now();
  const e2eSample: Sample = { seconds: 0, latencies: [] };
  await runBatch(e2eSample, 0, count, concurrency, async (i) => {
    const res = await app.request('/v1/webhooks/receive', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ monitor_id: 200000 + i, alert_status: 'Alert', hostname: `bench-${i}-host`, transition_id: `${runId}-${i}` }),
    });
    if (res.status !== 202) throw new Error(`API answered ${res.status}`);
    await Promise.all(Object.values(receivers).map((r) => received(r, `bench-${i}-host`)));
  });
  const e2e = report('alert → notify+forward+slack', e2eSample);
  console.log(
    `ledger_ratio=${(ledger.rps / direct.rps).toFixed(3)} ledger_p50_ms=${ledger.p50.toFixed(2)} bare_p50_ms=${direct.p50.toFixed(2)} tier1_alerts_per_s=${e2e.rps.toFixed(1)} tier1_p50_ms=${e2e.p50.toFixed(1)} tier1_p99_ms=${e2e.p99.toFixed(1)}`,
  );
});
