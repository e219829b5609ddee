import path from 'node:path';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { createTestApi, createTestDatabase, postJson, testConfig, type TestApi } from '../support/harness';

const SCENARIO = path.resolve(__dirname, '../../scenarios/storefront-web-host-cpu.json');
const KEYS = { api_key: 'sandbox-api-key', app_key: 'sandbox-app-key' };
const auth = { authorization: 'Bearer tok' };

describe('Datadog proxies', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario: loadScenario(SCENARIO), apiKey: KEYS.api_key, appKey: KEYS.app_key });
    api = createTestApi(
      database.url,
      testConfig({ RAYNE_API_TOKEN: 'tok', RAYNE_PUBLIC_URL: 'https://rayne.example', RAYNE_WEBHOOK_SECRET: 'shared-webhook-secret' }),
    );
    const created = await postJson(api.app, '/v1/accounts', { name: 'brightcart', base_url: sandbox.url, ...KEYS }, auth);
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  const get = (url: string) => api.app.request(url, { headers: auth });

  it('needs the API token', async () => {
    expect((await api.app.request('/v1/hosts')).status).toBe(401);
  });

  it("answers hosts, host tags and totals in Datadog's own JSON", async () => {
    const hosts = (await (await get('/v1/hosts?filter=web')).json()) as any;
    expect(hosts.host_list.map((h: any) => h.host_name).sort()).toEqual(['web-05', 'web-06', 'web-07']);
    expect(hosts.total_matching).toBe(3);
    const tags = (await (await get('/v1/hosts/web-07/tags?account=brightcart')).json()) as any;
    expect(tags.tags).toEqual(expect.arrayContaining(['role:storefront-web']));
    const totals = (await (await get('/v1/hosts/active')).json()) as any;
    expect(totals.total_up).toBeGreaterThanOrEqual(3);
  });

  it('answers monitors, triggered monitors and one monitor; 404 for an unknown one', async () => {
    const monitors = (await (await get('/v1/monitors')).json()) as any[];
    expect(monitors.map((m) => m.id)).toContain(48212031);
    const triggered = (await (await get('/v1/monitors/triggered')).json()) as any[];
    expect(triggered.every((m) => ['Alert', 'Warn', 'No Data'].includes(m.overall_state))).toBe(true);
    expect(triggered.map((m) => m.id)).toContain(48212031);
    const one = (await (await get('/v1/monitors/48212031')).json()) as any;
    expect(one).toMatchObject({ id: 48212031, type: 'metric alert', overall_state: 'Alert' });
    const missing = await get('/v1/monitors/1');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.message).toMatch(/account "brightcart"/);
    expect((await get('/v1/monitors/abc')).status).toBe(400);
  });

  it('lists events in a time window and searches logs with a cursor', async () => {
    const now = Math.floor(Date.now() / 1000);
    const events = (await (await get(`/v1/events?start=${now - 3 * 86400}&end=${now + 60}`)).json()) as any;
    expect(events.events.length).toBeGreaterThan(0);
    const search = (body: Record<string, unknown>) => postJson(api.app, '/v1/logs/search', body, auth);
    const first = (await (await search({ query: 'host:web-07', from: 'now-2h', to: 'now+1h', limit: 2 })).json()) as any;
    expect(first.data).toHaveLength(2);
    expect(first.data.every((l: any) => l.attributes.host === 'web-07')).toBe(true);
    const cursor = first.meta.page.after;
    expect(cursor).toEqual(expect.any(String));
    const second = (await (await search({ query: 'host:web-07', from: 'now-2h', to: 'now+1h', limit: 2, cursor })).json()) as any;
    expect(second.data[0].id).not.toBe(first.data[0].id);
    expect((await search({ limit: 0 })).status).toBe(400);
  });

  it('names the account when there is none, and maps Datadog failures', async () => {
    expect((await get('/v1/hosts?account=nope')).status).toBe(404);
    sandbox.failNext({ path: '/api/v1/hosts' }, { status: 429, headers: { 'x-ratelimit-reset': '12' } });
    const limited = await get('/v1/hosts');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    sandbox.failNext({ path: '/api/v1/hosts' }, { status: 500 });
    expect((await get('/v1/hosts')).status).toBe(502);
    sandbox.failNext({ path: '/api/v1/hosts' }, { status: 403 });
    const forbidden = await get('/v1/hosts');
    expect(forbidden.status).toBe(502);
    expect(((await forbidden.json()) as any).error.message).toMatch(/list hosts for account "brightcart" failed with 403/);
  });

  it('creates the Datadog webhook integration pointing at this Rayne, without echoing the shared secret', async () => {
    const res = await postJson(api.app, '/v1/webhooks/create', { account: 'brightcart' }, auth);
    expect(res.status).toBe(201);
    const body = await res.text();
    expect(body).not.toContain('shared-webhook-secret');
    expect(JSON.parse(body)).toMatchObject({
      name: 'rayne',
      url: 'https://rayne.example/v1/webhooks/receive/brightcart',
      custom_headers_set: true,
    });
    const write = sandbox.writes.find((w) => w.path.endsWith('/configuration/webhooks'))!;
    const sent = write.body as Record<string, string>;
    expect(JSON.parse(sent.custom_headers!)).toEqual({ 'X-Rayne-Token': 'shared-webhook-secret' });
    expect(JSON.parse(sent.payload!)).toMatchObject({ monitor_id: '$ALERT_ID', alert_status: '$ALERT_TRANSITION', transition_id: '$ID' });
    expect((await postJson(api.app, '/v1/webhooks/create', { name: 'bad name' }, auth)).status).toBe(400);
  });

  it('lists downtimes', async () => {
    const res = await get('/v1/downtimes?current_only=true');
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data).toEqual(expect.any(Array));
  });
});
