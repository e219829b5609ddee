import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { investigate, type Observation } from '../../src/analysis/investigator';
import { runReadTool, type ToolContext, ToolInputError } from '../../src/analysis/claude-tool-runner';
import { RCA_TASK, RCA_TASK_WITH_PROMETHEUS, toolsOf } from '../../src/analysis/claude-tools';
import type { AlertContext } from '../../src/contracts/rca';
import { PrometheusClient, PrometheusFailure } from '../../src/prometheus/client';
import { healthQueries } from '../../src/prometheus/queries';
import { readTargetHealth } from '../../src/prometheus/reads';
import { prometheusTargetHealth } from '../../src/prometheus/tools';
import type { SimilarityProviders } from '../../src/similarity/providers';

const TO = new Date('2026-12-01T12:00:00Z');
const FROM = new Date(TO.getTime() - 30 * 60_000);

/** A Prometheus HTTP API that answers the queries it is given, and records what it was asked. */
function fakePrometheus() {
  const asked: URL[] = [];
  const matrix = (metric: Record<string, string>, values: number[], fromS: number, stepS: number) => ({
    metric,
    values: values.map((v, i) => [fromS + i * stepS, String(v)]),
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://prom');
    asked.push(url);
    const ok = (data: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    if (url.pathname === '/api/v1/query_range') {
      const query = url.searchParams.get('query')!;
      const start = Number(url.searchParams.get('start'));
      const step = Number(url.searchParams.get('step'));
      const n = Math.floor((Number(url.searchParams.get('end')) - start) / step) + 1;
      // up falls to 0 for the last tenth of the window; every other query has no series.
      const up = Array.from({ length: n }, (_, i) => (i < n * 0.9 ? 1 : 0));
      return ok({
        resultType: 'matrix',
        result: query.startsWith('up{') ? [matrix({ job: 'api', instance: 'web-1:8080' }, up, start, step)] : [],
      });
    }
    if (url.pathname === '/api/v1/rules')
      return ok({
        groups: [
          {
            rules: [
              {
                name: 'ApiDown',
                type: 'alerting',
                query: 'up{job="api"} == 0',
                state: 'firing',
                health: 'ok',
                alerts: [
                  { labels: { alertname: 'ApiDown', instance: 'web-1:8080' }, state: 'firing' },
                  { labels: { alertname: 'ApiDown', instance: 'web-2:8080' }, state: 'pending' },
                ],
              },
            ],
          },
        ],
      });
    if (url.pathname === '/api/v1/alerts')
      return ok({ alerts: [{ labels: { alertname: 'ApiDown', instance: 'web-1:8080' }, state: 'firing' }] });
    res.writeHead(404).end();
  });
  return { server, asked };
}

describe('the Prometheus tools', () => {
  const { server, asked } = fakePrometheus();
  let ctx: ToolContext;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx = {
      selfId: 'rca-1',
      account: 'acme',
      prometheus: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth: { kind: 'none' } },
      window: { from: FROM, to: TO },
      similarity: {} as SimilarityProviders,
      similar: { limit: 3, minScore: 0.5 },
    };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => asked.splice(0));

  it('are offered to a model only for an account with a Prometheus', () => {
    const names = (tools: ReturnType<typeof toolsOf>) => tools.map((t) => t.name);
    expect(names(toolsOf(RCA_TASK)).filter((n) => n.startsWith('prometheus_'))).toEqual([]);
    expect(names(toolsOf(RCA_TASK_WITH_PROMETHEUS))).toEqual(
      expect.arrayContaining(['prometheus_query_range', 'prometheus_target_health', 'prometheus_rule_state']),
    );
  });

  it('refuse bad arguments, naming them, before asking Prometheus anything', async () => {
    const refusal = (name: Parameters<typeof runReadTool>[0], input: unknown, c = ctx) =>
      runReadTool(name, input, c).then(
        () => 'ran',
        (err: Error) => (err instanceof ToolInputError ? err.message : `not an input error: ${err.message}`),
      );
    expect(await refusal('prometheus_query_range', { query: '' })).toMatch(
      /^invalid input for prometheus_query_range: query: .*>=1 characters/,
    );
    expect(await refusal('prometheus_query_range', { query: 'up', from: TO.toISOString(), to: FROM.toISOString() })).toBe(
      'from must be before to',
    );
    expect(await refusal('prometheus_query_range', { query: 'up', from: '2026-11-01T00:00:00Z', to: TO.toISOString() })).toMatch(
      /at most 24 hours/,
    );
    expect(await refusal('prometheus_target_health', { namespace: 'pay' })).toMatch(/give job, instance, pod or host/);
    expect(await refusal('prometheus_rule_state', { labels: { job: 'api' } })).toMatch(/alertname/);
    expect(await refusal('prometheus_target_health', { job: 'api' }, { ...ctx, prometheus: undefined })).toBe(
      'account "acme" has no Prometheus configured, so prometheus_target_health cannot run; use what you have',
    );
    expect(asked).toEqual([]);
  });

  it('read a day at a coarser step, so a series stays under the point bound, and answer each series summarised with its graph link', async () => {
    const from = new Date(TO.getTime() - 24 * 3600_000).toISOString();
    const out = JSON.parse(await runReadTool('prometheus_query_range', { query: 'up{job="api"}', from, to: TO.toISOString() }, ctx));
    expect(out.step_s).toBe(120);
    expect(asked[0]!.searchParams.get('step')).toBe('120');
    expect(out.link).toContain('/graph?g0.expr=up');
    const [series] = out.series;
    expect(series).toMatchObject({ label: 'up{job="api"}', scope: 'instance:web-1:8080,job:api', min: 0, max: 1, last: 0 });
    expect(series.points.length).toBeLessThanOrEqual(31);
    expect(series.points[0][0]).toBe(from);
    const none = JSON.parse(await runReadTool('prometheus_query_range', { query: 'nothing_here' }, ctx));
    expect(none.series).toBe('no series for this expression in the range');
  });

  it("read a target's health by its labels, and a rule's state with only its alerts for the labels given", async () => {
    const health = JSON.parse(await runReadTool('prometheus_target_health', { job: 'api', instance: 'web-1:8080' }, ctx));
    expect(health.target).toEqual({ job: 'api', instance: 'web-1:8080' });
    expect(health.series.map((s: { label: string }) => s.label)).toEqual(['up']);
    expect(asked.map((u) => u.searchParams.get('query'))).toContain('up{job="api",instance="web-1:8080"}');
    const state = JSON.parse(await runReadTool('prometheus_rule_state', { alertname: 'ApiDown', labels: { instance: 'web-1:8080' } }, ctx));
    expect(state.rule).toMatchObject({ name: 'ApiDown', state: 'firing', query: 'up{job="api"} == 0' });
    expect(state.rule.alerts).toEqual([{ labels: { alertname: 'ApiDown', instance: 'web-1:8080' }, state: 'firing' }]);
    expect(state.alerts).toHaveLength(1);
  });
});

describe('a Prometheus that does not answer', () => {
  let asked = 0;
  const hanging = http.createServer(() => {
    asked += 1; // never answers
  });
  beforeAll(() => new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve)));
  afterAll(() => {
    hanging.closeAllConnections();
    return new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  it('is waited for once, not once per health query, and the tool fails saying so', async () => {
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const client = new PrometheusClient({ url, auth: { kind: 'none' } }, 'acme', 200);
    const notes: string[] = [];
    const queries = healthQueries({ job: 'api', instance: 'web-1:8080' });
    const read = await readTargetHealth(client, queries, { from: FROM, to: TO, alertMs: TO.getTime() }, () => undefined, notes);
    expect(asked).toBe(1);
    expect(read.series).toEqual([]);
    expect(read.failure).toBeInstanceOf(PrometheusFailure);
    expect(notes).toEqual([
      expect.stringContaining('no answer within 200 ms'),
      `Prometheus did not answer, so ${queries.length - 1} more health queries were not read`,
    ]);
    await expect(prometheusTargetHealth(client, { job: 'api' }, { from: FROM, to: TO })).rejects.toThrow(/no answer within 200 ms/);
  });
});

describe("the investigating analyst's Prometheus reads", () => {
  const ALERT_MS = TO.getTime();
  const alert: AlertContext = {
    eventId: '1',
    account: 'acme',
    status: 'Alert',
    monitorId: 'alertmanager:ApiDown',
    tags: ['alertname:ApiDown', 'job:api', 'instance:web-1:8080', 'severity:page'],
    service: 'api',
    hostname: 'web-1',
    scope: 'instance:web-1:8080,job:api',
    alertTime: TO.toISOString(),
    source: 'alertmanager',
  };
  const ctx = { alert, alertMs: ALERT_MS, datadog: false, prometheus: { expression: 'up{job="api"} == 0' } };
  const minutes = (n: number) => new Date(ALERT_MS - n * 60_000).toISOString();
  const up = (values: number[]) =>
    JSON.stringify({
      series: [
        {
          label: 'up',
          query: 'up{job="api",instance="web-1:8080"}',
          scope: 'instance:web-1:8080,job:api',
          points: values.map((v, i) => [minutes(values.length - 1 - i), v]),
          min: Math.min(...values),
          max: Math.max(...values),
          last: values.at(-1),
          baseline: values[0],
          recent: values.at(-1),
          link: 'http://prom:9090/graph?g0.expr=up',
        },
      ],
    });

  it('reads the target, its expression and its rule from Prometheus, and no Datadog when the account has none', () => {
    const move = investigate(ctx, []);
    expect('calls' in move && move.calls.map((c) => c.name)).toEqual([
      'prometheus_target_health',
      'prometheus_query_range',
      'prometheus_rule_state',
    ]);
    expect('calls' in move && move.calls[0]!.input).toMatchObject({ job: 'api', instance: 'web-1:8080' });
    expect('calls' in move && move.calls[2]!.input).toEqual({
      alertname: 'ApiDown',
      labels: { job: 'api', instance: 'web-1:8080', severity: 'page' },
    });
  });

  it("reads a Datadog alert's host from Prometheus, any port, and blames the host whose targets there went down", () => {
    const datadogAlert = { ...alert, source: undefined, monitorId: '42', tags: ['service:api'], hostname: 'web-1' };
    const datadogCtx = { ...ctx, alert: datadogAlert };
    const move = investigate(datadogCtx, []);
    expect('calls' in move && move.calls).toEqual([
      { name: 'prometheus_target_health', input: { host: 'web-1', from: minutes(120), to: minutes(0) } },
    ]);
    expect(healthQueries({}, 'web-1').find((q) => q.label === 'up')?.query).toBe('up{instance=~"web-1(:[0-9]+)?"}');
    const read = JSON.stringify({ ...JSON.parse(up([1, 1, 1, 1, 1, 1, 0, 0])), target: { host: 'web-1' } });
    const report = investigate(datadogCtx, [{ call: (move as { calls: Observation['call'][] }).calls[0]!, ok: true, text: read }]);
    expect('report' in report && report.report.hypotheses[0]).toMatchObject({ culprit: 'web-1', category: 'host_failure' });
  });

  const run = (values: number[]) => {
    const observations: Observation[] = [];
    for (let turn = 1; turn <= 4; turn++) {
      const move = investigate(ctx, observations);
      if ('report' in move) return move;
      for (const call of move.calls)
        observations.push({ call, ok: true, text: call.name === 'prometheus_target_health' ? up(values) : JSON.stringify({ series: [] }) });
    }
    throw new Error('no report in 4 turns');
  };

  it("names a target whose own up series fell as the cause, citing Prometheus' graph", () => {
    const move = run([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(move.report.hypotheses[0]).toMatchObject({ culprit: 'api', category: 'host_failure' });
    expect(move.report.root_cause).toContain('target down');
    expect(move.report.evidence[0]).toMatchObject({ source: 'metrics', link: 'http://prom:9090/graph?g0.expr=up' });
    expect(move.report.evidence[0]!.claim).toContain('up{instance:web-1:8080,job:api} fell to 0');
  });

  it('names nothing when the target stayed up', () => {
    expect(run([1, 1, 1, 1, 1, 1, 1, 1]).report.missing_data).toContain('no component on the chain reports its own trouble');
  });
});
