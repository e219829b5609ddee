import path from 'node:path';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { createSimilarityProviders } from '../../src/similarity/providers';
import { RAYNE_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

jest.setTimeout(150_000);

const scenario = loadScenario(path.resolve(__dirname, '../../scenarios/checkout-service-error-rate-spike.json'));

describe('/v1/rca: analysis, notebook, re-runs and feedback (offline analyst)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;
  let worker: { stop(): Promise<void> };
  let eventId: string;

  const get = async (url: string) => {
    const res = await api.app.request(url);
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? ((await res.json()) as any) : await res.text() };
  };
  const completed = (id: string) =>
    eventually(async () => {
      const { body } = await get(`/v1/rca/${encodeURIComponent(id)}`);
      return ['completed', 'failed'].includes(body.status) && body;
    }, 120_000);

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario, apiKey: 'k', appKey: 'a' });
    api = createTestApi(database.url, testConfig({ TEMPORAL_UI_URL: 'http://ui.example', RAYNE_PUBLIC_URL: 'https://rayne.example' }));
    // An account of this file's own: incident workflow ids (account, monitor, scope) share one Temporal server with other files.
    expect((await postJson(api.app, '/v1/accounts', { name: 'rca-api', base_url: sandbox.url, api_key: 'k', app_key: 'a' })).status).toBe(
      201,
    );
    worker = await startTestWorker(database.db, api.config);
    const accepted = (await (
      await postJson(api.app, '/v1/webhooks/receive', { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000) })
    ).json()) as { event_id: string };
    eventId = accepted.event_id;
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  it('stores a structured report, publishes one notebook, and lists the RCA', async () => {
    const rca = await completed(`rca/${eventId}`);
    expect(rca).toMatchObject({
      status: 'completed',
      phase: 'done',
      analyst: 'offline',
      links: { temporal_run: expect.stringContaining('rca%2F') },
    });
    expect(rca.report).toMatchObject({
      category: expect.any(String),
      root_cause: expect.any(String),
      confidence: expect.any(Number),
      verdict: expect.stringMatching(/^(confirmed|likely|inconclusive)$/),
    });
    // Ranked: the first is the report's own category; alternatives (other culprits or categories) may follow.
    expect(rca.report.hypotheses.length).toBeGreaterThanOrEqual(1);
    expect(rca.report.hypotheses[0]).toMatchObject({
      category: rca.report.category,
      culprit: expect.any(String),
      score: expect.any(Number),
      supporting: expect.any(Array),
      against: expect.any(Array),
    });
    expect(rca.notebook_url).toMatch(new RegExp(`^${sandbox.url}/notebook/\\d+`));
    expect(sandbox.data.notebooks.size).toBe(1);
    const list = (await get('/v1/rca?status=completed')).body;
    expect(list.rcas.find((r: any) => r.id === `rca/${eventId}`)).toMatchObject({ verdict: rca.report.verdict });
    const markdown = await get(`/v1/rca/${eventId}/notebook`);
    expect(markdown.status).toBe(200);
    expect(markdown.body).toContain('v4.12.0');
    expect(markdown.body).toContain(rca.report.category);
    expect(markdown.body).toContain(`**Verdict:** ${rca.report.verdict}`);
    expect(markdown.body).toContain('### Hypotheses');
  });

  it('shows a report stored before hypotheses and verdicts existed, with what it has', async () => {
    const current = await completed(`rca/${eventId}`);
    await database.db.query(`UPDATE rca_reports SET report = report - 'hypotheses' - 'verdict' WHERE rca_id = $1`, [`rca/${eventId}`]);
    try {
      const old = await get(`/v1/rca/${eventId}`);
      expect(old.status).toBe(200);
      expect(old.body.report).not.toHaveProperty('verdict');
      expect(old.body.report.root_cause).toBe(current.report.root_cause);
      expect((await get(`/v1/rca?event_id=${eventId}`)).body.rcas[0].verdict).toBeNull();
      const markdown = await get(`/v1/rca/${eventId}/notebook`);
      expect(markdown.status).toBe(200);
      expect(markdown.body).toContain(`**Root cause:** `);
      expect(markdown.body).not.toContain('### Hypotheses');
    } finally {
      await database.db.query('UPDATE rca_reports SET report = $2 WHERE rca_id = $1', [`rca/${eventId}`, JSON.stringify(current.report)]);
    }
  });

  it('re-runs under a new id and keeps the old report', async () => {
    const before = (await get(`/v1/rca/${eventId}`)).body.report;
    const res = await postJson(api.app, `/v1/rca/${eventId}/rerun`, { analyst: 'offline' });
    expect(res.status).toBe(202);
    const { rca_id: rerunId } = (await res.json()) as { rca_id: string };
    expect(rerunId).toBe(`rca/${eventId}/rerun-1`);
    const rerun = await completed(rerunId);
    expect(rerun.status).toBe('completed');
    // Found by the same filters in the Web UI as the first run: every search attribute carried over.
    const attributesOf = async (id: string) => {
      const { typedSearchAttributes } = await api.runtime.temporal.workflow.getHandle(id).describe();
      return Object.fromEntries(RAYNE_SEARCH_ATTRIBUTES.map((key) => [key.name, typedSearchAttributes.get(key)]));
    };
    const original = await attributesOf(`rca/${eventId}`);
    expect(original).toMatchObject({
      RayneMonitorId: String(scenario.alert.monitor_id),
      RayneAccount: 'rca-api',
      RayneRole: expect.any(String),
    });
    expect(await attributesOf(rerunId)).toEqual(original);
    expect((await get(`/v1/rca/${eventId}`)).body.report).toEqual(before);
    expect((await postJson(api.app, `/v1/rca/${eventId}/rerun`, { analyst: 'gpt' })).status).toBe(400);
  });

  it('stores feedback and ranks the confirmed root cause in the similar-incident index', async () => {
    const res = await postJson(api.app, `/v1/rca/${eventId}/feedback`, {
      verdict: 'confirmed',
      root_cause: 'checkout-service v4.12.0 broke the payment client',
      category: 'deployment',
    });
    expect(res.status).toBe(201);
    const { embedder, store } = createSimilarityProviders(api.config, database.db);
    const [vector] = await embedder.embed(['checkout-service v4.12.0 payment errors']);
    await store.ensureReady(vector!.length);
    const hit = await eventually(async () => {
      const hits = await store.search(vector!, { limit: 5, minScore: -1, filter: { account: 'rca-api' } });
      return hits.find((h) => h.id === `rca/${eventId}` && h.payload.confirmed);
    }, 30_000);
    expect(hit.payload).toMatchObject({
      rootCause: 'checkout-service v4.12.0 broke the payment client',
      category: 'deployment',
      confirmed: true,
    });
    expect((await postJson(api.app, `/v1/rca/${eventId}/feedback`, { verdict: 'maybe' })).status).toBe(400);
    expect((await postJson(api.app, '/v1/rca/999999999/feedback', { verdict: 'confirmed' })).status).toBe(404);
  });

  it('marks the notebook RESOLVED when the incident recovers', async () => {
    const ok = await postJson(api.app, '/v1/webhooks/receive', {
      ...scenario.alert,
      alert_status: 'OK',
      transition_id: 'recovered',
      timestamp: Math.floor(Date.now() / 1000),
    });
    expect(ok.status).toBe(202);
    await eventually(
      async () => [...sandbox.data.notebooks.values()].every((n) => String(n.attributes.name).startsWith('[RESOLVED]')),
      60_000,
    );
    // The activity records resolved_at right after Datadog renamed the notebook.
    const resolvedAt = await eventually(
      async () =>
        (await database.db.query('SELECT resolved_at FROM rca_reports WHERE rca_id = $1', [`rca/${eventId}`])).rows[0].resolved_at,
    );
    expect(resolvedAt).toBeInstanceOf(Date);
  });
});
