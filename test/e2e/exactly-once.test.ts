import type { ChildProcess } from 'node:child_process';
import { createTestApi, createTestDatabase, eventStatus, eventually, postJson, type TestApi } from '../support/harness';
import { kill, startWorkerProcess } from '../support/worker-process';
import { type Receiver, startReceiver } from '../../src/demo/receiver';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';

describe('exactly once under a worker crash', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sinks: Receiver[];
  let worker: ChildProcess | undefined;
  let sandbox: DatadogSandbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
    sinks = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    sandbox = await startDatadogSandbox();
    const account = await postJson(api.app, '/v1/accounts', { name: 'default', base_url: sandbox.url, api_key: 'k', app_key: 'a' });
    expect(account.status).toBe(201);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) await kill(worker);
    await api.close();
    await Promise.all([...sinks, sandbox].map((s) => s.close()));
    await database.drop();
  });

  it('sends one notification, forward, Slack message and downtime per transition when the worker dies mid-send', async () => {
    const [notify, forward, slack] = sinks as [Receiver, Receiver, Receiver];
    const configured = await postJson(api.app, '/v1/webhooks/config', {
      notify: { urls: [notify.url], timeout_ms: 2000 },
      forward: { urls: [forward.url], timeout_ms: 2000 },
      slack: { webhook_url: `${slack.url}/services/T/B/Z`, timeout_ms: 2000 },
      downtime: { enabled: true, statuses: ['Alert', 'OK'], timeout_ms: 2000 },
    });
    expect(configured.status).toBe(200);
    // Each receiver holds its answer, so the worker dies after the request arrived and before the activity completed.
    for (const s of sinks) s.holdMs = 1500;
    sandbox.holdNext({ method: 'POST', path: '/api/v2/downtime' }, 1500);

    worker = await startWorkerProcess(api.config, database.url);
    const alert = { monitor_id: 9100, alert_status: 'Alert', monitor_name: 'Queue depth', hostname: 'mq-01', transition_id: 'crash-1' };
    const first = (await (await postJson(api.app, '/v1/webhooks/receive', alert)).json()) as { event_id: string };
    await eventually(async () => sinks.every((s) => s.requests.length === 1) && sandbox.data.downtimes.size === 1, 30_000);
    await kill(worker);

    for (const s of sinks) s.holdMs = 0;
    worker = await startWorkerProcess(api.config, database.url);
    await eventually(async () => (await eventStatus(database.db, first.event_id)) === 'processed', 60_000);
    expect(sinks.map((s) => s.requests.length)).toEqual([1, 1, 1]);
    const runs = (
      await database.db.query('SELECT processor, status, attempts FROM processor_runs WHERE event_id = $1 ORDER BY processor', [
        first.event_id,
      ])
    ).rows;
    expect(sandbox.data.downtimes.size).toBe(1); // found again by its event marker, not created twice
    expect(runs).toEqual([
      { processor: 'downtime', status: 'succeeded', attempts: 2 },
      { processor: 'forward', status: 'in_doubt', attempts: 2 },
      { processor: 'notify', status: 'in_doubt', attempts: 2 },
      { processor: 'slack', status: 'in_doubt', attempts: 2 },
    ]);

    const recovery = (await (
      await postJson(api.app, '/v1/webhooks/receive', { ...alert, alert_status: 'OK', transition_id: 'crash-2' })
    ).json()) as { event_id: string };
    await eventually(async () => (await eventStatus(database.db, recovery.event_id)) === 'processed', 30_000);
    expect(sinks.map((s) => s.requests.length)).toEqual([2, 2, 2]);
    expect(sandbox.data.downtimes.size).toBe(2);
  });
});
