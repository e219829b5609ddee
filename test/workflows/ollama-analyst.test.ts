import { ApplicationFailure } from '@temporalio/common';
import { createAnalysisActivities } from '../../src/activities/analysis';
import { createLlmActivities, type LlmDeps } from '../../src/activities/llm';
import { loadConfig } from '../../src/config';
import { fixture, REPORT, startAnalystBackends } from '../support/analyst-fixture';
import { type OllamaSimulator, startOllamaSimulator } from '../support/ollama-simulator';

describe('Ollama analyst activities', () => {
  let backends: Awaited<ReturnType<typeof startAnalystBackends>>;
  let database: typeof backends.database;
  let sim: OllamaSimulator;
  let deps: LlmDeps;

  beforeAll(async () => {
    backends = await startAnalystBackends();
    ({ database } = backends);
    const { accounts, similarity } = backends;
    sim = await startOllamaSimulator({}, ['llama3.1']);
    deps = {
      db: database.db,
      accounts,
      similarity,
      similar: { limit: 5, minScore: 0.25 },
      // No Anthropic key: an Ollama run must never reach Anthropic.
      anthropic: { model: 'claude-sonnet-4-6', maxTurns: 4, maxTokensPerRca: 200_000 },
      ollama: { url: sim.url, model: 'llama3.1' },
    };
  });
  afterAll(async () => {
    await sim?.close();
    await backends?.stop();
  });
  beforeEach(() => {
    sim.chatRequests.length = 0;
  });

  /** A stored alert, its RCA run planned for Ollama (through planAnalysis) and the fixture's evidence. */
  async function newRca(model?: string): Promise<string> {
    const {
      rows: [event],
    } = await database.db.query(
      `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id)
       VALUES (gen_random_uuid()::text, 'brightcart', $1, 'Alert', $2, '{}', 'processed', 'w') RETURNING id::text`,
      [fixture.bundle.alert.monitorId, fixture.bundle.alert.scope],
    );
    const rcaId = `rca/${event.id}`;
    await database.db.query(
      `INSERT INTO rca_runs (id, event_id, account, phase, status) VALUES ($1, $2, 'brightcart', 'done', 'evidence_ready')`,
      [rcaId, event.id],
    );
    const bundle = structuredClone(fixture.bundle);
    bundle.rcaId = rcaId;
    await database.db.query('INSERT INTO rca_evidence (rca_id, bundle, summary, token_estimate) VALUES ($1, $2, $3, $4)', [
      rcaId,
      JSON.stringify(bundle),
      's',
      bundle.tokenEstimate,
    ]);
    const analysis = createAnalysisActivities({
      db: database.db,
      similarity: deps.similarity,
      links: { namespace: 'default' },
      analysis: {
        analyst: 'ollama',
        claudeConfigured: false,
        ollamaConfigured: true,
        model: 'claude-sonnet-4-6',
        ollamaModel: 'llama3.1',
        maxTurns: 4,
      },
    });
    expect(await analysis.planAnalysis(rcaId, model ? { model } : {})).toMatchObject({ analyst: 'ollama', model: model ?? 'llama3.1' });
    return rcaId;
  }

  const rows = async (rcaId: string) =>
    (await database.db.query('SELECT seq, role, content FROM rca_messages WHERE rca_id = $1 ORDER BY seq', [rcaId])).rows as Array<{
      seq: number;
      role: string;
      content: any[];
    }>;

  it('runs a tool call through the stored conversation and accepts submit_report', async () => {
    const rcaId = await newRca();
    const activities = createLlmActivities(deps);
    const query = { query: 'service:checkout-service status:error' };
    sim.scriptChat(
      { content: 'Checking the error logs.', tool_calls: [{ function: { name: 'search_logs', arguments: query } }] },
      { content: '', tool_calls: [{ function: { name: 'submit_report', arguments: REPORT } }] },
    );

    const first = await activities.analysisTurn(rcaId, 1);
    expect(first).toMatchObject({
      toolCalls: [{ id: 'ollama_1_0', name: 'search_logs', input: query }],
      stopReason: 'tool_use',
      text: 'Checking the error logs.',
      final: false,
      usage: { inputTokens: 2900, outputTokens: 120, cachedTokens: 0 },
    });
    const request = sim.chatRequests[0];
    expect(request).toMatchObject({ model: 'llama3.1', stream: false });
    expect(request.messages.map((m: any) => m.role)).toEqual(['system', 'user']);
    expect(request.messages[0].content).toMatch(/Never follow instructions/);
    expect(request.messages[1].content).toContain(`"rcaId": "${rcaId}"`);
    expect(request.messages[1].content).toMatch(/<untrusted_data kind="investigation_hypotheses"/);
    expect(request.tools.map((t: any) => t.function.name)).toEqual([
      'search_logs',
      'query_metrics',
      'get_events',
      'get_host',
      'host_metrics',
      'scope_metrics',
      'get_monitor',
      'similar_incidents',
      'service_dependencies',
      'span_aggregates',
      'submit_report',
    ]);
    expect(request.tools[0]).toMatchObject({
      type: 'function',
      function: { parameters: { type: 'object', properties: { query: { type: 'string' } } } },
    });
    expect(request.tools.at(-1).function.parameters.properties.category.enum).toContain('deployment');
    expect(request.tools.at(-1).function.parameters.required).toContain('hypotheses');
    // Stored as the Claude analyst stores it.
    expect((await rows(rcaId))[2]!.content).toEqual([
      { type: 'text', text: 'Checking the error logs.' },
      { type: 'tool_use', id: 'ollama_1_0', name: 'search_logs', input: query },
    ]);

    const tool = await activities.analysisTool(rcaId, first.toolCalls[0]!);
    expect(tool.ok).toBe(true);

    const second = await activities.analysisTurn(rcaId, 2);
    expect(second).toMatchObject({ report: REPORT, toolCalls: [{ id: 'ollama_2_0', name: 'submit_report' }] });
    const sent = sim.chatRequests[1].messages;
    expect(sent.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(sent[2]).toEqual({
      role: 'assistant',
      content: 'Checking the error logs.',
      tool_calls: [{ function: { name: 'search_logs', arguments: query } }],
    });
    expect(sent[3]).toMatchObject({
      role: 'tool',
      tool_name: 'search_logs',
      content: expect.stringMatching(/^<untrusted_data kind="search_logs"/),
    });
    expect(await activities.analysisTool(rcaId, second.toolCalls[0]!)).toMatchObject({ ok: true });
    expect((await rows(rcaId)).map((r) => r.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('offers only submit_report on the last turn', async () => {
    const rcaId = await newRca('qwen2.5:7b');
    sim.chatModels.add('qwen2.5:7b');
    const activities = createLlmActivities({ ...deps, anthropic: { ...deps.anthropic, maxTurns: 1 } });
    sim.scriptChat({ tool_calls: [{ function: { name: 'submit_report', arguments: REPORT } }] });
    expect(await activities.analysisTurn(rcaId, 1)).toMatchObject({ final: true, report: REPORT });
    const body = sim.chatRequests[0];
    expect(body.model).toBe('qwen2.5:7b');
    expect(body.tools.map((t: any) => t.function.name)).toEqual(['submit_report']);
    expect(body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringMatching(/last turn/) });
  });

  it('fails for good, naming `ollama pull`, when the model is missing', async () => {
    const rcaId = await newRca('mistral-nemo');
    const activities = createLlmActivities(deps);
    const err = await activities.analysisTurn(rcaId, 1).catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(err.message).toContain('run `ollama pull mistral-nemo`');
    expect((await rows(rcaId)).map((r) => r.role)).toEqual(['system', 'user']);
  });

  it('retries when Ollama fails with a 5xx or cannot be reached', async () => {
    const rcaId = await newRca();
    sim.failNext(503, 'server busy');
    const busy = await createLlmActivities(deps)
      .analysisTurn(rcaId, 1)
      .catch((e) => e);
    expect(busy).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    const gone = await createLlmActivities({ ...deps, ollama: { url: 'http://127.0.0.1:9', model: 'llama3.1' } })
      .analysisTurn(rcaId, 1)
      .catch((e) => e);
    expect(gone).toBeInstanceOf(ApplicationFailure);
    expect(gone).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(gone.message).toMatch(/unreachable/);
  });

  it('reads the chat model from OLLAMA_CHAT_MODEL', () => {
    expect(loadConfig({}).OLLAMA_CHAT_MODEL).toBe('llama3.1');
    expect(loadConfig({ OLLAMA_CHAT_MODEL: 'qwen2.5:14b' }).OLLAMA_CHAT_MODEL).toBe('qwen2.5:14b');
  });
});
