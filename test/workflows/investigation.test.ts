import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario, type Scenario } from '../../src/demo/scenario';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, type TestApi } from '../support/harness';
import { kill, startWorkerProcess } from '../support/worker-process';

// A whole RCA per test, with a crash and a second worker in one: slow on a busy machine.
jest.setTimeout(150_000);

const scenario = (name: string) => loadScenario(path.resolve(__dirname, `../../scenarios/${name}.json`));

describe('rcaWorkflow: the investigating analyst', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ apiKey: 'k', appKey: 'a' });
    api = createTestApi(database.url);
    expect((await postJson(api.app, '/v1/accounts', { name: 'acme', base_url: sandbox.url, api_key: 'k', app_key: 'a' })).status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  /** Seeds the sandbox, sends the alert, and returns the RCA's id once it has one. */
  async function send(s: Scenario, transitionId: string): Promise<{ rcaId: string; eventId: string }> {
    sandbox.seed(s);
    const alert = { ...s.alert, timestamp: Math.floor(Date.now() / 1000), transition_id: transitionId };
    const accepted = (await (await postJson(api.app, '/v1/webhooks/receive', alert)).json()) as { event_id: string };
    return { rcaId: `rca/${accepted.event_id}`, eventId: accepted.event_id };
  }

  const finished = (rcaId: string) =>
    eventually(
      async () =>
        ['completed', 'failed'].includes((await database.db.query('SELECT status FROM rca_runs WHERE id = $1', [rcaId])).rows[0]?.status),
      120_000,
    );

  /** The investigation's calls (not its report) and how many results each has. */
  async function callsOf(rcaId: string) {
    const { rows } = await database.db.query('SELECT role, content FROM rca_investigation_messages WHERE rca_id = $1 ORDER BY seq', [
      rcaId,
    ]);
    const uses = rows
      .filter((r) => r.role === 'assistant')
      .flatMap((r) => r.content.filter((b: any) => b.type === 'tool_use' && b.name !== 'submit_report'));
    const results = rows.flatMap((r) => r.content.filter((b: any) => b.type === 'tool_result'));
    return uses.map((u: any) => ({ ...u, results: results.filter((r: any) => r.tool_use_id === u.id) }));
  }

  async function scheduled(rcaId: string): Promise<string[]> {
    const history = await api.runtime.temporal.workflow.getHandle(rcaId).fetchHistory();
    return (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [],
    );
  }

  it('follows the failing lines through the resolver to its host, one activity per turn and per call, and its reads are the evidence', async () => {
    const worker = await startTestWorker(database.db, api.config);
    try {
      const { rcaId, eventId } = await send(scenario('lumen-webhook-dispatcher-dns-timeouts'), 'inv-1');
      await finished(rcaId);
      const view = (await (await api.app.request(`/v1/rca/${eventId}`)).json()) as any;
      expect(view).toMatchObject({ status: 'completed', analyst: 'offline' });
      // The webhook dispatcher's lookups time out; the resolver (coredns) is found by what the reason names,
      // and the resolver's host reports its own trouble.
      expect(view.report.category).toBe('network');
      expect(view.report.root_cause).toContain('ip-10-61-33-145');
      expect(view.report.calibration.features).toMatchObject({ own: true });
      expect(view.report.confidence).toBeGreaterThan(0);

      const calls = await callsOf(rcaId);
      expect(calls.length).toBeGreaterThan(5);
      expect(calls.every((c) => c.results.length === 1)).toBe(true);
      expect(calls.some((c: any) => c.name === 'search_logs' && String(c.input.query).includes('dns'))).toBe(true);
      expect(calls.some((c: any) => c.name === 'host_metrics' && c.input.hostname === 'ip-10-61-33-145.ec2.internal')).toBe(true);
      const activities = await scheduled(rcaId);
      expect(activities.filter((a) => a === 'investigationTool')).toHaveLength(calls.length);
      expect(activities.filter((a) => a === 'investigationTurn').length).toBeGreaterThanOrEqual(2);
      expect(view.usage.toolCalls).toBe(calls.length);

      const evidence = (await (await api.app.request(`/v1/rca/${eventId}/evidence`)).json()) as any;
      expect(evidence.evidence.investigation.map((r: any) => r.tool)).toEqual(calls.map((c: any) => c.name));
      expect(JSON.stringify(evidence.evidence.investigation)).toContain('ip-10-61-33-145');
    } finally {
      await worker.stop();
    }
  });

  it('records a call that fails as missing evidence and goes on to a report', async () => {
    const worker = await startTestWorker(database.db, api.config);
    try {
      sandbox.failNext({ path: '/api/v1/metrics' }, { status: 500 }, 100);
      const { rcaId, eventId } = await send(scenario('asset-uploader-5xx'), 'inv-2');
      await finished(rcaId);
      const view = (await (await api.app.request(`/v1/rca/${eventId}`)).json()) as any;
      expect(view.status).toBe('completed');
      const failed = (await callsOf(rcaId)).filter((c) => c.results[0]?.is_error);
      expect(failed.map((c: any) => c.name)).toEqual(expect.arrayContaining(['host_metrics', 'scope_metrics']));
      expect(view.report.missing_data.join('\n')).toMatch(/host_metrics .* failed/);
      // The logs still carry the cause.
      expect(view.report.category).toBe('disk_full');
      expect(view.report.root_cause).toContain('media-02');
    } finally {
      sandbox.failNext({ path: '/api/v1/metrics' }, { status: 500 }, 0);
      await worker.stop();
    }
  });

  it('resumes after a worker crash mid-investigation without running a finished call again', async () => {
    // The first lists of metrics are held, so the worker dies with investigation calls done and one in flight.
    sandbox.holdNext({ path: '/api/v1/metrics' }, 5000, 2);
    let worker: ChildProcess = await startWorkerProcess(api.config, database.url);
    const { rcaId, eventId } = await send(scenario('storefront-web-host-cpu'), 'inv-3');
    await eventually(async () => (await callsOf(rcaId)).filter((c) => c.results.length === 1).length >= 2, 60_000);
    await kill(worker);
    worker = await startWorkerProcess(api.config, database.url);
    try {
      await api.runtime.temporal.workflow.getHandle(rcaId).result();
      const calls = await callsOf(rcaId);
      expect(calls.every((c) => c.results.length === 1)).toBe(true);
      // One scheduled activity per call: the ones that had finished were not run again after the restart.
      expect((await scheduled(rcaId)).filter((a) => a === 'investigationTool')).toHaveLength(calls.length);
      const view = (await (await api.app.request(`/v1/rca/${eventId}`)).json()) as any;
      expect(view.report.root_cause).toContain('rebuild-sitemap');
    } finally {
      await kill(worker);
    }
  });
});
