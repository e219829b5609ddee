import { createActivityDeps } from '../../src/runtime';
import { createLlmWorker } from '../../src/workers/worker';
import { type AnthropicSimulator, startAnthropicSimulator } from '../support/anthropic-simulator';
import { runRayne } from '../support/cli';
import { deliver, issuePayload } from '../support/github-deliveries';
import {
  createTestApi,
  createTestDatabase,
  eventually,
  startTestWorker,
  temporalAddress,
  testConfig,
  type TestApi,
} from '../support/harness';

jest.setTimeout(120_000);

/** Which task queue each activity type was scheduled on, from the run's history. */
async function scheduledQueues(api: TestApi, workflowId: string): Promise<Record<string, string>> {
  const history = await api.runtime.temporal.workflow.getHandle(workflowId).fetchHistory();
  return Object.fromEntries(
    (history.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [[a.activityType!.name!, a.taskQueue!.name!]] : [];
    }),
  );
}

describe('model turns on their own task queue (TEMPORAL_LLM_TASK_QUEUE)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let claude: AnthropicSimulator;
  let mainWorker: { stop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    claude = await startAnthropicSimulator();
    const queue = `llm-queue-${Date.now()}`;
    api = createTestApi(
      database.url,
      testConfig({
        TEMPORAL_TASK_QUEUE: queue,
        TEMPORAL_LLM_TASK_QUEUE: `${queue}-llm`,
        GITHUB_WEBHOOK_SECRET: 's',
        ANTHROPIC_API_KEY: 'sk-ant-test',
        ANTHROPIC_BASE_URL: claude.url,
      }),
    );
    mainWorker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await mainWorker.stop();
    await api.close();
    await claude.close();
    await database.drop();
  });

  it('waits for an LLM worker, which runs only the model activities, while everything else stays on the main queue', async () => {
    claude.script({
      content: [
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'submit_triage',
          input: {
            kind: 'question',
            summary: 'Asks how to export',
            diagnosis: 'A usage question',
            duplicates: [],
            affected_service: null,
            suggested_labels: ['question'],
            next_steps: ['Answer it'],
            confidence: 0.6,
          },
        },
      ],
    });
    const res = await deliver(api, 'issues', issuePayload('opened', { repository: 'acme/queues', number: 1, title: 'How do I export?' }), {
      secret: 's',
    });
    const { workflow_id: workflowId, event_id: eventId } = (await res.json()) as { workflow_id: string; event_id: string };
    // The main worker gathered the context and scheduled the first turn on the LLM queue, where nobody polls yet.
    await eventually(async () => (await scheduledQueues(api, workflowId)).triageTurn !== undefined);
    expect(claude.requests).toHaveLength(0);
    // The API shows the waiting run's live state.
    const shown = (await (await api.app.request(`/v1/webhooks/github/issues/${eventId}`)).json()) as {
      live: { phase: string; analyst: string };
    };
    expect(shown.live).toMatchObject({ phase: 'analyse', analyst: 'claude' });

    const llm = await createLlmWorker(
      { address: temporalAddress(), namespace: 'default', taskQueue: api.config.TEMPORAL_LLM_TASK_QUEUE!, maxConcurrentActivities: 2 },
      createActivityDeps(api.config, database.db),
    );
    const running = llm.worker.run();
    try {
      await eventually(
        async () =>
          (await database.db.query('SELECT status FROM github_triage WHERE id = $1', [workflowId])).rows[0]?.status === 'completed',
        60_000,
      );
    } finally {
      llm.worker.shutdown();
      await running;
      await llm.connection.close();
    }
    expect(claude.requests).toHaveLength(1);
    const queues = await scheduledQueues(api, workflowId);
    expect(queues.triageTurn).toBe(api.config.TEMPORAL_LLM_TASK_QUEUE);
    expect(queues.gatherTriageContext).toBe(api.config.TEMPORAL_TASK_QUEUE);
    expect(queues.postTriageComment).toBe(api.config.TEMPORAL_TASK_QUEUE);
  });

  it('refuses `rayne worker --queue llm` without the queue setting, saying what to set', async () => {
    const { code, stderr } = await runRayne(['worker', '--queue', 'llm'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(code).toBe(1);
    expect(stderr).toContain('TEMPORAL_LLM_TASK_QUEUE');
  });
});
