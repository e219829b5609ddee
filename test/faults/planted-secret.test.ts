import { startJsonServer, type JsonServer } from '../support/json-server';
import { createTestApi, createTestDatabase, eventStatus, eventually, postJson, testConfig, type TestApi } from '../support/harness';
import { kill, startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Tokens a user put where URLs carry them: a query parameter and a Slack webhook's path.
const QUERY_TOKEN = 'PLANTEDquerySECRET7f3a';
const PATH_TOKEN = 'PLANTEDpathSECRET19c2';

describe('a secret planted in processor URLs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: WorkerProcess;
  let refusing: JsonServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = testConfig();
    api = createTestApi(database.url, config);
    worker = await startWorkerProcess(config, database.url);
    // Both targets refuse every delivery, so each processor fails and its error is stored and logged.
    refusing = await startJsonServer(() => ({ status: 400, body: { error: 'no' } }));
  }, 120_000);
  afterAll(async () => {
    await kill(worker);
    await refusing.close();
    await api.close();
    await database.drop();
  });

  it('appears in no stored row, API answer, log line or workflow history after the processors fail', async () => {
    const configured = await postJson(api.app, '/v1/webhooks/config', {
      notify: { urls: [`${refusing.url}/hook?token=${QUERY_TOKEN}`] },
      slack: { webhook_url: `${refusing.url}/services/T000/B000/${PATH_TOKEN}` },
    });
    expect(configured.status).toBe(200);
    const res = await postJson(api.app, '/v1/webhooks/receive', { monitor_id: 9_700_001, alert_status: 'Alert', alert_id: 1 });
    expect(res.status).toBe(202);
    const { event_id: eventId, workflow_id: workflowId } = (await res.json()) as { event_id: string; workflow_id: string };
    await eventually(async () => (await eventStatus(database.db, eventId)) === 'processed', 30_000);
    const runs = await eventually(async () => {
      const { rows } = await database.db.query("SELECT * FROM processor_runs WHERE event_id = $1 AND status = 'failed'", [eventId]);
      return rows.length === 2 && rows;
    }, 30_000);

    const places: Record<string, string> = {
      'processor_runs rows': JSON.stringify(runs),
      'the event as the API shows it': await (await api.app.request(`/v1/webhooks/events/${eventId}`)).text(),
      'the settings as the API shows them': await (await api.app.request('/v1/webhooks/config')).text(),
      'the worker log': worker.output(),
      'the incident workflow history': JSON.stringify(
        await api.runtime.temporal.workflow.getHandle(workflowId).fetchHistory(),
        (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value),
      ),
    };
    // The failures were recorded where a person looks for them, with a reason.
    expect(places['processor_runs rows']).toContain('answered 400');
    expect(places['the incident workflow history']).toContain('answered 400');
    for (const [place, text] of Object.entries(places)) {
      expect({ place, leaks: text.includes(QUERY_TOKEN) || text.includes(PATH_TOKEN) }).toEqual({ place, leaks: false });
    }
  });
});
