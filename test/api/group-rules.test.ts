import crypto from 'node:crypto';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

const auth = { authorization: 'Bearer tok' };

describe('grouping rules per account', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'tok', RAYNE_GROUP_WAIT_S: '2', RAYNE_GROUP_MAX_MEMBERS: '3' }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  // Hosts and monitors of this run's own: every test file shares one Temporal server.
  const run = crypto.randomBytes(3).toString('hex');
  let monitor = crypto.randomInt(1_000_000, 9_000_000);
  const createAccount = async (name: string, body: Record<string, unknown> = {}) =>
    postJson(api.app, '/v1/accounts', { name, base_url: 'https://api.datadoghq.com', ...body }, auth);
  const putRules = (name: string, rules: unknown) =>
    api.app.request(`/v1/accounts/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ group_rules: rules }),
    });
  const post = async (account: string, alert: Record<string, unknown>) => {
    const res = await postJson(
      api.app,
      `/v1/webhooks/receive/${account}`,
      { alert_status: 'Alert', monitor_id: monitor++, ...alert },
      auth,
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { event_id: string }).event_id;
  };
  const groupsOf = async (eventIds: string[]) =>
    (
      await database.db.query<{ group_key: string | null; members: string[] }>(
        `SELECT g.group_key, array_agg(m.event_id::text ORDER BY m.event_id) AS members
           FROM incident_group_members m JOIN incident_groups g ON g.id = m.group_id
          WHERE m.event_id = ANY($1::bigint[]) GROUP BY g.id ORDER BY count(*) DESC, g.group_key`,
        [eventIds],
      )
    ).rows;

  it.each([
    [{ name: 'a', group_by: ['cluster'], window_s: 5 }, 'group_rules.0.window_s'],
    [{ name: 'a', group_by: ['cluster name'], window_s: 60 }, 'group_rules.0.group_by.0'],
    [{ name: 'a', group_by: ['cluster', 'cluster'], window_s: 60 }, 'group_rules.0.group_by'],
    [{ name: 'a', group_by: ['cluster'], window_s: 60, when: { tags: [] } }, 'group_rules.0.when.tags'],
    [{ name: 'a', group_by: ['cluster'], window_s: 60, min_members: 0 }, 'group_rules.0.min_members'],
    [{ name: 'a', window_s: 60 }, 'group_rules.0.group_by'],
  ])('answers 400 naming the field of a bad rule %j (%s), and keeps the rules it had', async (rule, field) => {
    const name = `bad-${crypto.randomBytes(3).toString('hex')}`;
    const kept = [{ name: 'kept', group_by: ['env'], window_s: 60 }];
    expect((await createAccount(name, { group_rules: kept })).status).toBe(201);
    const res = await putRules(name, [rule]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: Array<{ field: string }> } };
    expect(body.error.details.map((d) => d.field)).toContain(field);
    const shown = (await (await api.app.request(`/v1/accounts/${name}`, { headers: auth })).json()) as { group_rules: unknown };
    expect(shown.group_rules).toEqual(kept);
  });

  it('names the second of two rules with one name', async () => {
    const res = await createAccount(`dup-${run}`, {
      group_rules: [
        { name: 'same', group_by: ['a'], window_s: 60 },
        { name: 'same', group_by: ['b'], window_s: 60 },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.details).toEqual([expect.objectContaining({ field: 'group_rules.1.name' })]);
    expect((await database.db.query('SELECT 1 FROM accounts WHERE name = $1', [`dup-${run}`])).rowCount).toBe(0);
  });

  it("groups alerts of different hosts and services that share the rule's label, and keeps another value apart", async () => {
    const account = `rules-${run}`;
    expect((await createAccount(account)).status).toBe(201);
    const rules = [{ name: 'by-cluster', group_by: ['cluster'], window_s: 600, min_members: 2 }];
    const saved = await putRules(account, rules);
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { group_rules: unknown }).group_rules).toEqual(rules);

    const east = `east-${run}`;
    const eventIds = await Promise.all([
      post(account, { hostname: `db-${run}`, service: `orders-db-${run}`, tags: [`cluster:${east}`] }),
      post(account, { hostname: `web-${run}`, service: `storefront-${run}`, tags: `env:prod,cluster:${east}` }),
      post(account, { hostname: `api-${run}`, service: `search-${run}`, tags: [`cluster:west-${run}`] }),
    ]);
    const groups = await eventually(async () => {
      const found = await groupsOf(eventIds);
      return found.flatMap((g) => g.members).length === 3 && found;
    }, 60_000);
    expect(groups).toEqual([
      { group_key: `by-cluster:cluster=${east}`, members: eventIds.slice(0, 2).sort((a, b) => Number(a) - Number(b)) },
      { group_key: `by-cluster:cluster=west-${run}`, members: [eventIds[2]] },
    ]);
    // The east group reached its min_members and runs one RCA over both alerts.
    const rcas = await eventually(async () => {
      const { rows } = await database.db.query('SELECT id FROM rca_runs WHERE event_id = ANY($1::bigint[])', [eventIds]);
      return rows.length > 0 && rows;
    }, 60_000);
    expect(rcas).toHaveLength(1);
  }, 120_000);

  it("starts a new group for an alert past the rule's window", async () => {
    const account = `window-${run}`;
    expect((await createAccount(account, { group_rules: [{ name: 'by-zone', group_by: ['zone'], window_s: 60 }] })).status).toBe(201);
    const first = await post(account, { hostname: `a-${run}`, tags: ['zone:z1'] });
    const { group_key } = await eventually(async () => (await groupsOf([first]))[0], 60_000);
    // The group was opened two minutes ago, as far as the join can tell.
    await database.db.query("UPDATE incident_groups SET opened_at = now() - interval '2 minutes' WHERE group_key = $1", [group_key]);
    const late = await post(account, { hostname: `b-${run}`, tags: ['zone:z1'] });
    const groups = await eventually(async () => {
      const found = await groupsOf([first, late]);
      return found.length === 2 && found;
    }, 60_000);
    expect(groups.map((g) => g.group_key)).toEqual(['by-zone:zone=z1', 'by-zone:zone=z1']);
  }, 120_000);

  it('caps a rule that matches everything at the maximum group size, then starts another group', async () => {
    const account = `all-${run}`;
    expect((await createAccount(account, { group_rules: [{ name: 'everything', group_by: [], window_s: 600 }] })).status).toBe(201);
    const eventIds: string[] = [];
    for (let i = 0; i < 4; i++) eventIds.push(await post(account, { hostname: `h${i}-${run}`, service: `s${i}-${run}` }));
    const groups = await eventually(async () => {
      const found = await groupsOf(eventIds);
      return found.reduce((n, g) => n + g.members.length, 0) === 4 && found;
    }, 60_000);
    expect(groups.map((g) => [g.group_key, g.members.length])).toEqual([
      ['everything:', 3],
      ['everything:', 1],
    ]);
  }, 120_000);
});
