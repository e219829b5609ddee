import fc from 'fast-check';
import {
  createTestApi,
  createTestDatabase,
  eventually,
  postJson,
  startTestWorker,
  type TestApi,
  terminateWorkflowsOf,
} from '../support/harness';
import { hostileDatadogAlert } from '../support/hostile-datadog';

// Bounded and repeatable: a fixed seed and run count (RAYNE_FUZZ_RUNS raises it for a longer hunt).
const FUZZ = { seed: 13, numRuns: Number(process.env.RAYNE_FUZZ_RUNS ?? 150) };
const FINAL_STATES = ['processed', 'rejected', 'dead_letter'];

describe('POST /v1/webhooks/receive under hostile input', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await terminateWorkflowsOf(
      database.db,
      api.runtime.temporal,
      "SELECT DISTINCT workflow_id FROM webhook_events WHERE status IN ('started', 'processed')",
    );
    await worker.stop();
    await api.close();
    await database.drop();
  });

  it('never answers 5xx, stores each accepted delivery once, and every stored event reaches a final state', async () => {
    const accepted = new Set<string>();
    let deliveries = 0;
    await fc.assert(
      fc.asyncProperty(hostileDatadogAlert, fc.boolean(), async (payload, redeliver) => {
        const first = await postJson(api.app, '/v1/webhooks/receive', payload);
        const body = (await first.json()) as { event_id?: string };
        deliveries += 1;
        expect(first.status).toBeLessThan(500);
        if (first.status < 300) accepted.add(body.event_id!);
        if (!redeliver) return;
        const again = await postJson(api.app, '/v1/webhooks/receive', payload);
        deliveries += 1;
        // A redelivery of a stored event names the same event; one of a refused delivery is refused alike.
        expect(again.status).toBe(first.status === 202 ? 200 : first.status);
        if (first.status < 300) expect(((await again.json()) as { event_id: string }).event_id).toBe(body.event_id);
      }),
      FUZZ,
    );

    expect(deliveries).toBeGreaterThanOrEqual(FUZZ.numRuns);
    expect(accepted.size).toBeGreaterThan(FUZZ.numRuns / 10); // the generator must reach the stored path, not only 4xx
    // Nothing half-written: every stored row is one a 2xx named, once.
    const { rows } = await database.db.query<{ id: string }>('SELECT id::text FROM webhook_events');
    expect(rows.map((r) => r.id).sort()).toEqual([...accepted].sort());
    await eventually(async () => {
      const { rows: open } = await database.db.query('SELECT id FROM webhook_events WHERE NOT (status = ANY($1))', [FINAL_STATES]);
      return open.length === 0;
    }, 90_000);
  });
});
