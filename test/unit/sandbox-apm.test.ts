import path from 'node:path';
import { v2 } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../../src/accounts/store';
import { runReadTool, type ToolContext } from '../../src/analysis/claude-tool-runner';
import { aggregateSpans, readServiceDependencies } from '../../src/datadog/apm';
import { callDatadog, DatadogError } from '../../src/datadog/client';
import type { DatadogCall } from '../../src/datadog/reads';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadStorm, stormScenario } from '../../src/demo/storm';
import type { SimilarityProviders } from '../../src/similarity/providers';

const storm = loadStorm(path.join(__dirname, '..', '..', 'scenarios', 'storms', 'cedar-token-service-memory-leak.json'));
const ALERT_TIME = new Date('2026-12-07T14:00:00.000Z');
const at = (offsetS: number) => new Date(ALERT_TIME.getTime() + offsetS * 1000);
const KEYS = { apiKey: 'apm-api-key', appKey: 'apm-app-key' };

describe("the sandbox's APM endpoints, through the official client", () => {
  let sandbox: DatadogSandbox;
  let account: AccountCredentials;
  let call: DatadogCall;

  beforeAll(async () => {
    sandbox = await startDatadogSandbox({ scenario: stormScenario(storm), alertTime: ALERT_TIME, ...KEYS });
    account = { name: 'apm', baseUrl: sandbox.url, ...KEYS };
    call = (operation, fn) => callDatadog(account, operation, fn);
  });
  afterAll(() => sandbox.close());

  it('serves the service map as GET /api/v1/service_dependencies answers it: service → {calls}', async () => {
    const map = await readServiceDependencies(call, { env: 'prod', from: at(-3600), to: ALERT_TIME });
    expect(map).toEqual(storm.datadog.service_map);
    const raw = await fetch(`${sandbox.url}/api/v1/service_dependencies?env=prod`, {
      headers: { 'DD-API-KEY': KEYS.apiKey, 'DD-APPLICATION-KEY': KEYS.appKey },
    });
    expect(((await raw.json()) as Record<string, unknown>)['fhir-gateway']).toEqual({ calls: ['eligibility-svc', 'token-service'] });
  });

  it('refuses the dependencies without env, and wrong keys, as Datadog does', async () => {
    await expect(
      callDatadog({ ...account, appKey: 'wrong' }, 'deps', (c) =>
        readServiceDependencies((_, fn) => fn(c), { env: 'prod', from: at(-60), to: ALERT_TIME }),
      ),
    ).rejects.toMatchObject({ data: { status: 403 } });
    const raw = await fetch(`${sandbox.url}/api/v1/service_dependencies`, {
      headers: { 'DD-API-KEY': KEYS.apiKey, 'DD-APPLICATION-KEY': KEYS.appKey },
    });
    expect(raw.status).toBe(400);
  });

  it('aggregates spans by service, resource and status, counts and p95 per interval, the now rates from their since', async () => {
    const series = await aggregateSpans(call, { query: 'service:token-service', from: at(-1200), to: ALERT_TIME, interval: '1m' });
    const errors = series.find((s) => s.status === 'error')!;
    expect(errors).toMatchObject({ service: 'token-service', resource: 'POST /introspect' });
    // Baseline 1 error a minute until 10 minutes before the alert, then 1030.
    expect(errors.points.find((p) => p.at === at(-1200).getTime())?.count).toBe(1);
    expect(errors.points.at(-1)).toEqual({ at: at(-60).getTime(), count: 1030, p95Ms: 2000 });
    const ok = series.find((s) => s.status === 'ok')!;
    expect(ok.points[0]).toEqual({ at: at(-1200).getTime(), count: 2999, p95Ms: 12 });
  });

  it('answers a total, a service filter and the top-N limit of a facet, in the SDK response types', async () => {
    const res = await callDatadog(account, 'aggregate', (c) =>
      new v2.SpansApi(c).aggregateSpans({
        body: {
          data: {
            type: 'aggregate_request',
            attributes: {
              filter: { query: 'status:error', from: at(-300).toISOString(), to: ALERT_TIME.toISOString() },
              compute: [{ aggregation: 'count', type: 'total' }],
              groupBy: [{ facet: 'service', limit: 2 }],
            },
          },
        },
      }),
    );
    expect(res.data?.map((b) => [b.attributes?.by?.service, b.attributes?.computes?.c0])).toEqual([
      // token-service: 1030 a minute for the five minutes; fhir-gateway: its baseline 4 a minute, its now rates start 5 s before the alert.
      ['token-service', 5150],
      ['fhir-gateway', 20],
    ]);
    expect(res.meta?.status).toBe('done');
  });

  it('answers 400 for a facet or a metric the sandbox does not have', async () => {
    const bad = (attributes: object) =>
      fetch(`${sandbox.url}/api/v2/spans/analytics/aggregate`, {
        method: 'POST',
        headers: { 'DD-API-KEY': KEYS.apiKey, 'DD-APPLICATION-KEY': KEYS.appKey, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { type: 'aggregate_request', attributes } }),
      });
    expect((await bad({ group_by: [{ facet: '@http.url' }] })).status).toBe(400);
    expect((await bad({ compute: [{ aggregation: 'pc95', metric: '@cpu' }] })).status).toBe(400);
    expect(sandbox.writes).toEqual([]);
  });

  describe('the analysts’ tools', () => {
    const ctx = (): ToolContext => ({
      selfId: 'rca/1',
      account: 'apm',
      credentials: account,
      window: { from: at(-7200), to: ALERT_TIME },
      similarity: {} as SimilarityProviders,
      similar: { limit: 3, minScore: 0.5 },
    });

    it('span_aggregates makes one aggregate call and summarises each endpoint: now against baseline, failing, when errors began', async () => {
      const out = JSON.parse(await runReadTool('span_aggregates', {}, ctx()));
      const token = out.endpoints.find((e: { service: string }) => e.service === 'token-service');
      expect(token).toMatchObject({ failing: true, errors_began: at(-600).toISOString(), now: { errors_per_min: 1030, p95_ms: 2000 } });
      expect(token.baseline.errors_per_min).toBeGreaterThan(0);
      expect(out.endpoints.find((e: { service: string }) => e.service === 'token-db')).toMatchObject({ failing: false });
      expect(out.endpoints[0].failing).toBe(true);
    });

    it('service_dependencies answers the whole map, or what one service calls and who calls it', async () => {
      const whole = JSON.parse(await runReadTool('service_dependencies', {}, ctx()));
      expect(whole.dependencies).toEqual(storm.datadog.service_map);
      const around = JSON.parse(await runReadTool('service_dependencies', { service: 'eligibility-svc' }, ctx()));
      expect(Object.keys(around.dependencies).sort()).toEqual([
        'claims-api',
        'eligibility-svc',
        'fhir-gateway',
        'token-db',
        'token-service',
      ]);
    });

    it('fails as a DatadogError naming the operation when the keys are refused', async () => {
      await expect(runReadTool('span_aggregates', {}, { ...ctx(), credentials: { ...account, apiKey: 'nope' } })).rejects.toBeInstanceOf(
        DatadogError,
      );
    });
  });
});
