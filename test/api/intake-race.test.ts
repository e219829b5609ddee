import {
  createTestApi,
  createTestDatabase,
  postJson,
  startTestWorker,
  testConfig,
  type TestApi,
  terminateWorkflowsOf,
} from '../support/harness';
import { deliver, issuePayload, newDeliveryId } from '../support/github-deliveries';

const SECRET = 'gh-race-secret';
const COPIES = 50;

/** How many times a workflow's history records a signal: one per delivery that started or signalled it. */
async function signalsIn(api: TestApi, workflowId: string): Promise<number> {
  const history = await api.runtime.temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

describe('identical deliveries sent at once', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: { stop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ GITHUB_WEBHOOK_SECRET: SECRET }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM github_issue_events WHERE status = 'started'");
    await worker.stop();
    await api.close();
    await database.drop();
  });

  it('start the incident once: one answer says new, every other copy says duplicate with the same ids', async () => {
    const alert = { monitor_id: 5150, alert_status: 'Alert', hostname: 'race-01', transition_id: 'race-1', alert_title: 'race' };
    const answers = await Promise.all(
      Array.from({ length: COPIES }, async () => {
        const res = await postJson(api.app, '/v1/webhooks/receive', alert);
        return { status: res.status, body: (await res.json()) as { event_id: string; workflow_id: string; duplicate: boolean } };
      }),
    );
    expect(answers.filter((a) => !a.body.duplicate).map((a) => a.status)).toEqual([202]);
    expect(answers.filter((a) => a.body.duplicate).every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.event_id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.workflow_id)).size).toBe(1);
    const {
      rows: [row],
    } = await database.db.query('SELECT start_attempts, status FROM webhook_events WHERE id = $1', [answers[0]!.body.event_id]);
    expect(row).toEqual({ start_attempts: 1, status: expect.stringMatching(/^(started|processed)$/) });
    expect(await signalsIn(api, answers[0]!.body.workflow_id)).toBe(1);
  });

  it('start a GitHub triage once for one delivery sent many times at once', async () => {
    const deliveryId = newDeliveryId();
    const payload = issuePayload('opened', { repository: 'acme/race', number: 7, title: 'Checkout fails' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await deliver(api, 'issues', payload, { secret: SECRET, deliveryId });
        return { status: res.status, body: (await res.json()) as { event_id: string; duplicate: boolean } };
      }),
    );
    expect(answers.filter((a) => !a.body.duplicate).map((a) => a.status)).toEqual([202]);
    expect(new Set(answers.map((a) => a.body.event_id)).size).toBe(1);
    const {
      rows: [row],
    } = await database.db.query('SELECT start_attempts FROM github_issue_events WHERE delivery_id = $1', [deliveryId]);
    expect(row.start_attempts).toBe(1);
  });
});
