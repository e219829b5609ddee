import crypto from 'node:crypto';
import { escapeHtml } from '../../src/console/html';
import {
  createTestApi,
  createTestDatabase,
  eventStatus,
  eventually,
  postJson,
  startTestWorker,
  testConfig,
  type TestApi,
} from '../support/harness';

describe('an incident group in the console', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_GROUP_WAIT_S: '2', TEMPORAL_UI_URL: 'http://ui.example' }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  const run = crypto.randomBytes(3).toString('hex');
  let monitor = crypto.randomInt(1_000_000, 9_000_000);
  const post = async (alert: Record<string, unknown>) => {
    const res = await postJson(api.app, '/v1/webhooks/receive', {
      alert_status: 'Alert',
      monitor_id: monitor++,
      transition_id: crypto.randomUUID(),
      ...alert,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { event_id: string }).event_id;
  };
  const pageOf = async (path: string) => {
    const res = await api.app.request(path);
    return { status: res.status, text: await res.text() };
  };

  it('links each alert of the list to its group, whose page shows the RCA, the members on a timeline and their service map', async () => {
    const host = `db-${run}`;
    const eventIds = await Promise.all([
      post({ hostname: host, service: `orders-${run}`, monitor_name: 'Orders errors' }),
      post({ hostname: host, service: `payments-${run}`, monitor_name: 'Payments latency' }),
      post({ hostname: host, monitor_name: 'Disk full' }),
    ]);
    await eventually(
      async () => (await Promise.all(eventIds.map((id) => eventStatus(database.db, id)))).every((s) => s === 'processed'),
      60_000,
    );
    const { rows } = await database.db.query('SELECT DISTINCT group_id FROM incident_group_members WHERE event_id = ANY($1::bigint[])', [
      eventIds,
    ]);
    expect(rows).toHaveLength(1);
    const groupId: string = rows[0].group_id;
    const rca = await eventually(async () => {
      const group = (await (await api.app.request(`/v1/groups/${groupId}`)).json()) as any;
      return group.rcas[0]?.root_cause && group.rcas[0];
    }, 90_000);

    const list = await pageOf('/');
    expect(list.status).toBe(200);
    const rowsOfList = list.text.split('data-testid="incident-row"').slice(1);
    for (const id of eventIds) {
      expect(rowsOfList.find((row) => row.includes(`>#${id}</a>`))).toContain(`<a href="groups/${groupId}" data-testid="group-link">`);
    }

    const page = await pageOf(`/groups/${groupId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`rca/${rca.rca_id.slice(4)}`);
    expect(page.text).toContain(escapeHtml(rca.root_cause));
    expect(page.text.match(/data-testid="group-member"/g)).toHaveLength(3);
    expect(page.text.match(/data-testid="timeline-member"/g)).toHaveLength(3);
    expect(page.text.match(/data-testid="timeline-rca"/g)).toHaveLength(1);
    // Two services on one host: both meet at it on the map.
    expect([...page.text.matchAll(/data-kind="(\w+)" data-name="([^"]+)"/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual([
      `service:orders-${run}`,
      `service:payments-${run}`,
      `host:${host}`,
    ]);
    expect(page.text.match(/data-testid="map-edge"/g)).toHaveLength(2);
    expect(page.text).toContain('http://ui.example/namespaces/default/workflows/group%2F');

    const missing = await pageOf('/groups/0000000000000000');
    expect(missing.status).toBe(404);
    expect((await pageOf('/groups/not-a-group')).status).toBe(400);
  }, 180_000);
});
