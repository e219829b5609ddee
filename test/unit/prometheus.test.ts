import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onsetOf } from '../../src/evidence/sources';
import { PrometheusClient, PrometheusFailure } from '../../src/prometheus/client';
import { alertExpression, healthQueries } from '../../src/prometheus/queries';

describe("an alert's Prometheus queries", () => {
  it("takes the alerting expression from Prometheus' generatorURL, and none from a link without one", () => {
    expect(alertExpression('http://prom:9090/graph?g0.expr=rate%28errors_total%5B5m%5D%29+%3E+1&g0.tab=1')).toBe(
      'rate(errors_total[5m]) > 1',
    );
    expect(alertExpression('https://grafana.local/alerting/grafana/abc/view')).toBeUndefined();
    expect(alertExpression('not a url')).toBeUndefined();
    expect(alertExpression(undefined)).toBeUndefined();
  });

  it("selects the target's health by its labels, quoting values and escaping the host for the node's regex", () => {
    const queries = healthQueries({ job: 'api "edge"', instance: 'web-1.example.com:8080', alertname: 'HighErrors' });
    const byLabel = Object.fromEntries(queries.map((q) => [q.label, q.query]));
    expect(byLabel.up).toBe('up{job="api \\"edge\\"",instance="web-1.example.com:8080"}');
    expect(byLabel['node load (1 min)']).toBe('node_load1{instance=~"web-1\\\\.example\\\\.com(:[0-9]+)?"}');
    expect(queries.some((q) => q.query.includes('HighErrors'))).toBe(false);
    expect(healthQueries({ namespace: 'pay', pod: 'api-7f9c' }).map((q) => q.label)).toEqual([
      'pod CPU (cores)',
      'pod memory (bytes)',
      'pod restarts',
    ]);
  });
});

describe('the onset of a series', () => {
  const window = { fromMs: 0, alertMs: 600_000, stepMs: 60_000 };
  const at = (values: number[]) => values.map((v, i): [number, number] => [i * 60_000, v]);

  it('is where a flat series leaves its baseline for good, and none when it never does', () => {
    expect(onsetOf(at([5, 5, 5, 5, 5, 5, 5, 5, 40, 42, 41]), window)).toBe(8 * 60_000);
    expect(onsetOf(at([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]), window)).toBeUndefined();
  });

  it('is where a series that exists only while the condition holds first appears', () => {
    expect(
      onsetOf(
        [
          [420_000, 1],
          [480_000, 1],
          [540_000, 1],
        ],
        window,
      ),
    ).toBe(420_000);
  });
});

describe('the Prometheus client', () => {
  let server: http.Server;
  let url: string;
  let seen: http.IncomingHttpHeaders[] = [];
  let answer = { status: 200, body: {} as unknown };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen = []));

  it('sends its bearer token and reads a range query', async () => {
    answer = {
      status: 200,
      body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'x' }, values: [[1, '1']] }] } },
    };
    const client = new PrometheusClient({ url, auth: { kind: 'bearer', token: 't0k3n' } }, 'acme');
    const series = await client.queryRange('up', { from: new Date(0), to: new Date(60_000) }, 5);
    expect(series).toHaveLength(1);
    expect(seen[0]!.authorization).toBe('Bearer t0k3n');
  });

  it('classifies a refusal as not worth retrying and an outage as Unavailable, never quoting the token', async () => {
    const client = new PrometheusClient({ url, auth: { kind: 'bearer', token: 't0k3n' } }, 'acme');
    for (const [status, code] of [
      [401, 'Unauthorized'],
      [503, 'Unavailable'],
    ] as const) {
      answer = { status, body: { status: 'error', error: 'no' } };
      const err = (await client.activeAlerts().catch((e: unknown) => e)) as PrometheusFailure;
      expect(err).toBeInstanceOf(PrometheusFailure);
      expect(err.code).toBe(code);
      expect(err.message).not.toContain('t0k3n');
    }
  });

  it('answers a success of another shape (a proxy, another version) with a PrometheusFailure naming the field, and keeps what it reads', async () => {
    const client = new PrometheusClient({ url, auth: { kind: 'none' } }, 'acme');
    answer = { status: 200, body: { status: 'success', data: { groups: [{ name: 'g', rules: 'none' }] } } };
    const err = (await client.alertingRules().catch((e: unknown) => e)) as PrometheusFailure;
    expect(err).toBeInstanceOf(PrometheusFailure);
    expect(err.message).toMatch(/list rules .* another shape: groups\.0\.rules: /);

    const alert = { labels: { alertname: 'Down' }, state: 'firing', annotations: { summary: 'down' } };
    answer = { status: 200, body: { status: 'success', data: { alerts: [alert] } } };
    expect(await client.activeAlerts()).toEqual([alert]);
  });
});
