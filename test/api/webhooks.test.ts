import type { Db } from '../../src/db/pool';
import { RayneAccount, RayneHost, RayneMonitorId, RayneService } from '../../src/contracts/search-attributes';
import {
  createTestApi,
  createTestDatabase,
  eventStatus,
  eventually,
  postJson,
  startTestWorker,
  testConfig,
  type TestApi,
} from '../support/harness';

const alert = (overrides: Record<string, unknown> = {}) => ({
  alert_id: 123456789,
  alert_title: 'High CPU Usage on web-server-01',
  alert_message: '%%%\nCPU above 90%\n%%%',
  alert_status: 'Alert',
  monitor_id: 87654321,
  monitor_name: 'High CPU Alert',
  monitor_type: 'metric alert',
  tags: ['env:production', 'service:api-gateway'],
  timestamp: 1706540400,
  hostname: 'web-server-01',
  service: 'api-gateway',
  scope: 'host:web-server-01',
  transition_id: 'abc123',
  org_id: 123456,
  APPLICATION_TEAM: 'platform-engineering',
  URGENCY: 'high',
  UNKNOWN_FIELD: { kept: true },
  ...overrides,
});

const countEvents = async (db: Db) => (await db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;

describe('POST /v1/webhooks/receive', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: { stop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  it('answers 202 with the ids once stored and started, and the workflow records the transition', async () => {
    const res = await postJson(api.app, '/v1/webhooks/receive', alert());
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ workflow_id: 'incident/default/87654321/host:web-server-01', duplicate: false });
    expect(body.run_id).toEqual(expect.any(String));
    await eventually(async () => (await eventStatus(database.db, body.event_id)) === 'processed');
    const row = (await database.db.query('SELECT payload, processing FROM webhook_events WHERE id = $1', [body.event_id])).rows[0];
    expect(row.payload).toMatchObject({ UNKNOWN_FIELD: { kept: true }, alert_message: '%%%\nCPU above 90%\n%%%' });
    expect(row.processing).toMatchObject({ status: 'Alert', startRca: true, episode: 1 });
    const { typedSearchAttributes: attrs } = await api.runtime.temporal.workflow.getHandle(body.workflow_id).describe();
    expect([RayneMonitorId, RayneService, RayneHost, RayneAccount].map((key) => attrs.get(key))).toEqual([
      '87654321',
      'api-gateway',
      'web-server-01',
      'default',
    ]);
  });

  it('answers 200 with the original ids for a redelivery, and changes nothing', async () => {
    const first = (await (await postJson(api.app, '/v1/webhooks/receive', alert({ transition_id: 'redeliver' }))).json()) as any;
    const before = await countEvents(database.db);
    const again = await postJson(api.app, '/v1/webhooks/receive', alert({ transition_id: 'redeliver', URGENCY: 'changed' }));
    expect(again.status).toBe(200);
    expect((await again.json()) as any).toEqual({ ...first, duplicate: true });
    expect(await countEvents(database.db)).toBe(before);
  });

  it('dedups payloads without a transition id by their canonical content', async () => {
    const body = { monitor_id: 77, alert_status: 'Warn', hostname: 'h1', b: 1, a: 2 };
    const first = await postJson(api.app, '/v1/webhooks/receive', body);
    expect(first.status).toBe(202);
    const second = await postJson(
      api.app,
      '/v1/webhooks/receive',
      JSON.stringify({ a: 2, b: 1, hostname: 'h1', alert_status: 'Warn', monitor_id: '77' }),
    );
    // A string monitor id is a different raw payload, so only a byte-for-byte-equivalent object is a duplicate.
    const third = await postJson(api.app, '/v1/webhooks/receive', { a: 2, b: 1, hostname: 'h1', alert_status: 'Warn', monitor_id: 77 });
    expect(second.status).toBe(202);
    expect(third.status).toBe(200);
  });

  it('rejects invalid input with field messages and stores nothing', async () => {
    const before = await countEvents(database.db);
    const res = await postJson(api.app, '/v1/webhooks/receive', { monitor_id: 'abc', alert_status: 'Exploded', timestamp: 'yesterday' });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as any;
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['monitor_id', 'alert_status', 'timestamp']),
    );
    expect((await postJson(api.app, '/v1/webhooks/receive', '{not json')).status).toBe(400);
    expect(await countEvents(database.db)).toBe(before);
  });

  it('answers 413 for a body over 1 MB and 415 for a non-JSON content type', async () => {
    const big = await postJson(api.app, '/v1/webhooks/receive', alert({ alert_message: 'x'.repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
    const text = await api.app.request('/v1/webhooks/receive', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
  });

  it('answers 404 for an account path that names no account, storing nothing', async () => {
    const before = await countEvents(database.db);
    const res = await postJson(api.app, '/v1/webhooks/receive/nosuch', alert({ transition_id: 'unknown-account' }));
    expect(res.status).toBe(404);
    expect(await countEvents(database.db)).toBe(before);
  });

  it('lists events with filters and cursor pagination, and shows one with its workflow status', async () => {
    for (const id of [1, 2, 3])
      await postJson(
        api.app,
        '/v1/webhooks/receive',
        alert({ monitor_id: 555, transition_id: `page-${id}`, alert_status: id === 3 ? 'Warn' : 'Alert' }),
      );
    const page1 = (await (await api.app.request('/v1/webhooks/events?monitor_id=555&limit=2')).json()) as any;
    expect(page1.events).toHaveLength(2);
    const page2 = (await (await api.app.request(`/v1/webhooks/events?monitor_id=555&limit=2&cursor=${page1.next_cursor}`)).json()) as any;
    expect(page2.events).toHaveLength(1);
    expect(page2.next_cursor).toBeNull();
    const warns = (await (await api.app.request('/v1/webhooks/events?monitor_id=555&alert_status=Warn')).json()) as any;
    expect(warns.events.map((e: { alert_status: string }) => e.alert_status)).toEqual(['Warn']);
    expect((await api.app.request('/v1/webhooks/events?since=yesterday')).status).toBe(400);

    const shown = (await (await api.app.request(`/v1/webhooks/events/${page2.events[0].id}`)).json()) as any;
    expect(shown.workflow.status).toMatch(/RUNNING|COMPLETED/);
    expect((await api.app.request('/v1/webhooks/events/999999')).status).toBe(404);
  });

  it('reports stats, liveness and readiness', async () => {
    const stats = (await (await api.app.request('/v1/webhooks/stats')).json()) as any;
    expect(stats.total).toBeGreaterThan(0);
    expect(stats.by_alert_status.Alert).toBeGreaterThan(0);
    expect((await api.app.request('/health')).status).toBe(200);
    const ready = await api.app.request('/ready');
    const ok = { state: 'ok', checked_at: expect.any(String) };
    expect((await ready.json()) as any).toEqual({ status: 'ready', checks: { postgres: ok, temporal: ok } });
  });
});

describe('webhook and management auth', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_WEBHOOK_SECRET: 'hook-secret', RAYNE_API_TOKEN: 'api-token' }));
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  it('answers 401 without the webhook secret and accepts it as header or basic-auth password', async () => {
    const body = { monitor_id: 1, alert_status: 'OK' };
    const denied = await postJson(api.app, '/v1/webhooks/receive', body);
    expect(denied.status).toBe(401);
    expect(JSON.stringify((await denied.json()) as any)).not.toContain('hook-secret');
    expect((await postJson(api.app, '/v1/webhooks/receive', body, { 'x-rayne-token': 'wrong' })).status).toBe(401);
    expect((await postJson(api.app, '/v1/webhooks/receive', body, { 'x-rayne-token': 'hook-secret' })).status).toBe(202);
    const basic = `Basic ${Buffer.from('datadog:hook-secret').toString('base64')}`;
    expect((await postJson(api.app, '/v1/webhooks/receive', { ...body, n: 2 }, { authorization: basic })).status).toBe(202);
    expect(await countEvents(database.db)).toBe(2);
  });

  it('requires the bearer token on reads', async () => {
    expect((await api.app.request('/v1/webhooks/events')).status).toBe(401);
    expect((await api.app.request('/v1/webhooks/events', { headers: { authorization: 'Bearer api-token' } })).status).toBe(200);
  });
});
