import { startJsonServer, type JsonServer } from '../support/json-server';
import { createTestApi, createTestDatabase, eventStatus, eventually, postJson, testConfig, type TestApi } from '../support/harness';
import { kill, startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Tokens a user put where URLs carry them: a query parameter and a Slack webhook's path.
const QUERY_TOKEN = 'PLANTEDquerySECRET7f3a';
const PATH_TOKEN = 'PLANTEDpathSECRET19c2';
// An account's own secrets: its Prometheus password, its Alertmanager bearer token, its PagerDuty signing secret.
const PROM_PASSWORD = 'PLANTEDpromSECRET5b81';
const HOOK_TOKEN = 'PLANTEDhookSECRET0d4e';
const PD_SECRET = 'PLANTEDpagerdutySECRET8a27';

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
    // Every target refuses every request (Prometheus' reads too), so each fails and its error is stored and logged.
    refusing = await startJsonServer((request) =>
      request.path.startsWith('/prometheus/')
        ? { status: 401, body: { status: 'error', error: 'unauthorized' } }
        : { status: 400, body: { error: 'no' } },
    );
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

  it("an account's Prometheus password and webhook secrets appear in no stored row, API answer, log line or RCA history after its Prometheus refuses", async () => {
    const account = {
      name: 'planted',
      prometheus: { url: `${refusing.url}/prometheus`, basic_auth: { username: 'rayne', password: PROM_PASSWORD } },
      webhook_auth: { bearer_token: HOOK_TOKEN },
      pagerduty_signing_secret: PD_SECRET,
    };
    const created = await postJson(api.app, '/v1/accounts', account);
    expect(created.status).toBe(201);
    const delivery = {
      version: '4',
      status: 'firing',
      receiver: 'rayne',
      groupKey: '{}:{alertname="Planted"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Planted', job: 'api', instance: 'web-1:8080' },
          annotations: { summary: 'planted' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0',
          fingerprint: 'feedc0de',
        },
      ],
    };
    const denied = await postJson(api.app, '/v1/webhooks/alertmanager/planted', delivery, { authorization: 'Bearer wrong' });
    expect(denied.status).toBe(401);
    const res = await postJson(api.app, '/v1/webhooks/alertmanager/planted', delivery, { authorization: `Bearer ${HOOK_TOKEN}` });
    expect(res.status).toBe(202);
    const eventId = ((await res.json()) as { events: Array<{ event_id: string }> }).events[0]!.event_id;
    const report = await eventually(
      async () => (await database.db.query('SELECT report FROM rca_reports WHERE event_id = $1', [eventId])).rows[0]?.report,
      90_000,
    );
    const { rows: runs } = await database.db.query('SELECT id FROM rca_runs WHERE event_id = $1', [eventId]);
    const rcaId = runs[0].id as string;
    const table = async (sql: string) => JSON.stringify((await database.db.query(sql, [rcaId])).rows);
    const places: Record<string, string> = {
      'rca_sources rows': await table('SELECT * FROM rca_sources WHERE rca_id = $1'),
      'the evidence bundle': await table('SELECT bundle FROM rca_evidence WHERE rca_id = $1'),
      'the investigation': await table('SELECT content FROM rca_investigation_messages WHERE rca_id = $1'),
      'the report': JSON.stringify(report),
      'the account as the API shows it': await (await api.app.request('/v1/accounts/planted')).text(),
      'the accounts list': await (await api.app.request('/v1/accounts')).text(),
      "the account's test": await (await postJson(api.app, '/v1/accounts/planted/test', {})).text(),
      'the refused delivery': await denied.text(),
      'the worker log': worker.output(),
      'the RCA workflow history': JSON.stringify(
        await api.runtime.temporal.workflow.getHandle(rcaId).fetchHistory(),
        (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value),
      ),
    };
    // The refusals were recorded where a person looks for them, with a reason.
    expect(places['rca_sources rows']).toContain('failed with 401');
    expect(places['the investigation']).toContain('failed with 401');
    const basic = Buffer.from(`rayne:${PROM_PASSWORD}`).toString('base64');
    for (const [place, text] of Object.entries(places)) {
      const leaks = [PROM_PASSWORD, HOOK_TOKEN, PD_SECRET, basic].filter((secret) => text.includes(secret));
      expect({ place, leaks }).toEqual({ place, leaks: [] });
    }
  }, 120_000);
});
