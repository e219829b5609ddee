import crypto from 'node:crypto';
import fc from 'fast-check';
import {
  createTestApi,
  createTestDatabase,
  eventually,
  postJson,
  startTestWorker,
  type TestApi,
  terminateWorkflowsOf,
  testConfig,
} from '../support/harness';
import { hostilePagerDutyEvent, hostilePrometheusDelivery } from '../support/hostile-alert-sources';
import { hostileDatadogAlert } from '../support/hostile-datadog';

// Bounded and repeatable: a fixed seed and run count (RAYNE_FUZZ_RUNS raises it for a longer hunt).
const FUZZ = { seed: 13, numRuns: Number(process.env.RAYNE_FUZZ_RUNS ?? 150) };
const FINAL_STATES = ['processed', 'rejected', 'dead_letter'];
const PD_SECRET = 'fuzz-pagerduty-secret';

/** The event ids a 2xx answer names: one event, or one per alert of a delivery. */
const eventIdsOf = (body: { event_id?: string; events?: Array<{ event_id: string }> }) =>
  body.events ? body.events.map((e) => e.event_id) : body.event_id ? [body.event_id] : [];

/** A PagerDuty delivery as PagerDuty sends it: signed over the exact bytes, with a webhook id. */
const pagerDutyRequest = (payload: unknown, webhookId: string) => {
  const body = JSON.stringify(payload);
  const signature = `v1=${crypto.createHmac('sha256', PD_SECRET).update(body).digest('hex')}`;
  return { body, headers: { 'x-webhook-id': webhookId, 'x-pagerduty-signature': signature } };
};

type Delivery = { url: string; body: unknown; headers?: Record<string, string> };

describe('alert webhooks under hostile input', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ PAGERDUTY_WEBHOOK_SECRET: PD_SECRET }));
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

  /**
   * Sends each generated delivery, and sometimes again: never a 5xx, a redelivery of a stored one
   * names the same events, one of a refused one is refused alike. Returns the event ids 2xx answers named.
   */
  async function fuzz(deliveries: fc.Arbitrary<Delivery>): Promise<Set<string>> {
    const accepted = new Set<string>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(deliveries, fc.boolean(), async ({ url, body, headers }, redeliver) => {
        const first = await postJson(api.app, url, body, headers);
        const ids = eventIdsOf((await first.json()) as Parameters<typeof eventIdsOf>[0]);
        sent += 1;
        expect(first.status).toBeLessThan(500);
        if (first.status < 300) ids.forEach((id) => accepted.add(id));
        if (!redeliver) return;
        const again = await postJson(api.app, url, body, headers);
        sent += 1;
        expect(again.status).toBe(first.status === 202 ? 200 : first.status);
        if (first.status < 300) expect(eventIdsOf((await again.json()) as Parameters<typeof eventIdsOf>[0])).toEqual(ids);
      }),
      FUZZ,
    );
    expect(sent).toBeGreaterThanOrEqual(FUZZ.numRuns);
    expect(accepted.size).toBeGreaterThan(FUZZ.numRuns / 10); // the generator must reach the stored path, not only 4xx
    return accepted;
  }

  /** Nothing half-written: every stored row of the sources is one a 2xx named, once; each reaches a final state. */
  async function expectStoredExactly(sources: string[], accepted: Set<string>): Promise<void> {
    const { rows } = await database.db.query<{ id: string }>('SELECT id::text FROM webhook_events WHERE source = ANY($1)', [sources]);
    expect(rows.map((r) => r.id).sort()).toEqual([...accepted].sort());
    await eventually(async () => {
      const { rows: open } = await database.db.query('SELECT id FROM webhook_events WHERE source = ANY($1) AND NOT (status = ANY($2))', [
        sources,
        FINAL_STATES,
      ]);
      return open.length === 0;
    }, 90_000);
  }

  it('Datadog: never answers 5xx, stores each accepted delivery once, and every stored event reaches a final state', async () => {
    await expectStoredExactly(['datadog'], await fuzz(hostileDatadogAlert.map((body) => ({ url: '/v1/webhooks/receive', body }))));
  });

  it('Alertmanager and Grafana: the same, for every alert of a delivery', async () => {
    const route = fc.constantFrom('/v1/webhooks/alertmanager', '/v1/webhooks/grafana');
    const accepted = await fuzz(fc.tuple(route, hostilePrometheusDelivery).map(([url, body]) => ({ url, body })));
    // Either path takes either payload (version tells them apart), so the two sources are checked together.
    await expectStoredExactly(['alertmanager', 'grafana'], accepted);
  });

  it('PagerDuty: the same, for signed deliveries', async () => {
    const webhookId = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/));
    const deliveries = fc
      .tuple(hostilePagerDutyEvent, webhookId)
      .map(([payload, id]) => ({ url: '/v1/webhooks/pagerduty', ...pagerDutyRequest(payload, id) }));
    await expectStoredExactly(['pagerduty'], await fuzz(deliveries));
  });
});
