import crypto from 'node:crypto';
import { createApp } from '../../src/api/app';
import { startApiServer } from '../../src/api/server';
import { Intake } from '../../src/intake/intake';
import { freePort } from '../../src/dev/free-port';
import { createLogger } from '../../src/logger';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../src/temporal/connection';
import { metricValue } from '../support/prometheus';
import {
  createTestApi,
  createTestDatabase,
  eventually,
  postJson,
  temporalAddress,
  testConfig,
  type TestApi,
  terminateWorkflowsOf,
} from '../support/harness';

interface ErrorAnswer {
  error: { code: string; message: string };
}

describe('retrying rejected and dead-lettered events', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let monitor = 9_600_000;

  /** Stores an event as the intake would have left it, in `status`. */
  const storeEvent = async (status: string, fields: { workflow_id?: string; last_error?: string; start_attempts?: number } = {}) => {
    monitor += 1;
    const {
      rows: [row],
    } = await database.db.query<{ id: string }>(
      `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id, start_attempts, last_error)
       VALUES ($1, 'default', $2, 'Alert', '*', '{}', $3, $4, $5, $6) RETURNING id::text`,
      [
        crypto.randomUUID(),
        String(monitor),
        status,
        fields.workflow_id ?? `incident/default/${monitor}/*`,
        fields.start_attempts ?? 10,
        fields.last_error ?? 'connection refused',
      ],
    );
    return row!.id;
  };
  const row = async (id: string) =>
    (await database.db.query('SELECT status, run_id, start_attempts, last_error FROM webhook_events WHERE id = $1', [id])).rows[0];
  const retry = (app: TestApi['app'], id: string) => app.request(`/v1/webhooks/events/${id}/retry`, { method: 'POST' });
  /** An API whose Temporal address answers nothing, so every start waits out its deadline. */
  const apiWithoutTemporal = async () =>
    createTestApi(database.url, testConfig({ RAYNE_TEMPORAL_TIMEOUT_MS: '1000' }), `127.0.0.1:${await freePort()}`);

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
  });
  afterAll(async () => {
    await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM webhook_events WHERE status = 'started'");
    await api.close();
    await database.drop();
  });

  it('starts a dead-lettered event against Temporal as it is now, with a fresh round of attempts, and stores it started', async () => {
    const id = await storeEvent('dead_letter');
    const res = await retry(api.app, id);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; run_id: string; workflow_id: string };
    expect(body).toMatchObject({ event_id: id, status: 'started', run_id: expect.any(String) });
    expect(await row(id)).toEqual({ status: 'started', run_id: body.run_id, start_attempts: 1, last_error: null });
    expect((await api.runtime.temporal.workflow.getHandle(body.workflow_id).describe()).status.name).toBe('RUNNING');

    const again = await retry(api.app, id);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorAnswer).error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('is started') });
  });

  it('starts a rejected event whose cause is gone', async () => {
    const id = await storeEvent('rejected', { last_error: 'Namespace default has no mapping defined for search attribute RayneHost' });
    expect((await retry(api.app, id)).status).toBe(202);
    expect(await row(id)).toMatchObject({ status: 'started', last_error: null });
  });

  it('stores an event Temporal still refuses as rejected again, with the reason of this attempt', async () => {
    const id = await storeEvent('rejected', { workflow_id: `incident/default/x/${'x'.repeat(1100)}`, last_error: 'an older reason' });
    const res = await retry(api.app, id);
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorAnswer).error.message).toMatch(/workflow id is \d+ bytes/);
    expect(await row(id)).toMatchObject({
      status: 'rejected',
      run_id: null,
      last_error: expect.stringMatching(/^workflow id is \d+ bytes/),
    });
  });

  it('keeps a retried event pending for the reconciler while Temporal is away, answering 503', async () => {
    const away = await apiWithoutTemporal();
    try {
      const id = await storeEvent('dead_letter');
      const res = await retry(away.app, id);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      expect(await row(id)).toMatchObject({ status: 'pending_start', start_attempts: 1, last_error: expect.any(String) });
    } finally {
      await away.close();
    }
  });

  it('answers 404 for an unknown event, 400 for a malformed id, and retries nothing else', async () => {
    expect((await retry(api.app, '999999999999')).status).toBe(404);
    expect((await retry(api.app, 'abc')).status).toBe(400);
    const pending = await storeEvent('pending_start');
    const res = await retry(api.app, pending);
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorAnswer).error.message).toContain('pending_start');
    expect(await row(pending)).toMatchObject({ status: 'pending_start', start_attempts: 10 });
  });

  it('answers a resent dead-lettered alert with its state and its retry, starting nothing, then retries it', async () => {
    const alert = { monitor_id: 9_600_901, alert_status: 'Alert', transition_id: `dead-${crypto.randomUUID()}` };
    const away = await apiWithoutTemporal();
    let id: string;
    try {
      const first = await postJson(away.app, '/v1/webhooks/receive', alert);
      expect(first.status).toBe(503);
      id = /event (\d+)/.exec(((await first.json()) as ErrorAnswer).error.message)![1]!;
    } finally {
      await away.close();
    }
    // As the reconciler leaves an event whose start kept failing.
    await database.db.query("UPDATE webhook_events SET status = 'dead_letter', start_attempts = 10 WHERE id = $1", [id]);

    const resent = await postJson(api.app, '/v1/webhooks/receive', alert);
    expect(resent.status).toBe(200);
    const answer = (await resent.json()) as { links: { retry: string }; message: string };
    expect(answer).toMatchObject({
      event_id: id,
      duplicate: true,
      run_id: null,
      status: 'dead_letter',
      links: { retry: `/v1/webhooks/events/${id}/retry` },
      message: expect.stringContaining(`rayne events retry ${id}`),
    });
    expect(await row(id)).toMatchObject({ status: 'dead_letter', run_id: null, start_attempts: 10 });

    expect((await api.app.request(answer.links.retry, { method: 'POST' })).status).toBe(202);
    expect(await row(id)).toMatchObject({ status: 'started' });
  });

  it('answers a resent rejected alert 422 naming its retry', async () => {
    const alert = { monitor_id: 9_600_902, alert_status: 'Alert', transition_id: `rejected-${crypto.randomUUID()}` };
    const away = await apiWithoutTemporal();
    let id: string;
    try {
      id = /event (\d+)/.exec(((await (await postJson(away.app, '/v1/webhooks/receive', alert)).json()) as ErrorAnswer).error.message)![1]!;
    } finally {
      await away.close();
    }
    await database.db.query("UPDATE webhook_events SET status = 'rejected', last_error = 'too large' WHERE id = $1", [id]);
    const resent = await postJson(api.app, '/v1/webhooks/receive', alert);
    expect(resent.status).toBe(422);
    expect(((await resent.json()) as ErrorAnswer).error.message).toContain(`POST /v1/webhooks/events/${id}/retry`);
    expect(await row(id)).toMatchObject({ status: 'rejected' });
  });
});

describe('a Temporal that refuses Rayne’s setup', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('answers a wrong TEMPORAL_NAMESPACE as NotConfigured: 502, the event kept, no attempts used, /ready says not_configured', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const config = testConfig({ TEMPORAL_NAMESPACE: `no-such-namespace-${crypto.randomBytes(4).toString('hex')}` });
    const api = createTestApi(database.url, config);
    const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
    const intake = new Intake({
      ...api.runtime,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporalTimeoutMs: config.RAYNE_TEMPORAL_TIMEOUT_MS,
      maxStartAttempts: 1,
      log,
    });
    const app = createApp({ ...api.runtime, intake, config, log });
    try {
      const res = await postJson(app, '/v1/webhooks/receive', { monitor_id: 9_600_903, alert_status: 'Alert' });
      expect(res.status).toBe(502);
      const { error } = (await res.json()) as ErrorAnswer;
      expect(error.code).toBe('BAD_GATEWAY');
      expect(error.message).toContain(`no namespace "${config.TEMPORAL_NAMESPACE}"`);
      expect(error.message).not.toContain('when Temporal is back');
      const id = /event (\d+)/.exec(error.message)![1]!;
      await database.db.query("UPDATE webhook_events SET last_attempt_at = now() - interval '1 hour' WHERE id = $1", [id]);
      // One attempt allowed, yet the reconciler uses none while the namespace is wrong: nothing is dead-lettered.
      expect(await intake.reconcilePending()).toBe(0);
      const {
        rows: [stored],
      } = await database.db.query('SELECT status, start_attempts, last_error FROM webhook_events WHERE id = $1', [id]);
      expect(stored).toMatchObject({
        status: 'pending_start',
        start_attempts: 1,
        last_error: expect.stringContaining('TEMPORAL_NAMESPACE'),
      });
      expect(lines.find((l) => l.eventId === id)).toMatchObject({ level: 50, problem: expect.stringContaining('TEMPORAL_NAMESPACE') });

      const ready = await app.request('/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'degraded',
        checks: { postgres: { state: 'ok' }, temporal: { state: 'not_configured' } },
      });
    } finally {
      await api.close();
    }
  });

  it('keeps an event whose search attributes the namespace lacks pending, and starts it once they are registered', async () => {
    const namespace = `rayne-bare-${crypto.randomBytes(4).toString('hex')}`;
    const config = testConfig({ TEMPORAL_NAMESPACE: namespace });
    const api = createTestApi(database.url, config);
    try {
      await api.runtime.temporal.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      // A new namespace reaches every part of the server after its cache refreshes.
      const res = await eventually(async () => {
        const r = await postJson(api.app, '/v1/webhooks/receive', {
          monitor_id: 9_600_904,
          alert_status: 'Alert',
          transition_id: `bare-${namespace}`,
        });
        const body = (await r.json()) as ErrorAnswer;
        return !body.error.message.includes('no namespace') && { status: r.status, body };
      }, 60_000);
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('rayne migrate');
      const id = /event (\d+)/.exec(res.body.error.message)![1]!;
      const status = async () => (await database.db.query('SELECT status FROM webhook_events WHERE id = $1', [id])).rows[0].status;
      expect(await status()).toBe('pending_start');

      await ensureSearchAttributes({ address: temporalAddress(), namespace });
      await eventually(async () => {
        await database.db.query("UPDATE webhook_events SET last_attempt_at = now() - interval '1 hour' WHERE id = $1", [id]);
        await api.runtime.intake.reconcilePending().catch(() => 0);
        return (await status()) === 'started';
      }, 60_000);
    } finally {
      await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM webhook_events WHERE status = 'started'");
      await api.close();
    }
  });

  it('counts stored dead letters from the database when the API starts, and logs a wrong namespace loudly', async () => {
    await database.db.query(
      `INSERT INTO webhook_events (dedup_key, account, source, monitor_id, alert_status, scope, payload, status, workflow_id)
       SELECT 'restart-' || n, 'default', source, '1', 'Alert', '*', '{}', s, 'incident/default/1/*'
         FROM (VALUES (1, 'dead_letter', 'datadog'), (2, 'dead_letter', 'datadog'), (3, 'rejected', 'datadog'), (4, 'rejected', 'alertmanager'))
           AS v(n, s, source)`,
    );
    const before = await database.db.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM webhook_events WHERE status IN ('dead_letter', 'rejected') AND source = 'datadog' GROUP BY status",
    );
    const expected = Object.fromEntries(before.rows.map((r) => [r.status, r.n]));
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
    const config = testConfig({ PORT: String(await freePort()), HOST: '127.0.0.1', TEMPORAL_NAMESPACE: 'no-such-namespace-at-start' });
    const server = await startApiServer(config, database.url, temporalAddress(), log);
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(metricValue(text, 'rayne_events_not_started_total', { source: 'datadog', state: 'dead_letter' })).toBe(expected.dead_letter);
      expect(metricValue(text, 'rayne_events_not_started_total', { source: 'datadog', state: 'rejected' })).toBe(expected.rejected);
      expect(metricValue(text, 'rayne_events_not_started_total', { source: 'alertmanager', state: 'rejected' })).toBe(1);
      expect(metricValue(text, 'rayne_events_not_started_total', { source: 'github', state: 'dead_letter' })).toBe(0);
      const line = await eventually(async () => lines.find((l) => l.namespace === 'no-such-namespace-at-start'));
      expect(line).toMatchObject({ level: 50, problem: expect.stringContaining('TEMPORAL_NAMESPACE') });
    } finally {
      await server.stop();
    }
  });
});
