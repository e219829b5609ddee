import crypto from 'node:crypto';
import { stateQuery, type Transition, transitionSignal, transitionsQuery } from '../../src/contracts/incident';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, type TestApi } from '../support/harness';

// incidentWorkflow's CONTINUE_AS_NEW_AFTER and SEEN_IDS_KEPT.
const ROLLOVER = 500;
const SEEN_KEPT = 200;
// Signals sent at once: each batch arrives before the next is sent, so arrival order is known per batch.
const BATCH = 25;

describe('incidentWorkflow continue-as-new', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await database.drop();
  });

  it(`rolls over after ${ROLLOVER} transitions of an open incident, keeps its state and seen ids, and still completes on OK`, async () => {
    // A monitor of its own: the Temporal server, and so incident/{account}/{monitor}/{scope}, is shared by every test file.
    const monitorId = crypto.randomInt(1_000_000, 9_000_000);
    const alert = (status: string, n: number) => ({
      monitor_id: monitorId,
      alert_status: status,
      hostname: 'web-01',
      transition_id: `can-${n}`,
    });
    const accept = async (status: string, n: number) => {
      const res = await postJson(api.app, '/v1/webhooks/receive', alert(status, n));
      expect(res.status).toBe(202);
      return res.json() as Promise<{ event_id: string; workflow_id: string; run_id: string }>;
    };

    // Repeated Alerts keep the incident open; each is stored in webhook_events as the activities need.
    const accepted: Array<Awaited<ReturnType<typeof accept>>> = [];
    for (let n = 0; n < ROLLOVER; n += BATCH) {
      accepted.push(...(await Promise.all(Array.from({ length: BATCH }, (_, i) => accept('Alert', n + i)))));
    }
    const { workflow_id: workflowId, run_id: firstRunId } = accepted[0]!;
    // All went to the first run: it rolls over only once it has processed them all.
    expect(new Set(accepted.map((a) => a.run_id))).toEqual(new Set([firstRunId]));

    const temporal = api.runtime.temporal.workflow;
    // Two activities per transition, one after the other: about 50 s alone, more beside other suites.
    await eventually(async () => (await temporal.getHandle(workflowId, firstRunId).describe()).status.name === 'CONTINUED_AS_NEW', 180_000);
    const handle = temporal.getHandle(workflowId);
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    expect(await handle.query(stateQuery)).toMatchObject({
      open: true,
      status: 'Alert',
      episode: 1,
      transitionsSeen: ROLLOVER,
      rcaRequests: 1,
    });
    // The new run starts with an empty transition list: that is what keeps its history bounded.
    expect(await handle.query(transitionsQuery)).toEqual([]);

    // A redelivery, as the intake's retry sends it, of an event the first run processed. The run
    // passes on the last SEEN_KEPT ids it saw; this one arrived a batch after the oldest of those.
    const old = accepted[ROLLOVER - SEEN_KEPT + BATCH]!;
    const {
      rows: [row],
    } = await database.db.query('SELECT received_at FROM webhook_events WHERE id = $1', [old.event_id]);
    const redelivered: Transition = {
      eventId: old.event_id,
      status: 'Alert',
      receivedAt: row.received_at.toISOString(),
      monitorId: String(monitorId),
      hostname: 'web-01',
    };
    await handle.signal(transitionSignal, redelivered);

    const ok = await accept('OK', ROLLOVER);
    expect(ok.run_id).not.toBe(firstRunId);
    // Signals are handled in order: had the redelivery been taken, it would count before the OK.
    expect(await handle.result()).toMatchObject({
      open: false,
      status: 'OK',
      episode: 1,
      transitionsSeen: ROLLOVER + 1,
      lastEventId: ok.event_id,
    });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  }, 240_000);
});
