import crypto from 'node:crypto';
import { startReconciler } from '../../src/intake/intake';
import { createLogger } from '../../src/logger';
import { ensureSearchAttributes } from '../../src/temporal/connection';
import { startTemporalDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/dev/free-port';
import { createTestApi, createTestDatabase, eventStatus, eventually, postJson, startTestWorker, testConfig } from '../support/harness';

const alert = () => ({ monitor_id: 4242, alert_status: 'Alert', hostname: 'db-01', alert_id: 1, transition_id: crypto.randomUUID() });

describe('durability', () => {
  it('completes an alert accepted while no worker runs once a worker starts', async () => {
    const database = await createTestDatabase();
    const api = createTestApi(database.url);
    try {
      const res = await postJson(api.app, '/v1/webhooks/receive', alert());
      expect(res.status).toBe(202);
      const { event_id } = (await res.json()) as { event_id: string };
      await new Promise((r) => setTimeout(r, 500));
      expect(await eventStatus(database.db, event_id)).toBe('started');

      const worker = await startTestWorker(database.db, api.config);
      try {
        await eventually(async () => (await eventStatus(database.db, event_id)) === 'processed');
      } finally {
        await worker.stop();
      }
    } finally {
      await api.close();
      await database.drop();
    }
  });

  it('answers 503 while Temporal is down, keeps the event pending_start, and the reconciler starts it when Temporal returns', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const config = testConfig({ RAYNE_TEMPORAL_TIMEOUT_MS: '1500' });
    const api = createTestApi(database.url, config, `127.0.0.1:${port}`);
    const body = alert();
    let server: Awaited<ReturnType<typeof startTemporalDevServer>> | undefined;
    let worker: { stop(): Promise<void> } | undefined;
    try {
      const res = await postJson(api.app, '/v1/webhooks/receive', body);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      // The sender's retry while Temporal is still down neither duplicates nor drops the event.
      expect((await postJson(api.app, '/v1/webhooks/receive', body)).status).toBe(503);
      const rows = (await database.db.query('SELECT id::text, status, start_attempts, last_error FROM webhook_events')).rows;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'pending_start', start_attempts: 2 });
      expect(rows[0].last_error).toEqual(expect.any(String));
      // Still ready to store webhooks, so a load balancer keeps sending them here.
      const ready = await eventually(async () => {
        const res = await api.app.request('/ready');
        const body = (await res.json()) as { checks: { temporal: { state: string } } };
        return body.checks.temporal.state === 'unavailable' && { status: res.status, body };
      });
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'degraded', checks: { postgres: { state: 'ok' } } });
      const shown = (await (await api.app.request(`/v1/webhooks/events/${rows[0].id}`)).json()) as {
        status: string;
        workflow: { status: string };
      };
      expect(shown).toMatchObject({ status: 'pending_start', workflow: { status: 'NOT_STARTED' } });

      server = await startTemporalDevServer({ home: config.home, port, uiPort: await freePort(), namespace: 'default' });
      await ensureSearchAttributes({ address: server.address, namespace: 'default' });
      worker = await startTestWorker(database.db, config, server.address);
      const reconciler = startReconciler([api.runtime.intake], 200, createLogger('silent'));
      try {
        await eventually(async () => (await eventStatus(database.db, rows[0].id)) === 'processed', 30_000);
      } finally {
        await reconciler.stop();
      }
      const redelivery = await postJson(api.app, '/v1/webhooks/receive', body);
      expect(redelivery.status).toBe(200);
      expect(await redelivery.json()).toMatchObject({ event_id: rows[0].id, duplicate: true });
    } finally {
      await worker?.stop();
      await api.close();
      await server?.stop();
      await database.drop();
    }
  });
});
