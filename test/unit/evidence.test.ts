import { DatadogLinks } from '../../src/datadog/links';
import { alertLogsQuery, keyMetricQueries, monitorMetric, searchValue } from '../../src/datadog/queries';
import {
  buildEvidenceBundle,
  type BundleInputs,
  estimateTokens,
  rankEvents,
  summarizeBundle,
  templateQuery,
} from '../../src/evidence/bundle';
import type { AlertContext } from '../../src/contracts/rca';
import { summariseSeries } from '../../src/evidence/sources';
import { rankSimilar } from '../../src/similarity/rank';

const alertTime = new Date('2026-11-20T12:00:00Z');
const window = { from: new Date(alertTime.getTime() - 30 * 60_000), to: alertTime };
const alert: AlertContext = {
  eventId: '7',
  account: 'default',
  status: 'Alert',
  monitorId: '42',
  monitorName: 'checkout errors',
  tags: ['env:prod'],
  service: 'checkout-service',
  hostname: 'ip-10-0-0-1',
  scope: 'service:checkout-service',
  alertTime: alertTime.toISOString(),
};

describe('Datadog queries', () => {
  it('scopes error and warning logs to the host or the service, with the status applying to both', () => {
    expect(alertLogsQuery({ hostname: 'web-07', service: 'storefront' })).toBe(
      '(host:web-07 OR service:storefront) AND status:(error OR warn)',
    );
    expect(alertLogsQuery({ service: 'cart api' })).toBe('(service:"cart api") AND status:(error OR warn)');
    expect(alertLogsQuery({})).toBeUndefined();
    expect(searchValue('a"b')).toBe('"a\\"b"');
  });

  it('chooses key metrics from the monitor query, the host and the service', () => {
    expect(monitorMetric('avg(last_5m):avg:system.cpu.user{role:web} by {host} > 90')).toEqual({
      aggregator: 'avg',
      metric: 'system.cpu.user',
    });
    expect(monitorMetric('avg(last_10m):p99:trace.servlet.request{env:prod} > 2')).toEqual({
      aggregator: 'avg',
      metric: 'trace.servlet.request',
    });
    const queries = keyMetricQueries({
      hostname: 'web-07',
      service: 'cart',
      scope: 'host:web-07',
      monitorQuery: 'sum(last_5m):sum:trace.express.request.errors{service:cart}.as_count() > 5',
    });
    expect(queries.map((q) => q.query)).toEqual([
      'sum:trace.express.request.errors{host:web-07}',
      'avg:system.cpu.user{host:web-07}',
      'avg:system.load.1{host:web-07}',
      'avg:system.mem.pct_usable{host:web-07}',
      'max:system.disk.in_use{host:web-07}',
      'sum:trace.express.request.errors{service:cart}',
      'sum:trace.express.request.hits{service:cart}',
      'avg:trace.express.request.duration{service:cart}',
    ]);
    expect(keyMetricQueries({})).toEqual([]);
  });
});

describe('Datadog links', () => {
  it("point at the account's site and pin the 30-minute range", () => {
    const links = new DatadogLinks('https://api.datadoghq.eu', window);
    const logs = new URL(links.logs('(host:a) AND status:(error OR warn)'));
    expect(logs.origin).toBe('https://app.datadoghq.eu');
    expect(logs.searchParams.get('query')).toBe('(host:a) AND status:(error OR warn)');
    expect(Number(logs.searchParams.get('to_ts')) - Number(logs.searchParams.get('from_ts'))).toBe(30 * 60_000);
    expect(links.monitor(42)).toMatch(/^https:\/\/app\.datadoghq\.eu\/monitors\/42\?/);
    expect(new URL(links.metric('avg:system.cpu.user{host:a}')).searchParams.get('exp_metric')).toBe('avg:system.cpu.user{host:a}');
  });
});

describe('similar incidents', () => {
  it('rank a confirmed root cause ahead of a guess that scores about the same, and keep the limit', () => {
    const hit = (id: string, score: number, confirmed: boolean) => ({
      id,
      score,
      payload: { confirmed, title: id, rootCause: `${id} cause` },
    });
    const ranked = rankSimilar(
      [hit('guess', 0.52, false), hit('confirmed', 0.5, true), hit('far', 0.3, true), hit('close', 0.7, false)],
      3,
    );
    expect(ranked.map((h) => h.id)).toEqual(['close', 'confirmed', 'guess']);
  });

  it('show each past incident once: re-runs of one event, and copies with the same title and root cause, keep their best hit', () => {
    const hit = (id: string, score: number, title: string, rootCause: string) => ({
      id,
      score,
      payload: { confirmed: false, title, rootCause },
    });
    const ranked = rankSimilar(
      [
        hit('rca/7', 0.6, 'Checkout 5xx', 'deploy v4.12.0'),
        hit('rca/7/rerun-1', 0.8, 'Checkout 5xx', 'the v4.12.0 deployment'),
        hit('rca/7/rerun-2', 0.7, 'Checkout 5xx', 'payment gateway down'),
        hit('past/checkout/1', 0.75, 'checkout 5xx ', 'The v4.12.0  deployment'),
        hit('rca/9', 0.5, 'Checkout 5xx', 'a full disk'),
        hit('rca/3', 0.4, 'Cart latency', 'database pool exhausted'),
      ],
      5,
    );
    expect(ranked.map((h) => [h.id, h.score])).toEqual([
      ['rca/7/rerun-1', 0.8],
      ['rca/9', 0.5],
      ['rca/3', 0.4],
    ]);
  });

  it('leave out the runs of the incident under analysis, so a re-run does not find its own first run', () => {
    const hit = (id: string, score: number) => ({ id, score, payload: { confirmed: false, title: id, rootCause: 'x' } });
    expect(rankSimilar([hit('rca/7', 0.9), hit('rca/8', 0.5)], 5, 'rca/7/rerun-2').map((h) => h.id)).toEqual(['rca/8']);
  });
});

describe('metric summaries', () => {
  it('keep extremes and compare the last five minutes with the baseline', () => {
    const points: Array<[number, number | null]> = Array.from({ length: 31 }, (_, i) => [
      window.from.getTime() + i * 60_000,
      i >= 25 ? 95 : 20,
    ]);
    points.push([alertTime.getTime(), null]);
    const s = summariseSeries('cpu', 'avg:system.cpu.user{host:a}', 'host:a', points, alertTime.getTime())!;
    expect(s).toMatchObject({ min: 20, max: 95, last: 95, baseline: 20, recent: 95 });
    expect(s.points.length).toBeLessThanOrEqual(31);
    expect(summariseSeries('x', 'q', '', [[1, null]], 2)).toBeUndefined();
  });
});

describe('evidence bundle', () => {
  const links = new DatadogLinks('https://api.datadoghq.com', window);
  const event = (minutesBefore: number, title: string, extra: Partial<BundleInputs['events'][number]> = {}) => ({
    at: new Date(alertTime.getTime() - minutesBefore * 60_000).toISOString(),
    title,
    text: '',
    tags: [],
    ...extra,
  });

  it("ranks changes to the alert's service above unrelated noise", () => {
    const ranked = rankEvents(
      [
        event(2, 'Autoscaling group healthy', { source: 'aws' }),
        event(12, 'checkout-service v4.12.0 deployed', { source: 'deploy', tags: ['service:checkout-service'] }),
        event(5, 'Nightly report finished'),
      ],
      alert,
      links,
      alertTime.getTime(),
    );
    expect(ranked[0]!.title).toBe('checkout-service v4.12.0 deployed');
    expect(ranked[0]!.why).toEqual(expect.arrayContaining(['a change', 'mentions checkout-service']));
    expect(ranked[0]!.link).toMatch(/^https:\/\/app\.datadoghq\.com\/event\/explorer\?/);
  });

  it("does not call a failing container's restart a change", () => {
    const ranked = rankEvents(
      [
        event(4, 'Back-off restarting failed container inventory-service', { source: 'kubernetes' }),
        event(6, 'inventory-service terminated: OOMKilled', { source: 'kubernetes' }),
        event(20, 'inventory-service scaled from 4 to 6 replicas', { source: 'kubernetes' }),
        event(25, 'Deploy of inventory-service v2.3.1 failed halfway', { source: 'deploy' }),
      ],
      alert,
      links,
      alertTime.getTime(),
    );
    expect(
      ranked
        .filter((e) => e.why.includes('a change'))
        .map((e) => e.title)
        .sort(),
    ).toEqual(['Deploy of inventory-service v2.3.1 failed halfway', 'inventory-service scaled from 4 to 6 replicas']);
  });

  const inputs = (overrides: Partial<BundleInputs> = {}): BundleInputs => ({
    rcaId: 'rca/7',
    role: { role: 'application', reason: 'test' },
    alert,
    accountBaseUrl: 'https://api.datadoghq.com',
    window,
    sources: [
      { source: 'logs', status: 'ok', items: 3 },
      { source: 'host', status: 'failed', items: 0, reason: 'Datadog list hosts failed with 403' },
    ],
    logLines: 3,
    templates: [],
    events: [],
    metrics: [],
    similar: [],
    tokenBudget: 12_000,
    ...overrides,
  });

  it("links each log template to the alert's logs narrowed to its longest constant phrase", () => {
    expect(templateQuery('(host:a) AND status:(error OR warn)', 'Connection to <*> refused after <*> ms')).toBe(
      '(host:a) AND status:(error OR warn) "Connection to"',
    );
    expect(templateQuery(undefined, 'say "hi" to <*>')).toBe('"say \\"hi\\" to"');
    expect(templateQuery(undefined, '<*>')).toBe('*');
  });

  it("names missing sources with why, and links the alert's logs query", () => {
    const bundle = buildEvidenceBundle(inputs());
    expect(bundle.missing).toEqual([{ source: 'host', reason: 'Datadog list hosts failed with 403' }]);
    expect(new URL(bundle.links.logs!).searchParams.get('query')).toBe(
      '(host:ip-10-0-0-1 OR service:checkout-service) AND status:(error OR warn)',
    );
    expect(summarizeBundle(bundle)).toMatch(/missing: host \(Datadog list hosts failed with 403\)/);
  });

  it('stays within the token budget by dropping the least relevant items of the largest section', () => {
    const noise = Array.from({ length: 300 }, (_, i) => event(i % 30, `unrelated event number ${i} with a long title ${'x'.repeat(80)}`));
    const bundle = buildEvidenceBundle(
      inputs({ events: [event(3, 'checkout-service config change', { source: 'config' }), ...noise], tokenBudget: 3000 }),
    );
    expect(bundle.tokenEstimate).toBeLessThanOrEqual(3000);
    expect(estimateTokens(bundle)).toBe(bundle.tokenEstimate);
    expect(bundle.events[0]!.title).toBe('checkout-service config change');
    expect(bundle.omitted.events).toBe(301 - bundle.events.length);
  });
});
