/**
 * A worker killed in the middle of an alert storm: the group it was building loses no member and
 * its one RCA is not started twice when another worker picks the storm up.
 */
import crypto from 'node:crypto';
import { groupStateQuery } from '../../src/contracts/group';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import type { groupWorkflow } from '../../src/workflows';
import { createTestApi, createTestDatabase, eventually, postJson, testConfig, type TestApi } from '../support/harness';
import { kill, startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const STORM_SIZE = 30;

describe('incident groups under a worker crash mid-storm', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A short group_wait, so the first RCA falls due while the storm is still arriving.
    api = createTestApi(database.url, testConfig({ RAYNE_GROUP_WAIT_S: '3' }));
    sandbox = await startDatadogSandbox();
    const account = await postJson(api.app, '/v1/accounts', { name: 'default', base_url: sandbox.url, api_key: 'k', app_key: 'a' });
    expect(account.status).toBe(201);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) await kill(worker);
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  it('puts every alert in one group with one RCA and one notebook when the worker dies mid-storm', async () => {
    // Monitors and a host of this run's own: every test file shares one Temporal server.
    const host = `storm-${crypto.randomBytes(3).toString('hex')}`;
    const firstMonitor = crypto.randomInt(1_000_000, 9_000_000);
    const alerts = Array.from({ length: STORM_SIZE }, (_, i) => ({
      monitor_id: firstMonitor + i,
      hostname: host,
      alert_status: 'Alert',
      transition_id: `storm-${i}`,
    }));
    const post = async (alert: Record<string, unknown>) => {
      const res = await postJson(api.app, '/v1/webhooks/receive', alert);
      expect(res.status).toBe(202);
      return ((await res.json()) as { event_id: string }).event_id;
    };
    const members = async (eventIds: string[]) =>
      (
        await database.db.query<{ group_id: string; n: number }>(
          'SELECT group_id, count(*)::int AS n FROM incident_group_members WHERE event_id = ANY($1::bigint[]) GROUP BY group_id',
          [eventIds],
        )
      ).rows;

    worker = await startWorkerProcess(api.config, database.url);
    const eventIds: string[] = [];
    for (const alert of alerts.slice(0, STORM_SIZE / 2)) eventIds.push(await post(alert));
    // The group exists and is taking members when its worker dies.
    await eventually(async () => (await members(eventIds)).length > 0, 30_000);
    await kill(worker);
    for (const alert of alerts.slice(STORM_SIZE / 2)) eventIds.push(await post(alert));
    worker = await startWorkerProcess(api.config, database.url);

    const [group] = await eventually(async () => {
      const found = await members(eventIds);
      return found.length === 1 && found[0]!.n === STORM_SIZE && found;
    }, 90_000);
    const groupId = group!.group_id;
    const handle = api.runtime.temporal.workflow.getHandle<typeof groupWorkflow>(`group/${groupId}`);
    const state = await eventually(async () => {
      const s = await handle.query(groupStateQuery);
      return s.members.length === STORM_SIZE && s.rcaIds.length > 0 && s;
    }, 60_000);
    const [rcaId] = state.rcaIds;
    expect(state.rcaIds).toEqual([`rca/${state.members[0]!.eventId}`]);
    // The first RCA finished: its notebook is published.
    await eventually(async () => {
      const { rows } = await database.db.query('SELECT notebook_id FROM rca_reports WHERE rca_id = $1', [rcaId]);
      return rows[0]?.notebook_id != null;
    }, 90_000);

    // Recovering every member resolves the group: it knows all thirty.
    for (const alert of alerts) await post({ ...alert, alert_status: 'OK', transition_id: `${alert.transition_id}-ok` });
    const final = await handle.result();
    expect(final.resolved).toBe(true);
    expect(new Set(final.members.map((m) => m.eventId))).toEqual(new Set(eventIds));
    expect(final.rcaIds).toEqual([rcaId]);

    // No second RCA: one run, one group RCA and one notebook, in Postgres, in Datadog and in Temporal.
    const rcaRuns = await database.db.query('SELECT id FROM rca_runs WHERE event_id = ANY($1::bigint[])', [eventIds]);
    expect(rcaRuns.rows).toEqual([{ id: rcaId }]);
    const groupRcas = await database.db.query('SELECT rca_id FROM incident_group_rcas WHERE group_id = $1', [groupId]);
    expect(groupRcas.rows).toEqual([{ rca_id: rcaId }]);
    expect(sandbox.data.notebooks.size).toBe(1);
    const { rows: groups } = await database.db.query('SELECT status, member_count FROM incident_groups WHERE id = $1', [groupId]);
    expect(groups).toEqual([{ status: 'resolved', member_count: STORM_SIZE }]);
    const started = await eventually(async () => {
      const ids: string[] = [];
      for await (const run of api.runtime.temporal.workflow.list({ query: `WorkflowType = 'rcaWorkflow' AND RayneGroupId = '${groupId}'` }))
        ids.push(run.workflowId);
      return ids.length > 0 && ids;
    }, 30_000);
    expect(started).toEqual([rcaId]);
  }, 300_000);
});
