import { StoredRowError } from '../../src/db/rows';
import { EventStore } from '../../src/events/store';
import { DeliveryStore } from '../../src/github/delivery-store';
import { RcaStore } from '../../src/rca/store';
import { createTestApi, createTestDatabase, postJson, type TestApi } from '../support/harness';

describe('stores read rows through their schemas', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let events: EventStore;
  let deliveries: DeliveryStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
    events = new EventStore(database.db);
    deliveries = new DeliveryStore(database.db);
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  const storeEvent = async (dedupKey: string) =>
    (await events.insert(
      {
        dedupKey,
        account: 'default',
        source: 'datadog',
        monitorId: '77',
        status: 'Alert',
        scope: '*',
        payload: { alert_title: 'x' },
        workflowId: 'incident/default/77/*',
      },
      1,
    ))!;

  it('reads a stored event with its columns typed (dates as dates, ids as text)', async () => {
    const stored = await storeEvent('rows:typed');
    const found = await events.find(stored.id);
    expect(found).toEqual(stored);
    expect(found!.received_at).toBeInstanceOf(Date);
    expect(found!.id).toMatch(/^\d+$/);
  });

  it('refuses an event row written past the store, naming the table and the field, and the API answers 500 without it', async () => {
    const stored = await storeEvent('rows:bad-status');
    await database.db.query(`UPDATE webhook_events SET alert_status = 'Exploded' WHERE id = $1`, [stored.id]);
    const read = events.find(stored.id);
    await expect(read).rejects.toThrow(StoredRowError);
    await expect(events.find(stored.id)).rejects.toThrow(/webhook_events row .*alert_status/);
    const res = await api.app.request(`/v1/webhooks/events/${stored.id}`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('Exploded');
  });

  it('refuses an RCA whose stored report is not a JSON object', async () => {
    const event = await storeEvent('rows:rca');
    const rcas = new RcaStore(database.db);
    const rcaId = `rca/${event.id}`;
    await rcas.start(rcaId, event.id, 'default');
    await database.db.query(`INSERT INTO rca_reports (rca_id, event_id, report) VALUES ($1, $2, '"a report"')`, [rcaId, event.id]);
    await expect(rcas.find(rcaId)).rejects.toThrow(/rca_runs row .*report: must be a JSON object/);
  });

  it('refuses a delivery row whose payload is not an object', async () => {
    const stored = (await deliveries.insert(
      {
        deliveryId: 'rows-bad-payload',
        event: 'ping',
        action: null,
        repository: null,
        issueNumber: null,
        issueTitle: null,
        issueUrl: null,
        sender: null,
        payload: {},
        start: { skipReason: 'ping' },
      },
      1,
    ))!;
    await database.db.query(`UPDATE github_issue_events SET payload = '[1]' WHERE id = $1`, [stored.id]);
    await expect(deliveries.find(stored.id)).rejects.toThrow(/github_issue_events row .*payload/);
  });

  it('refuses an account whose stored group_rules are not JSON rules, and the API answers 500 without its keys', async () => {
    const created = await postJson(api.app, '/v1/accounts', {
      name: 'rows-bad-rules',
      base_url: 'https://api.datadoghq.com',
      api_key: 'rows-api-key',
      app_key: 'rows-app-key',
    });
    expect(created.status).toBe(201);
    await database.db.query(`UPDATE accounts SET group_rules = '"every alert"' WHERE name = 'rows-bad-rules'`);
    const res = await api.app.request('/v1/accounts/rows-bad-rules');
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain('rows-api-key');
    expect(body).not.toContain('every alert');
  });
});
