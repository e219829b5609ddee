import path from 'node:path';
import { v1, v2 } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../../src/accounts/store';
import { callDatadog, type DatadogConfiguration, DatadogError } from '../../src/datadog/client';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { matchesQuery, parseSearchQuery, parseSearchTime, type Searchable, SearchSyntaxError } from '../../src/demo/sandbox-logs-query';
import { loadScenario } from '../../src/demo/scenario';

const scenario = loadScenario(path.join(__dirname, '..', '..', 'scenarios', 'storefront-web-host-cpu.json'));
// On a whole minute, so the metrics grid lands on the scenario's points.
const ALERT_TIME = new Date('2024-01-29T15:00:00.000Z');
const iso = (offsetSeconds: number) => new Date(ALERT_TIME.getTime() + offsetSeconds * 1000).toISOString();
const KEYS = { apiKey: 'sandbox-api-key', appKey: 'sandbox-app-key' };

describe('the logs query evaluator', () => {
  const log = (facets: Record<string, string[]>, text = ''): Searchable => ({ facets, text });
  const matches = (query: string, record: Searchable) => matchesQuery(parseSearchQuery(query), record);
  const nginxError = log({ host: ['web-07'], service: ['nginx'], status: ['error'] }, 'upstream timed out (110: Connection timed out)');
  const ssrWarn = log({ host: ['web-06'], service: ['storefront-ssr'], status: ['warn'] }, 'DeprecationWarning: Buffer() is deprecated');
  const cronInfo = log({ host: ['web-07'], service: ['rebuild-sitemap'], status: ['info'] }, 'rendered batch 42');

  it('reads key:value terms, implicit AND and free text', () => {
    expect(matches('host:web-07 status:error', nginxError)).toBe(true);
    expect(matches('host:web-07 status:error', cronInfo)).toBe(false);
    expect(matches('host:web-07 "timed out"', nginxError)).toBe(true);
    expect(matches('TIMED', nginxError)).toBe(true);
    expect(matches('service:storefront-* Buffer', ssrWarn)).toBe(true);
  });

  it('applies a key to a parenthesised OR group', () => {
    const query = 'status:(error OR warn)';
    expect([nginxError, ssrWarn, cronInfo].map((r) => matches(query, r))).toEqual([true, true, false]);
  });

  it('binds AND tighter than OR and honours parentheses and negation', () => {
    expect(matches('host:web-06 OR host:web-07 status:info', nginxError)).toBe(false);
    expect(matches('(host:web-06 OR host:web-07) status:error', nginxError)).toBe(true);
    expect(matches('host:web-07 -service:nginx', nginxError)).toBe(false);
    expect(matches('host:web-07 -service:nginx', cronInfo)).toBe(true);
    expect(matches('host:web-07 NOT (status:error OR status:warn)', cronInfo)).toBe(true);
    expect(matches('*', cronInfo)).toBe(true);
  });

  it('rejects unbalanced parentheses, dangling operators and ranges', () => {
    for (const query of ['(host:web-07', 'host:web-07)', 'status:error OR', '@http.status_code:[500 TO 599]', '"open']) {
      expect(() => parseSearchQuery(query)).toThrow(SearchSyntaxError);
    }
  });

  it('reads relative, ISO and epoch-millisecond times', () => {
    const now = ALERT_TIME.getTime();
    expect(parseSearchTime('now-30m', now, 0)).toBe(now - 30 * 60_000);
    expect(parseSearchTime('now', now, 0)).toBe(now);
    expect(parseSearchTime(iso(-60), now, 0)).toBe(now - 60_000);
    expect(parseSearchTime(String(now), now, 0)).toBe(now);
    expect(parseSearchTime(undefined, now, 42)).toBe(42);
    expect(() => parseSearchTime('yesterday', now, 0)).toThrow(SearchSyntaxError);
  });
});

describe('the Datadog sandbox', () => {
  let sandbox: DatadogSandbox;
  let account: AccountCredentials;
  const dd = <T>(call: (c: DatadogConfiguration) => Promise<T>, credentials = account) => callDatadog(credentials, 'test', call);
  const raw = (route: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}${route}`, {
      ...init,
      headers: { 'DD-API-KEY': KEYS.apiKey, 'DD-APPLICATION-KEY': KEYS.appKey, 'content-type': 'application/json', ...init.headers },
    });
  const searchLogs = (query: string, page: { limit: number; cursor?: string }) =>
    dd((c) => new v2.LogsApi(c).listLogs({ body: { filter: { query, from: iso(-3600), to: iso(3600) }, page } }));

  beforeAll(async () => {
    sandbox = await startDatadogSandbox({ scenario, alertTime: ALERT_TIME, ...KEYS });
    account = { name: 'sandbox', baseUrl: sandbox.url, ...KEYS };
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.seed(scenario, ALERT_TIME);
    sandbox.writes.length = 0;
  });

  it('serves the seeded scenario: its monitor, hosts and host tags', async () => {
    const monitor = await dd((c) => new v1.MonitorsApi(c).getMonitor({ monitorId: 48212031 }));
    expect(monitor).toMatchObject({
      name: 'CPU user above 90% on storefront web hosts',
      overallState: 'Alert',
      priority: 2,
      tags: ['team:storefront'],
    });
    const hosts = await dd((c) => new v1.HostsApi(c).listHosts({ filter: 'legacy-cron:seo' }));
    expect(hosts.hostList?.map((h) => h.name)).toEqual(['web-07']);
    expect(hosts.totalMatching).toBe(1);
    expect(await dd((c) => new v1.TagsApi(c).getHostTags({ hostName: 'web-07' }))).toMatchObject({
      host: 'web-07',
      tags: expect.arrayContaining(['legacy-cron:seo']),
    });
    expect(sandbox.data.logs).toHaveLength(scenario.datadog.logs.reduce((n, l) => n + l.repeat, 0));
  });

  it('filters monitor lists and searches like Datadog', async () => {
    const listed = (monitorTags: string) => dd((c) => new v1.MonitorsApi(c).listMonitors({ monitorTags }));
    expect((await listed('team:storefront')).map((m) => m.id)).toEqual([48212031]);
    expect(await listed('team:payments')).toEqual([]);
    const search = await dd((c) => new v1.MonitorsApi(c).searchMonitors({ query: 'status:alert cpu' }));
    expect(search.monitors?.map((m) => m.id)).toEqual([48212031]);
    expect(search.metadata).toMatchObject({ totalCount: 1, page: 0 });
    await expect(dd((c) => new v1.MonitorsApi(c).searchMonitors({ query: 'status:exploded' }))).rejects.toMatchObject({
      data: { status: 400 },
    });
  });

  it('answers 404 in Datadog’s error shape for an unknown monitor and an unknown route', async () => {
    await expect(dd((c) => new v1.MonitorsApi(c).getMonitor({ monitorId: 1 }))).rejects.toMatchObject({
      data: { status: 404 },
      message: expect.stringContaining('Monitor not found'),
    });
    const response = await raw('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [expect.stringContaining('GET /api/v1/nothing-here')] });
  });

  it('answers 400 in Datadog’s error shape for a malformed body or a bad query', async () => {
    const malformed = await raw('/api/v1/notebooks', { method: 'POST', body: '{"data": ' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ errors: [expect.stringMatching(/^Malformed JSON/)] });
    const badQuery = await raw('/api/v2/logs/events/search', {
      method: 'POST',
      body: JSON.stringify({ filter: { query: '(host:web-07' } }),
    });
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toEqual({ errors: [expect.stringContaining('missing ")"')] });
  });

  it('searches logs with the query language, newest first by default', async () => {
    const answer = await searchLogs('host:web-07 status:(error OR warn) -service:storefront-ssr', { limit: 1000 });
    const lines = answer.data ?? [];
    expect(new Set(lines.map((l) => `${l.attributes?.service}/${l.attributes?.status}`))).toEqual(
      new Set(['nginx/error', 'rebuild-sitemap/warn', 'syslog/warn']),
    );
    expect(lines).toHaveLength(45 + 1 + 1);
    const times = lines.map((l) => l.attributes!.timestamp!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(answer.meta?.page?.after).toBeUndefined();
  });

  it('pages logs with cursors until every match has been seen once', async () => {
    const all = (await searchLogs('service:nginx', { limit: 1000 })).data!.map((l) => l.id);
    const seen: Array<string | undefined> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchLogs('service:nginx', { limit: 7, cursor });
      seen.push(...page.data!.map((l) => l.id));
      cursor = page.meta?.page?.after;
      expect(page.links?.next === undefined).toBe(cursor === undefined);
      pages++;
    } while (cursor && pages < 100);
    expect(all).toHaveLength(85);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(85 / 7));
  });

  it('gives a links.next URL that returns the next page', async () => {
    const first = await searchLogs('service:nginx', { limit: 5 });
    const second = await searchLogs('service:nginx', { limit: 5, cursor: first.meta!.page!.after });
    const followed = (await (await raw(first.links!.next!.replace(sandbox.url, ''))).json()) as { data: Array<{ id: string }> };
    expect(followed.data.map((l) => l.id)).toEqual(second.data!.map((l) => l.id));
  });

  it('rejects a cursor it did not make', async () => {
    await expect(searchLogs('*', { limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({ data: { status: 400 } });
  });

  it('filters v1 events by time, tags and sources, and searches v2 events', async () => {
    const start = ALERT_TIME.getTime() / 1000 - 7200;
    const end = ALERT_TIME.getTime() / 1000;
    const byTag = await dd((c) => new v1.EventsApi(c).listEvents({ start, end, tags: 'host:web-07' }));
    expect(byTag.events?.map((e) => e.sourceTypeName)).toEqual(['datadog', 'cron']);
    const bySource = await dd((c) => new v1.EventsApi(c).listEvents({ start, end, sources: 'ansible' }));
    expect(bySource.events?.map((e) => e.title)).toEqual(['Ansible: nginx TLS cipher hardening applied to web-05..07']);
    const searched = await dd((c) =>
      new v2.EventsApi(c).searchEvents({ body: { filter: { query: 'source:cron OR rebuild', from: iso(-86400), to: iso(0) } } }),
    );
    expect(searched.data?.map((e) => e.attributes?.attributes?.title)).toEqual(['Job rebuild-sitemap started on web-07']);
  });

  it('interpolates metric points and groups series by tag', async () => {
    const query = (q: string) =>
      dd((c) => new v1.MetricsApi(c).queryMetrics({ from: ALERT_TIME.getTime() / 1000 - 1800, to: ALERT_TIME.getTime() / 1000, query: q }));
    const [cpu] = (await query('avg:system.cpu.user{host:web-07}')).series ?? [];
    const valueAt = (offset: number) => cpu?.pointlist?.find(([t]) => t === ALERT_TIME.getTime() + offset * 1000)?.[1];
    expect(valueAt(-900)).toBe(92);
    expect(valueAt(-600)).toBeCloseTo(94.5);
    expect(cpu?.scope).toBe('host:web-07');
    const grouped = await query('avg:system.cpu.user{role:storefront-web} by {host}');
    expect(grouped.series?.map((s) => s.scope).sort()).toEqual(['host:web-06', 'host:web-07']);
    await expect(query('a{x} / b{y}')).rejects.toMatchObject({ data: { status: 400 } });
  });

  it('records creates, updates and cancels, but not reads or searches', async () => {
    const notebook = await dd((c) =>
      new v1.NotebooksApi(c).createNotebook({
        body: { data: { type: 'notebooks', attributes: { name: 'RCA', cells: [], time: { liveSpan: '1h' } } } },
      }),
    );
    const downtime = await dd((c) =>
      new v2.DowntimesApi(c).createDowntime({
        body: { data: { type: 'downtime', attributes: { scope: 'host:web-07', monitorIdentifier: { monitorId: 48212031 } } } },
      }),
    );
    await dd((c) => new v2.DowntimesApi(c).cancelDowntime({ downtimeId: downtime.data!.id! }));
    await dd((c) => new v1.NotebooksApi(c).getNotebook({ notebookId: notebook.data!.id! }));
    await searchLogs('*', { limit: 1 });
    expect(sandbox.writes.map(({ method, path: p, status }) => `${method} ${p} ${status}`)).toEqual([
      'POST /api/v1/notebooks 200',
      'POST /api/v2/downtime 200',
      `DELETE /api/v2/downtime/${downtime.data!.id} 204`,
    ]);
    expect(sandbox.writes[0]?.body).toMatchObject({ data: { attributes: { name: 'RCA' } } });
    expect(sandbox.writes[0]?.at).toBeInstanceOf(Date);
  });

  it('cancels a downtime: its status becomes canceled and current_only leaves it out', async () => {
    const created = await dd((c) =>
      new v2.DowntimesApi(c).createDowntime({
        body: { data: { type: 'downtime', attributes: { scope: 'host:web-07', monitorIdentifier: { monitorTags: ['team:storefront'] } } } },
      }),
    );
    expect(created.data?.attributes?.status).toBe('active');
    const current = () => dd((c) => new v2.DowntimesApi(c).listDowntimes({ currentOnly: true }));
    expect((await current()).data?.map((d) => d.id)).toEqual([created.data!.id]);
    await dd((c) => new v2.DowntimesApi(c).cancelDowntime({ downtimeId: created.data!.id! }));
    expect((await current()).data).toEqual([]);
    expect(sandbox.data.downtimes.get(created.data!.id!)?.attributes.canceled).toEqual(expect.any(String));
    const all = await dd((c) => new v2.DowntimesApi(c).listDowntimes({}));
    expect(all.data?.[0]?.attributes?.status).toBe('canceled');
  });

  it('refuses a second webhook with the same name', async () => {
    const create = () =>
      dd((c) => new v1.WebhooksIntegrationApi(c).createWebhooksIntegration({ body: { name: 'rayne', url: 'https://example.com/hook' } }));
    await create();
    await expect(create()).rejects.toMatchObject({ data: { status: 400 } });
  });

  it('seeding replaces what clients created', async () => {
    await dd((c) =>
      new v1.NotebooksApi(c).createNotebook({
        body: { data: { type: 'notebooks', attributes: { name: 'RCA', cells: [], time: { liveSpan: '1h' } } } },
      }),
    );
    expect(sandbox.data.notebooks.size).toBe(1);
    sandbox.seed(scenario, ALERT_TIME);
    expect(sandbox.data.notebooks.size).toBe(0);
  });

  it('turns an injected 429 into a DatadogError that says when to retry, once', async () => {
    sandbox.failNext({ method: 'GET', path: /^\/api\/v1\/monitor\// }, { status: 429, headers: { 'x-ratelimit-reset': '7' } });
    const err = await dd((c) => new v1.MonitorsApi(c).getMonitor({ monitorId: 48212031 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatadogError);
    expect((err as DatadogError).code).toBe('RateLimited');
    expect((err as DatadogError).data).toMatchObject({ status: 429, retryAfterMs: 7000 });
    await expect(dd((c) => new v1.MonitorsApi(c).getMonitor({ monitorId: 48212031 }))).resolves.toMatchObject({ id: 48212031 });
  });

  it('injects 500s the given number of times, and 403s, only where they match', async () => {
    sandbox.failNext({ path: '/api/v1/hosts' }, { status: 500 }, 2);
    sandbox.failNext({ method: 'POST', path: '/api/v1/notebooks' }, { status: 403, body: { errors: ['Forbidden'] } });
    const hosts = () => dd((c) => new v1.HostsApi(c).listHosts({}));
    await expect(hosts()).rejects.toMatchObject({ code: 'Unavailable', data: { status: 500 } });
    await expect(dd((c) => new v1.NotebooksApi(c).listNotebooks({}))).resolves.toMatchObject({ data: [] });
    await expect(hosts()).rejects.toMatchObject({ data: { status: 500 } });
    await expect(hosts()).resolves.toMatchObject({ totalReturned: 3 });
    const forbidden = await raw('/api/v1/notebooks', { method: 'POST', body: '{}' });
    expect(forbidden.status).toBe(403);
    expect(sandbox.writes.map((w) => w.status)).toEqual([403]);
  });

  it('checks keys like Datadog: API key everywhere, application key except on validate', async () => {
    const wrongApiKey = { ...account, apiKey: 'wrong' };
    const noAppKey = { ...account, appKey: '' };
    await expect(dd((c) => new v1.AuthenticationApi(c).validate(), wrongApiKey)).rejects.toMatchObject({
      data: { status: 403 },
      message: expect.stringContaining('Forbidden'),
    });
    await expect(dd((c) => new v1.AuthenticationApi(c).validate(), noAppKey)).resolves.toEqual({ valid: true });
    await expect(dd((c) => new v1.HostsApi(c).listHosts({}), noAppKey)).rejects.toMatchObject({ data: { status: 403 } });
    const response = await fetch(`${sandbox.url}/api/v1/hosts`);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ errors: ['Forbidden'] });
  });

  it('takes any key when none is configured', async () => {
    const open = await startDatadogSandbox({ scenario, alertTime: ALERT_TIME });
    try {
      const anyKeys = { name: 'open', baseUrl: open.url, apiKey: 'anything', appKey: 'at all' };
      await expect(dd((c) => new v1.HostsApi(c).getHostTotals(), anyKeys)).resolves.toEqual({ totalActive: 3, totalUp: 3 });
    } finally {
      await open.close();
    }
  });
});
