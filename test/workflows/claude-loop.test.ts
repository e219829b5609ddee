import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { type AnthropicSimulator, startAnthropicSimulator } from '../support/anthropic-simulator';
import { createTestApi, createTestDatabase, eventually, postJson, testConfig, type TestApi } from '../support/harness';
import { kill, startWorkerProcess } from '../support/worker-process';

jest.setTimeout(180_000);

const scenario = loadScenario(path.resolve(__dirname, '../../scenarios/checkout-service-error-rate-spike.json'));

const report = {
  summary: 'checkout-service v4.12.0 broke payment calls minutes after it was deployed.',
  root_cause: 'The checkout-service v4.12.0 deployment introduced failing payment client calls.',
  category: 'deployment',
  confidence: 0.8,
  hypotheses: [
    {
      category: 'deployment',
      culprit: 'checkout-service v4.12.0',
      statement: 'The checkout-service v4.12.0 deployment introduced failing payment client calls.',
      score: 0.85,
      supporting: [
        { claim: 'Errors start right after the v4.12.0 deploy', source: 'events' },
        { claim: 'payment client errors are new since the deploy', source: 'logs' },
      ],
      against: [],
    },
  ],
  evidence: [{ claim: 'Errors start right after the v4.12.0 deploy', source: 'events' }],
  remediation: ['Roll back checkout-service to the previous version'],
  missing_data: [],
  // Not the model's to set: the stored verdict is derived from the hypotheses.
  verdict: 'inconclusive',
};

describe('rcaWorkflow with the Claude analyst', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;
  let claude: AnthropicSimulator;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario, apiKey: 'k', appKey: 'a' });
    claude = await startAnthropicSimulator();
    api = createTestApi(database.url, testConfig({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: claude.url }));
    expect(
      (await postJson(api.app, '/v1/accounts', { name: 'claude-loop', base_url: sandbox.url, api_key: 'k', app_key: 'a' })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) await kill(worker);
    await api.close();
    await Promise.all([sandbox.close(), claude.close()]);
    await database.drop();
  });

  it('runs one activity per turn and per tool call, and resumes after a crash between turns without repeating a finished turn', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: claude.url };
    claude.script(
      {
        content: [
          { type: 'text', text: 'Looking at the errors first.' },
          { type: 'tool_use', id: 'toolu_1', name: 'search_logs', input: { query: 'service:checkout-service status:error' } },
        ],
      },
      // The second turn's answer is slow: the worker dies while waiting for it.
      {
        content: [{ type: 'tool_use', id: 'toolu_2', name: 'get_monitor', input: { monitor_id: scenario.alert.monitor_id } }],
        holdMs: 20_000,
      },
      { content: [{ type: 'tool_use', id: 'toolu_2', name: 'get_monitor', input: { monitor_id: scenario.alert.monitor_id } }] },
      { content: [{ type: 'tool_use', id: 'toolu_3', name: 'submit_report', input: report }] },
    );
    worker = await startWorkerProcess(api.config, database.url, env);
    const accepted = (await (
      await postJson(api.app, '/v1/webhooks/receive', { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000) })
    ).json()) as { event_id: string };
    const rcaId = `rca/${accepted.event_id}`;
    await eventually(async () => claude.requests.length === 2, 60_000);
    await kill(worker);
    worker = await startWorkerProcess(api.config, database.url, env);

    const view = await eventually(async () => {
      const body = (await (await api.app.request(`/v1/rca/${accepted.event_id}`)).json()) as any;
      return ['completed', 'failed'].includes(body.status) && body;
    }, 120_000);
    expect(view).toMatchObject({
      status: 'completed',
      analyst: 'claude',
      report: { category: 'deployment', root_cause: report.root_cause, verdict: 'confirmed', hypotheses: report.hypotheses },
    });
    expect(view.usage).toMatchObject({ turns: 3, toolCalls: 2, inputTokens: 3600, outputTokens: 450 });
    // The investigation ran first, and its own conclusion is kept as a row beside Claude's.
    expect(view.report.analysts.map((a: any) => a.analyst)).toEqual(['claude', 'offline']);
    expect(view.report.analysts[0]).toMatchObject({ verdict: 'confirmed', category: 'deployment' });
    expect(view.report.analysts[1].confidence).toBeLessThan(1);
    expect(view.usage.estimatedCostUsd).toBeGreaterThan(0);

    // Turn 1 ran once; turn 2 once more after the crash (its answer never arrived); turn 3 once.
    expect(claude.requests).toHaveLength(4);
    const { rows } = await database.db.query(
      `SELECT role, count(*)::int AS n FROM rca_messages WHERE rca_id = $1 GROUP BY role ORDER BY role`,
      [rcaId],
    );
    expect(Object.fromEntries(rows.map((r) => [r.role, r.n]))).toMatchObject({ assistant: 3 });
    // The last turn offered nothing but submit_report, and forced it.
    const history = await api.runtime.temporal.workflow.getHandle(rcaId).fetchHistory();
    const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(scheduled.filter((n) => n === 'analysisTurn')).toHaveLength(3);
    expect(scheduled.filter((n) => n === 'analysisTool')).toHaveLength(2);
  });

  it('falls back to the offline analyst when the key is rejected, and the report says so', async () => {
    claude.reset();
    claude.script({ status: 401 });
    // Another scope: a new incident (a repeat of the open one would be coalesced, with no second RCA).
    const alert = {
      ...scenario.alert,
      scope: `${scenario.alert.scope},region:b`,
      transition_id: 'key-rejected',
      timestamp: Math.floor(Date.now() / 1000),
    };
    const accepted = (await (await postJson(api.app, '/v1/webhooks/receive', alert)).json()) as { event_id: string };
    const view = await eventually(async () => {
      const body = (await (await api.app.request(`/v1/rca/${accepted.event_id}`)).json()) as any;
      return ['completed', 'failed'].includes(body.status) && body;
    }, 120_000);
    expect(view.status).toBe('completed');
    expect(view.report.missing_data[0]).toMatch(/^claude analysis failed: .*(rejected|401)/i);
    expect(claude.requests).toHaveLength(1);
  });
});
