import crypto from 'node:crypto';
import { startApiServer, type RunningApi } from '../../src/api/server';
import { freePort } from '../../src/dev/free-port';
import { createLogger } from '../../src/logger';
import { ensureSearchAttributes } from '../../src/temporal/connection';
import { type DevServer, startTemporalDevServer } from '../../src/temporal/dev-server';
import { createTestDatabase, eventually, testConfig } from '../support/harness';

const alert = () => ({ monitor_id: 8080, alert_status: 'Alert', hostname: 'db-01', alert_id: 1, transition_id: crypto.randomUUID() });

describe('Temporal stopped and started again under a running API', () => {
  it('answers /ready from background checks throughout, and starts the events kept during the outage once Temporal is back', async () => {
    const database = await createTestDatabase();
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    // The reconciler's own interval is far off, and the kept events' back-off (32 s after six failed
    // starts) is longer than the wait: only a wake on Temporal's return that ignores it starts them in time.
    const config = testConfig({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      RAYNE_TEMPORAL_TIMEOUT_MS: '2000',
      RAYNE_READY_INTERVAL_MS: '500',
      RAYNE_RECONCILE_INTERVAL_MS: '600000',
    });
    let temporal: DevServer | undefined;
    const startTemporal = async () =>
      (temporal = await startTemporalDevServer({ home: config.home, port: temporalPort, uiPort, namespace: 'default' }));
    await ensureSearchAttributes({ address: (await startTemporal()).address, namespace: 'default' });
    let api: RunningApi | undefined;
    const observed: Record<string, number> = {};
    try {
      api = await startApiServer(config, database.url, `127.0.0.1:${temporalPort}`, createLogger('silent'));
      const base = api.url;
      const ready = async () => {
        const started = Date.now();
        const res = await fetch(`${base}/ready`);
        const body = (await res.json()) as any;
        observed.ready_slowest_ms = Math.max(observed.ready_slowest_ms ?? 0, Date.now() - started);
        return { status: res.status, body };
      };
      const send = (body = alert()) =>
        fetch(`${base}/v1/webhooks/receive`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const rows = async () => (await database.db.query('SELECT status, start_attempts FROM webhook_events ORDER BY id')).rows;
      const statuses = async () => (await rows()).map((r) => r.status);

      await eventually(async () => (await ready()).body.status === 'ready');
      const up = await ready();
      expect(up).toEqual({
        status: 200,
        body: {
          status: 'ready',
          checks: {
            postgres: { state: 'ok', checked_at: expect.any(String) },
            temporal: { state: 'ok', checked_at: expect.any(String) },
          },
        },
      });
      expect((await send()).status).toBe(202);

      await temporal!.stop();
      temporal = undefined;
      // Still ready to store webhooks, as the README and the k8s probe say: degraded, not 503.
      await eventually(async () => (await ready()).body.checks.temporal.state === 'unavailable');
      const down = await ready();
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({ status: 'degraded', checks: { postgres: { state: 'ok' }, temporal: { state: 'unavailable' } } });
      expect(Date.parse(down.body.checks.temporal.checked_at)).toBeGreaterThan(Date.parse(up.body.checks.temporal.checked_at));
      // The sender retries each alert it got a 503 for; each retry is a failed start, and grows the event's back-off.
      const kept = [alert(), alert()];
      for (let retry = 0; retry < 6; retry++) {
        for (const answer of await Promise.all(kept.map((body) => send(body)))) expect(answer.status).toBe(503);
      }
      expect(await rows()).toEqual([
        { status: 'started', start_attempts: 1 },
        { status: 'pending_start', start_attempts: 6 },
        { status: 'pending_start', start_attempts: 6 },
      ]);

      await startTemporal();
      const back = Date.now();
      const since = (name: string) => (observed[name] = Date.now() - back);
      const firstNewStart = async () => {
        while ((await send()).status !== 202);
        since('first_new_start_after_ms');
      };
      const keptStarted = async () => {
        await eventually(async () => (await statuses()).slice(0, 3).every((s) => s === 'started'), 25_000);
        since('kept_events_started_after_ms');
      };
      await Promise.all([firstNewStart(), keptStarted()]);
      await eventually(async () => (await ready()).body.status === 'ready');
      since('ready_after_ms');
    } finally {
      console.log('temporal recovery (ms):', JSON.stringify(observed));
      await api?.stop();
      await temporal?.stop();
      await database.drop();
    }
  });
});
