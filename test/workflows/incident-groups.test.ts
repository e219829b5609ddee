import crypto from 'node:crypto';
import {
  type GroupMember,
  type GroupSettings,
  groupStateQuery,
  type GroupWorkflowInput,
  memberJoinedSignal,
} from '../../src/contracts/group';
import { RayneGroupId } from '../../src/contracts/search-attributes';
import type { groupWorkflow } from '../../src/workflows';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

// Long enough for a storm posted at once to have joined before the first RCA starts.
const GROUP_WAIT_S = '3';

describe('incident groups', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_GROUP_WAIT_S: GROUP_WAIT_S }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  // Monitors and hosts of this run's own: every test file shares one Temporal server.
  const run = crypto.randomBytes(3).toString('hex');
  const firstMonitor = crypto.randomInt(1_000_000, 9_000_000);
  const post = async (alert: Record<string, unknown>) => {
    const res = await postJson(api.app, '/v1/webhooks/receive', { alert_status: 'Alert', ...alert });
    expect(res.status).toBe(202);
    return (await res.json()) as { event_id: string; workflow_id: string };
  };
  const rcaRuns = async (eventIds: string[]) =>
    (
      await database.db.query<{ id: string }>('SELECT id FROM rca_runs WHERE event_id = ANY($1::bigint[]) ORDER BY id', [eventIds])
    ).rows.map((r) => r.id);
  const groupsOf = async (eventIds: string[]) =>
    (
      await database.db.query<{ group_id: string; n: number }>(
        'SELECT group_id, count(*)::int AS n FROM incident_group_members WHERE event_id = ANY($1::bigint[]) GROUP BY group_id ORDER BY n DESC',
        [eventIds],
      )
    ).rows;

  it('investigates 20 alerts from one host on different monitors as one group with one RCA, and resolves it when all recover', async () => {
    const host = `storm-${run}`;
    const alerts = Array.from({ length: 20 }, (_, i) => ({ monitor_id: firstMonitor + i, hostname: host, transition_id: `storm-${i}` }));
    const accepted = await Promise.all(alerts.map(post));
    const eventIds = accepted.map((a) => a.event_id);

    const groups = await eventually(async () => {
      const found = await groupsOf(eventIds);
      return found.length === 1 && found[0]!.n === 20 && found;
    }, 60_000);
    const groupId = groups[0]!.group_id;
    const [rcaId] = await eventually(async () => {
      const runs = await rcaRuns(eventIds);
      return runs.length > 0 && runs;
    }, 60_000);
    const handle = api.runtime.temporal.workflow.getHandle(`group/${groupId}`);
    const state = await handle.query(groupStateQuery);
    expect(state.members).toHaveLength(20);
    expect(state.rcaIds).toEqual([rcaId]);
    expect((await handle.describe()).typedSearchAttributes.get(RayneGroupId)).toBe(groupId);
    // The RCA sees the whole group as evidence.
    const evidence = await eventually(async () => {
      const { rows } = await database.db.query('SELECT bundle FROM rca_evidence WHERE rca_id = $1', [rcaId]);
      return rows[0]?.bundle.group;
    }, 60_000);
    expect(evidence).toMatchObject({ groupId, memberCount: 20, hosts: [host] });

    // The API lists it, with its members and its one RCA.
    const listed = await api.app.request(`/v1/groups?status=open`);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { groups: unknown[] }).groups).toEqual([
      expect.objectContaining({ id: groupId, member_count: 20, hosts: [host], rca_ids: [rcaId] }),
    ]);

    await Promise.all(alerts.map((a) => post({ ...a, alert_status: 'OK', transition_id: `${a.transition_id}-ok` })));
    const final = await handle.result();
    expect(final.resolved).toBe(true);
    expect(final.rcaIds).toEqual([rcaId]);
    expect(await rcaRuns(eventIds)).toEqual([rcaId]);
    const shown = await api.app.request(`/v1/groups/${groupId}`);
    expect(await shown.json()).toMatchObject({
      status: 'resolved',
      members: expect.arrayContaining([expect.objectContaining({ recovered: true })]),
    });
  }, 180_000);

  it('never merges two unrelated alerts: two groups, one RCA each', async () => {
    const accepted = await Promise.all([
      post({ monitor_id: firstMonitor + 100, hostname: `db-${run}`, tags: [`service:db-${run}`], transition_id: 'a' }),
      post({ monitor_id: firstMonitor + 101, hostname: `web-${run}`, tags: [`service:web-${run}`], transition_id: 'b' }),
    ]);
    const eventIds = accepted.map((a) => a.event_id);
    const groups = await eventually(async () => {
      const found = await groupsOf(eventIds);
      return found.length === 2 && found;
    }, 60_000);
    expect(groups.map((g) => g.n)).toEqual([1, 1]);
    expect(await eventually(async () => ((await rcaRuns(eventIds)).length === 2 ? rcaRuns(eventIds) : undefined), 60_000)).toEqual(
      eventIds.map((id) => `rca/${id}`).sort(),
    );
  }, 120_000);

  it("starts a new group when a monitor alerts again after its incident closed, not the old group's", async () => {
    const alert = { monitor_id: firstMonitor + 200, hostname: `again-${run}`, transition_id: 'again-1' };
    const first = await post(alert);
    const [firstGroup] = await eventually(async () => {
      const found = await groupsOf([first.event_id]);
      return found.length === 1 && found;
    }, 60_000);
    await post({ ...alert, alert_status: 'OK', transition_id: 'again-1-ok' });
    await api.runtime.temporal.workflow.getHandle(`group/${firstGroup!.group_id}`).result();
    await api.runtime.temporal.workflow.getHandle(first.workflow_id).result();

    // The same workflow id again: a new execution of it, whose episode 1 is not the old one.
    const second = await post({ ...alert, transition_id: 'again-2' });
    expect(second.workflow_id).toBe(first.workflow_id);
    const [secondGroup] = await eventually(async () => {
      const found = await groupsOf([second.event_id]);
      return found.length === 1 && found;
    }, 60_000);
    expect(secondGroup!.group_id).not.toBe(firstGroup!.group_id);
    // The API shows each incident's events in its own group.
    const groupShown = async (eventId: string) =>
      ((await (await api.app.request(`/v1/webhooks/events/${eventId}`)).json()) as { group_id: string | null }).group_id;
    expect(await groupShown(first.event_id)).toBe(firstGroup!.group_id);
    expect(await groupShown(second.event_id)).toBe(secondGroup!.group_id);
    expect(
      await eventually(async () => ((await rcaRuns([second.event_id])).length === 1 ? rcaRuns([second.event_id]) : undefined), 60_000),
    ).toEqual([`rca/${second.event_id}`]);
  }, 120_000);

  it('merges two groups when an alert links them, and both workflows end once every member recovered', async () => {
    const first = await post({
      monitor_id: firstMonitor + 200,
      hostname: `alpha-${run}`,
      tags: [`service:alpha-${run}`],
      transition_id: 'm1',
    });
    const second = await post({
      monitor_id: firstMonitor + 201,
      hostname: `beta-${run}`,
      tags: [`service:beta-${run}`],
      transition_id: 'm2',
    });
    const apart = await eventually(async () => {
      const found = await groupsOf([first.event_id, second.event_id]);
      return found.length === 2 && found;
    }, 60_000);
    // On alpha's host, about beta's service: one outage.
    const linking = await post({
      monitor_id: firstMonitor + 202,
      hostname: `alpha-${run}`,
      tags: [`service:beta-${run}`],
      transition_id: 'm3',
    });
    const eventIds = [first.event_id, second.event_id, linking.event_id];
    const [group] = await eventually(async () => {
      const found = await groupsOf(eventIds);
      return found.length === 1 && found[0]!.n === 3 && found;
    }, 60_000);
    const mergedId = apart.map((g) => g.group_id).find((id) => id !== group!.group_id)!;
    const shown = await api.app.request(`/v1/groups/${mergedId}`);
    expect(await shown.json()).toMatchObject({ status: 'merged', merged_into: group!.group_id, members: [] });
    const merged = api.runtime.temporal.workflow.getHandle(`group/${mergedId}`);
    expect((await merged.query(groupStateQuery)).mergedInto?.into.groupId).toBe(group!.group_id);
    const survivor = api.runtime.temporal.workflow.getHandle(`group/${group!.group_id}`);
    await eventually(async () => (await survivor.query(groupStateQuery)).members.length === 3, 60_000);

    // Recoveries reach the survivor through the merged group, which the second alert's incident still knows.
    await Promise.all(
      [firstMonitor + 200, firstMonitor + 201, firstMonitor + 202].map((monitor_id, i) =>
        post({
          monitor_id,
          hostname: `${i === 1 ? 'beta' : 'alpha'}-${run}`,
          tags: [`service:${i === 0 ? 'alpha' : 'beta'}-${run}`],
          alert_status: 'OK',
          transition_id: `m${i + 1}-ok`,
        }),
      ),
    );
    expect((await merged.result()).recovered).toHaveLength(1);
    const final = await survivor.result();
    expect(final.resolved).toBe(true);
    expect(final.recovered).toHaveLength(3);
    expect(await (await api.app.request(`/v1/groups/${group!.group_id}`)).json()).toMatchObject({ status: 'resolved', member_count: 3 });
  }, 180_000);

  it('keeps its members across continue-as-new', async () => {
    const groupId = crypto.randomBytes(8).toString('hex');
    // No RCA within the test: the wait is an hour.
    const settings: GroupSettings = { waitS: 3600, lifetimeS: 86_400, maxMembers: 500, reanalysisIntervalS: 300, maxRcas: 3 };
    const input: GroupWorkflowInput = { groupId, account: 'default', settings, continueAsNewAfter: 5 };
    const member = (n: number): GroupMember => ({
      memberKey: `incident/default/${n}/*#1`,
      eventId: String(n),
      account: 'default',
      monitorId: String(n),
      hostname: `can-${run}`,
      status: 'Alert',
      alertedAt: new Date().toISOString(),
    });
    const workflowId = `group/${groupId}`;
    const send = (n: number) =>
      api.runtime.temporal.workflow.signalWithStart<typeof groupWorkflow, [GroupMember]>('groupWorkflow', {
        workflowId,
        taskQueue: api.config.TEMPORAL_TASK_QUEUE,
        args: [input],
        signal: memberJoinedSignal,
        signalArgs: [member(n)],
      });
    const { signaledRunId: firstRun } = await send(1);
    for (let n = 2; n <= 8; n++) await send(n);
    await send(3); // a redelivered join: not a new member
    const handle = api.runtime.temporal.workflow.getHandle(workflowId);
    await eventually(async () => (await handle.describe()).runId !== firstRun);
    const state = await eventually(async () => {
      const s = await handle.query(groupStateQuery);
      return s.members.length === 8 && s;
    });
    expect(state.members.map((m) => m.eventId)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(state.rcaIds).toEqual([]);
    await handle.terminate('test over');
  });
});

describe('incident groups off (RAYNE_GROUP_WAIT_S=0)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_GROUP_WAIT_S: '0' }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  it('keeps one RCA per alert and forms no group', async () => {
    const host = `solo-${crypto.randomBytes(3).toString('hex')}`;
    const firstMonitor = crypto.randomInt(1_000_000, 9_000_000);
    const accepted = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const res = await postJson(api.app, '/v1/webhooks/receive', {
          monitor_id: firstMonitor + i,
          alert_status: 'Alert',
          hostname: host,
        });
        return (await res.json()) as { event_id: string };
      }),
    );
    const eventIds = accepted.map((a) => a.event_id);
    const runs = await eventually(async () => {
      const { rows } = await database.db.query<{ id: string }>('SELECT id FROM rca_runs WHERE event_id = ANY($1::bigint[]) ORDER BY id', [
        eventIds,
      ]);
      return rows.length === 3 && rows.map((r) => r.id);
    }, 60_000);
    expect(runs).toEqual(eventIds.map((id) => `rca/${id}`).sort());
    expect((await database.db.query('SELECT count(*)::int AS n FROM incident_groups')).rows[0].n).toBe(0);
  });
});
