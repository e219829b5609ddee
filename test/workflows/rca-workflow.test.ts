import type { ChildProcess } from 'node:child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import fs from 'node:fs';
import path from 'node:path';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario, type Scenario } from '../../src/demo/scenario';
import { createSimilarityProviders } from '../../src/similarity/providers';
import { QdrantVectorStore } from '../../src/similarity/qdrant-vector-store';
import { RayneMonitorId, RayneRole } from '../../src/contracts/search-attributes';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';
import { startQdrantSimulator } from '../support/qdrant-simulator';
import { kill, startWorkerProcess } from '../support/worker-process';

// Workflows, a dozen activities and a Datadog sandbox per test: slow when the machine is busy with the other suites.
jest.setTimeout(150_000);

const SCENARIOS = path.resolve(__dirname, '../../scenarios');
const scenario = (name: string) => loadScenario(path.join(SCENARIOS, `${name}.json`));

describe('rcaWorkflow: evidence', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ apiKey: 'k', appKey: 'a' });
    api = createTestApi(database.url);
    expect(
      (await postJson(api.app, '/v1/accounts', { name: 'brightcart', base_url: sandbox.url, api_key: 'k', app_key: 'a' })).status,
    ).toBe(201);
    await indexHistory();
  });

  /** Past incidents of every scenario, as earlier RCAs of this account (and a copy under another account that must never show). */
  async function indexHistory() {
    const { embedder, store } = createSimilarityProviders(api.config, database.db);
    const points = fs
      .readdirSync(SCENARIOS)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        const s = loadScenario(path.join(SCENARIOS, f));
        return s.history.flatMap((h, i) =>
          ['brightcart', 'other-account'].map((account) => ({
            id: `past/${account === 'brightcart' ? s.id : 'other-account'}/${i}${account === 'brightcart' ? '' : `/${s.id}`}`,
            text: [h.title, h.service && `service ${h.service}`, h.root_cause].filter(Boolean).join('\n'),
            payload: {
              account,
              title: h.title,
              service: h.service,
              rootCause: h.root_cause,
              category: h.category,
              confirmed: true,
              links: {},
              createdAt: new Date().toISOString(),
            },
          })),
        );
      });
    const vectors = await embedder.embed(points.map((p) => p.text));
    await store.ensureReady(vectors[0]!.length);
    await store.upsert(points.map((p, i) => ({ id: p.id, vector: vectors[i]!, payload: p.payload })));
  }
  afterAll(async () => {
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  /** Seeds the sandbox with the scenario at "now", sends its alert, waits for the RCA to finish, and returns its evidence. */
  async function investigate(s: Scenario, transitionId: string) {
    sandbox.seed(s);
    const alert = { ...s.alert, timestamp: Math.floor(Date.now() / 1000), transition_id: transitionId };
    const accepted = (await (await postJson(api.app, '/v1/webhooks/receive', alert)).json()) as { event_id: string };
    const rcaId = `rca/${accepted.event_id}`;
    await eventually(
      async () =>
        ['completed', 'failed'].includes((await database.db.query('SELECT status FROM rca_runs WHERE id = $1', [rcaId])).rows[0]?.status),
      120_000,
    );
    const res = await api.app.request(`/v1/rca/${accepted.event_id}/evidence`);
    expect(res.status).toBe(200);
    return { rcaId, view: (await res.json()) as any };
  }

  it('classifies, prefetches every source, mines the logs, and stores a bounded bundle with links', async () => {
    const worker = await startTestWorker(database.db, api.config);
    try {
      const { rcaId, view } = await investigate(scenario('storefront-web-host-cpu'), 'rca-1');
      expect(view).toMatchObject({ status: 'completed', phase: 'done', role: 'infrastructure' });
      expect(Object.fromEntries(view.sources.map((s: any) => [s.source, s.status]))).toEqual({
        events: 'ok',
        host: 'ok',
        logs: 'ok',
        metrics: 'ok',
        monitor: 'ok',
        similar: 'ok',
      });
      const bundle = view.evidence;
      // The scenario's own past incident is among the nearest (other companies' storefronts compete), scored, with its root cause.
      const own = bundle.similar.slice(0, 3).find((x: any) => x.id.startsWith('past/storefront-web-host-cpu/'));
      expect(own).toMatchObject({ category: expect.any(String), rootCause: expect.any(String) });
      expect(own.score).toBeGreaterThanOrEqual(0.25);
      expect(bundle.similar.every((s: any) => !s.id.startsWith('past/other-account'))).toBe(true);
      expect(bundle.tokenEstimate).toBeLessThanOrEqual(12_000);
      expect(bundle.missing).toEqual([]);
      expect(bundle.logQuery).toBe('(host:web-07 OR service:storefront-ssr) AND status:(error OR warn)');
      expect(bundle.logTemplates.length).toBeGreaterThan(0);
      expect(bundle.logTemplates.some((t: any) => /rebuild-sitemap/.test(`${t.template} ${t.example}`))).toBe(true);
      expect(bundle.host).toMatchObject({ name: 'web-07', up: true });
      expect(bundle.monitor).toMatchObject({ id: 48212031, type: 'metric alert' });
      const cpu = bundle.metrics.find((m: any) => m.query === 'avg:system.cpu.user{host:web-07}');
      expect(cpu.max).toBeGreaterThan(90);
      const span = (link: string) => {
        const u = new URL(link);
        expect(u.origin).toBe(sandbox.url);
        return Number(u.searchParams.get('to_ts')) - Number(u.searchParams.get('from_ts'));
      };
      for (const link of [bundle.links.monitor, bundle.links.logs, cpu.link]) expect(span(link)).toBe(30 * 60_000);
      // Events are read over the change window, 3 hours before the alert to 10 minutes after it.
      for (const link of [bundle.links.events, ...bundle.events.map((e: any) => e.link)]) expect(span(link)).toBe(190 * 60_000);
      // Events older than the change window (a deploy two days before) stay out.
      expect(bundle.events.every((e: any) => Date.parse(e.at) >= Date.parse(bundle.changeWindow.from))).toBe(true);

      const handle = api.runtime.temporal.workflow.getHandle(rcaId);
      const { typedSearchAttributes } = await handle.describe();
      expect(typedSearchAttributes.get(RayneRole)).toBe('infrastructure');
      expect(typedSearchAttributes.get(RayneMonitorId)).toBe('48212031');
      expect(await handle.result()).toMatchObject({
        phase: 'done',
        role: 'infrastructure',
        evidenceSummary: expect.stringMatching(/log templates/),
      });
    } finally {
      await worker.stop();
    }
  });

  it('names a source that fails and one that returns nothing as missing, with why', async () => {
    const worker = await startTestWorker(database.db, api.config);
    try {
      const quiet = { ...scenario('cart-api-error-rate') };
      quiet.datadog = { ...quiet.datadog, events: [] };
      sandbox.failNext({ path: '/api/v1/hosts' }, { status: 403 }, 5);
      const { view } = await investigate(quiet, 'rca-2');
      const sources = Object.fromEntries(view.sources.map((s: any) => [s.source, s]));
      expect(sources.host).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/list hosts for account "brightcart" failed with 403/),
      });
      expect(sources.events).toMatchObject({ status: 'empty', reason: 'no events from 3 hours before the alert to 10 minutes after it' });
      // This scenario's metrics are the database's, not the alerting service's.
      expect(sources.metrics).toMatchObject({ status: 'empty', reason: 'none of the key metrics has data for this host or service' });
      expect(view.evidence.missing.map((m: any) => m.source).sort()).toEqual(['events', 'host', 'metrics']);
      expect(view.status).toBe('completed');
    } finally {
      await worker.stop();
    }
  });

  it('reads no Datadog monitor for an alert from Alertmanager, saying why, and still reads the host', async () => {
    const worker = await startTestWorker(database.db, api.config);
    try {
      sandbox.seed(scenario('storefront-web-host-cpu'));
      const alert = { status: 'firing', labels: { alertname: 'HostHighCPU', instance: 'web-07:9100' }, startsAt: new Date().toISOString() };
      const res = await postJson(api.app, '/v1/webhooks/alertmanager/brightcart', { version: '4', alerts: [alert] });
      expect(res.status).toBe(202);
      const { event_id } = ((await res.json()) as { events: Array<{ event_id: string }> }).events[0]!;
      await eventually(
        async () =>
          (await database.db.query('SELECT status FROM rca_runs WHERE id = $1', [`rca/${event_id}`])).rows[0]?.status === 'completed',
        120_000,
      );
      const view = (await (await api.app.request(`/v1/rca/${event_id}/evidence`)).json()) as any;
      const sources = Object.fromEntries(view.sources.map((s: any) => [s.source, s]));
      expect(sources.monitor).toMatchObject({
        status: 'skipped',
        reason: 'the alert is not from a Datadog monitor (alertmanager:HostHighCPU)',
      });
      expect(sources.host).toMatchObject({ status: 'ok' });
    } finally {
      await worker.stop();
    }
  });

  it('resumes after a worker crash during prefetch without repeating finished work', async () => {
    sandbox.holdNext({ method: 'POST', path: '/api/v2/logs/events/search' }, 4000);
    let worker: ChildProcess = await startWorkerProcess(api.config, database.url);
    const s = scenario('checkout-service-error-rate-spike');
    sandbox.seed(s);
    const accepted = (await (
      await postJson(api.app, '/v1/webhooks/receive', { ...s.alert, timestamp: Math.floor(Date.now() / 1000), transition_id: 'rca-crash' })
    ).json()) as { event_id: string };
    const rcaId = `rca/${accepted.event_id}`;
    // Every source but the held logs search has been saved: the crash comes mid-prefetch.
    await eventually(
      async () => (await database.db.query('SELECT count(*)::int AS n FROM rca_sources WHERE rca_id = $1', [rcaId])).rows[0].n === 5,
      30_000,
    );
    await kill(worker);
    worker = await startWorkerProcess(api.config, database.url);
    try {
      const handle = api.runtime.temporal.workflow.getHandle(rcaId);
      await handle.result();
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes)
        .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name!);
      // Each step was scheduled once: finished sources were not fetched again after the restart.
      expect(scheduled.filter((n) => n.startsWith('prefetch') || n === 'findSimilarIncidents').sort()).toEqual([
        'findSimilarIncidents',
        'prefetchEvents',
        'prefetchHost',
        'prefetchLogs',
        'prefetchMetrics',
        'prefetchMonitor',
      ]);
      const counts = (
        await database.db.query(
          `SELECT (SELECT count(*)::int FROM rca_runs WHERE event_id = $2) AS runs,
                (SELECT count(*)::int FROM rca_sources WHERE rca_id = $1) AS sources,
                (SELECT count(*)::int FROM rca_evidence WHERE rca_id = $1) AS evidence`,
          [rcaId, accepted.event_id],
        )
      ).rows[0];
      expect(counts).toEqual({ runs: 1, sources: 6, evidence: 1 });
      const logs = (await database.db.query("SELECT status, items FROM rca_sources WHERE rca_id = $1 AND source = 'logs'", [rcaId]))
        .rows[0];
      expect(logs.status).toBe('ok');
    } finally {
      await kill(worker);
    }
  });
});

describe('rcaWorkflow without a Datadog account', () => {
  it('records each Datadog source as not configured, in completed activities rather than failed ones', async () => {
    const database = await createTestDatabase();
    const api = createTestApi(database.url);
    const worker = await startTestWorker(database.db, api.config);
    try {
      const accepted = (await (
        await postJson(api.app, '/v1/webhooks/receive', {
          monitor_id: 4242,
          alert_status: 'Alert',
          hostname: 'web-01',
          transition_id: 'no-account',
        })
      ).json()) as { event_id: string };
      const rcaId = `rca/${accepted.event_id}`;
      await eventually(
        async () => (await database.db.query('SELECT status FROM rca_runs WHERE id = $1', [rcaId])).rows[0]?.status === 'completed',
        120_000,
      );
      const { rows } = await database.db.query(
        "SELECT source, status, reason FROM rca_sources WHERE rca_id = $1 AND source <> 'similar' ORDER BY source",
        [rcaId],
      );
      expect(rows.map((r) => r.source)).toEqual(['events', 'host', 'logs', 'metrics', 'monitor']);
      expect(rows.every((r) => r.status === 'skipped' && r.reason.startsWith('not configured: no Datadog account "default"'))).toBe(true);
      const history = await api.runtime.temporal.workflow.getHandle(rcaId).fetchHistory();
      expect((history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes)).toEqual([]);
      const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes).length;
      expect(completed).toBeGreaterThanOrEqual(6);
    } finally {
      await worker.stop();
      await api.close();
      await database.drop();
    }
  });
});

describe('rcaWorkflow with a Qdrant collection of another dimension', () => {
  it('fails at indexing on the first attempt, and the run says why instead of staying in phase store', async () => {
    const qdrant = await startQdrantSimulator();
    // Made by an embedder of 8 dimensions; the hashing embedder's vectors have 512.
    await new QdrantVectorStore({ url: qdrant.url, collection: 'rayne_rcas', embedder: 'older-embedder' }).ensureReady(8);
    const database = await createTestDatabase();
    const api = createTestApi(database.url, testConfig({ QDRANT_URL: qdrant.url, QDRANT_COLLECTION: 'rayne_rcas' }));
    const worker = await startTestWorker(database.db, api.config);
    try {
      const accepted = (await (
        await postJson(api.app, '/v1/webhooks/receive', { monitor_id: 4343, alert_status: 'Alert', transition_id: 'wrong-dimension' })
      ).json()) as { event_id: string };
      const rcaId = `rca/${accepted.event_id}`;
      const mismatch = new RegExp(
        `^Qdrant collection "rayne_rcas" at ${qdrant.url} holds 8 dimensions, Cosine distance; the embedder needs 512 dimensions`,
      );
      // The incident workflow starts the RCA as its child; its first step writes the row.
      await eventually(async () => (await database.db.query('SELECT 1 FROM rca_runs WHERE id = $1', [rcaId])).rowCount, 60_000);
      const failure = await api.runtime.temporal.workflow
        .getHandle(rcaId)
        .result()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const step = (failure as WorkflowFailedError).cause;
      expect(step).toBeInstanceOf(ActivityFailure);
      expect(step).toMatchObject({ activityType: 'indexRca', retryState: RetryState.NON_RETRYABLE_FAILURE });
      expect(step!.cause).toBeInstanceOf(ApplicationFailure);
      expect(step!.cause).toMatchObject({ type: 'NotConfigured', nonRetryable: true, message: expect.stringMatching(mismatch) });

      const run = await api.app.request(`/v1/rca/${accepted.event_id}`);
      expect(await run.json()).toMatchObject({ status: 'failed', phase: 'failed', error: expect.stringMatching(mismatch) });
      // The report was written before indexing; only the similar-incident entry is missing.
      const report = await database.db.query('SELECT count(*)::int AS n FROM rca_reports WHERE rca_id = $1', [rcaId]);
      expect(report.rows[0].n).toBe(1);
      // The similar-incident search met the same collection, and was named as missing with the same reason.
      const similar = await database.db.query("SELECT status, reason FROM rca_sources WHERE rca_id = $1 AND source = 'similar'", [rcaId]);
      expect(similar.rows[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(mismatch) });
    } finally {
      await worker.stop();
      await api.close();
      await database.drop();
      await qdrant.close();
    }
  });
});
