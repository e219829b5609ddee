import crypto from 'node:crypto';
import { type Receiver, startReceiver } from '../../src/demo/receiver';
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

describe('an incident group on Slack', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let slack: Receiver;

  beforeAll(async () => {
    database = await createTestDatabase();
    slack = await startReceiver();
    // No re-analysis interval: a member with a new host re-analyses the group at once.
    api = createTestApi(
      database.url,
      testConfig({ RAYNE_GROUP_WAIT_S: '2', RAYNE_GROUP_REANALYSIS_INTERVAL_S: '0', RAYNE_PUBLIC_URL: 'https://rayne.example' }),
    );
    worker = await startTestWorker(database.db, api.config);
    const configured = await postJson(api.app, '/v1/webhooks/config', { slack: { webhook_url: `${slack.url}/services/T0/B0/group` } });
    expect(configured.status).toBe(200);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await slack.close();
    await database.drop();
  });

  const run = crypto.randomBytes(3).toString('hex');
  let monitor = crypto.randomInt(1_000_000, 9_000_000);
  const post = async (alert: Record<string, unknown>) => {
    const res = await postJson(api.app, '/v1/webhooks/receive', { alert_status: 'Alert', transition_id: crypto.randomUUID(), ...alert });
    expect(res.status).toBe(202);
    return ((await res.json()) as { event_id: string }).event_id;
  };
  const processed = (eventIds: string[]) =>
    eventually(async () => (await Promise.all(eventIds.map((id) => eventStatus(database.db, id)))).every((s) => s === 'processed'), 60_000);
  const rcasDone = (groupId: string, n: number) =>
    eventually(async () => {
      const { rows } = await database.db.query(
        `SELECT r.id FROM incident_group_rcas g JOIN rca_runs r ON r.id = g.rca_id WHERE g.group_id = $1 AND r.phase = 'done'`,
        [groupId],
      );
      return rows.length === n;
    }, 90_000);
  const messages = () => slack.requests.map((r) => JSON.parse(r.body) as { text: string });
  const groupMessages = (service: string) =>
    messages()
      .map((m) => m.text)
      .filter((t) => t.includes(`one incident: ${service}`) || t.includes(`grouped alerts on ${service}`));

  it('posts one report for N members across a re-analysis and one resolution, beside each member’s own tier-1 post', async () => {
    const host = `slack-${run}`;
    const service = `checkout-${run}`;
    const alerts = Array.from({ length: 4 }, () => ({ monitor_id: monitor++, hostname: host, service }));
    const eventIds = await Promise.all(alerts.map(post));
    await processed(eventIds);
    const groupId = await eventually(async () => {
      const { rows } = await database.db.query('SELECT DISTINCT group_id FROM incident_group_members WHERE event_id = ANY($1::bigint[])', [
        eventIds,
      ]);
      return rows.length === 1 && (rows[0].group_id as string);
    }, 60_000);
    await rcasDone(groupId, 1);
    expect(groupMessages(service)).toEqual([`:red_circle: 4 alerts, one incident: ${service}`]);
    expect(slack.requests.some((r) => r.body.includes(`https://rayne.example/groups/${groupId}`))).toBe(true);
    // Tier-1 stays per alert, as users configured it: each member posted its own alert message.
    const { rows: memberRuns } = await database.db.query(
      "SELECT DISTINCT event_id FROM processor_runs WHERE event_id = ANY($1::bigint[]) AND processor = 'slack'",
      [eventIds],
    );
    expect(memberRuns).toHaveLength(4);

    // A member on a new host re-analyses the group; the second RCA finds the report posted.
    const late = { monitor_id: monitor++, hostname: `${host}-b`, service };
    const lateId = await post(late);
    await processed([lateId]);
    await rcasDone(groupId, 2);
    expect(groupMessages(service)).toHaveLength(1);

    await Promise.all([...alerts, late].map((a) => post({ ...a, alert_status: 'OK' })));
    const final = await api.runtime.temporal.workflow.getHandle(`group/${groupId}`).result();
    expect(final.resolved).toBe(true);
    await eventually(async () => groupMessages(service).length === 2, 30_000);
    expect(groupMessages(service)).toEqual([
      `:red_circle: 4 alerts, one incident: ${service}`,
      `:large_green_circle: Resolved: 5 grouped alerts on ${service}`,
    ]);
  }, 240_000);
});
