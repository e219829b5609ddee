import crypto from 'node:crypto';
import { freePort } from '../../src/dev/free-port';
import { type Receiver, startReceiver } from '../../src/demo/receiver';
import { type JsonServer, startJsonServer } from '../support/json-server';
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
import { metricValue } from '../support/prometheus';

const SECRET = 'metrics-webhook-secret';
const AUTH = { 'x-rayne-token': SECRET };

// Monitor ids of this file's own: incident workflow ids are shared on the one Temporal server.
const alert = (monitorId: number, status: string, extra: Record<string, unknown> = {}) => ({
  monitor_id: monitorId,
  alert_status: status,
  monitor_name: 'Metrics test monitor',
  hostname: `metrics-host-${monitorId}`,
  scope: `host:metrics-host-${monitorId}`,
  transition_id: crypto.randomUUID(),
  ...extra,
});

describe('GET /metrics', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let notify: Receiver;
  let datadog: JsonServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    notify = await startReceiver();
    // A Datadog that refuses the keys: each source fails at once (a 403 is not retried), so failed attempts are counted.
    datadog = await startJsonServer(() => ({ status: 403, body: { errors: ['Forbidden'] } }));
    const config = testConfig({ RAYNE_WEBHOOK_SECRET: SECRET });
    worker = await startTestWorker(database.db, config);
    // As in `rayne dev`: the API serves the in-process worker's series too.
    api = createTestApi(database.url, config, undefined, [worker.metrics.registry]);
    expect(
      (await postJson(api.app, '/v1/accounts', { name: 'metrics', base_url: datadog.url, api_key: 'k', app_key: 'a', is_default: true }))
        .status,
    ).toBe(201);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await notify.close();
    await datadog.close();
    await database.drop();
  });

  const scrape = async (app = api.app) => {
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('counts webhooks received, duplicated and rejected by status, and the workflow starts', async () => {
    const before = await scrape();
    const first = alert(8810001, 'Warn');
    expect((await postJson(api.app, '/v1/webhooks/receive', first, AUTH)).status).toBe(202);
    expect((await postJson(api.app, '/v1/webhooks/receive', first, AUTH)).status).toBe(200);
    expect((await postJson(api.app, '/v1/webhooks/receive', alert(8810001, 'Alert'))).status).toBe(401);
    expect((await postJson(api.app, '/v1/webhooks/receive', { monitor_id: 'abc' }, AUTH)).status).toBe(400);
    expect((await postJson(api.app, '/v1/webhooks/receive/no-such-metrics-account', alert(8810001, 'Alert'), AUTH)).status).toBe(404);
    expect(
      (await postJson(api.app, '/v1/webhooks/receive', alert(8810001, 'Alert', { alert_message: 'x'.repeat(1024 * 1024 + 10) }), AUTH))
        .status,
    ).toBe(413);
    expect(
      (await api.app.request('/v1/webhooks/receive', { method: 'POST', headers: { 'content-type': 'text/plain', ...AUTH }, body: '{}' }))
        .status,
    ).toBe(415);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string> = {}) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('rayne_webhooks_received_total')).toBe(7);
    expect(delta('rayne_webhooks_duplicated_total')).toBe(1);
    expect(
      Object.fromEntries(['400', '401', '404', '413', '415'].map((status) => [status, delta('rayne_webhooks_rejected_total', { status })])),
    ).toEqual({ 400: 1, 401: 1, 404: 1, 413: 1, 415: 1 });
    expect(delta('rayne_workflows_started_total', { workflow_type: 'incidentWorkflow' })).toBe(1);
    // Process metrics come along.
    expect(after).toContain('process_cpu_user_seconds_total');
  });

  it('counts a 503 and the start Temporal did not accept', async () => {
    const down = createTestApi(database.url, testConfig({ RAYNE_TEMPORAL_TIMEOUT_MS: '1000' }), `127.0.0.1:${await freePort()}`);
    try {
      const before = await scrape(down.app);
      expect((await postJson(down.app, '/v1/webhooks/receive', alert(8810002, 'Alert'))).status).toBe(503);
      const after = await scrape(down.app);
      expect(
        metricValue(after, 'rayne_webhooks_rejected_total', { status: '503' }) -
          metricValue(before, 'rayne_webhooks_rejected_total', { status: '503' }),
      ).toBe(1);
      expect(metricValue(after, 'rayne_workflow_start_failures_total', { workflow_type: 'incidentWorkflow' })).toBe(1);
      expect(metricValue(after, 'rayne_workflows_started_total')).toBe(0);
    } finally {
      await down.close();
    }
  });

  it("serves the worker's series: workflow outcomes, activity latency, processor outcomes and RCA duration", async () => {
    expect((await postJson(api.app, '/v1/webhooks/config', { notify: { urls: [notify.url] } })).status).toBe(200);
    const before = await scrape();
    const sendAndWait = async (status: string) => {
      const res = await postJson(api.app, '/v1/webhooks/receive', alert(8810003, status), AUTH);
      expect(res.status).toBe(202);
      const { event_id: eventId } = (await res.json()) as { event_id: string };
      await eventually(async () => (await eventStatus(database.db, eventId)) === 'processed', 30_000);
    };
    await sendAndWait('Alert');
    await sendAndWait('OK');

    const closed = { workflow_type: 'incidentWorkflow', outcome: 'completed' };
    // The recovery completes the incident workflow; the Alert's RCA (offline, its Datadog refusing) completes on its own time.
    const after = await eventually(async () => {
      const text = await scrape();
      return (
        metricValue(text, 'rayne_workflows_closed_total', closed) > metricValue(before, 'rayne_workflows_closed_total', closed) &&
        metricValue(text, 'rayne_rca_duration_seconds_count', { outcome: 'completed' }) >
          metricValue(before, 'rayne_rca_duration_seconds_count', { outcome: 'completed' }) &&
        text
      );
    }, 45_000);
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('rayne_workflows_closed_total', closed)).toBe(1);
    expect(delta('rayne_workflows_closed_total', { workflow_type: 'rcaWorkflow', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(delta('rayne_processor_effects_total', { processor: 'notify', outcome: 'sent' })).toBe(2);
    expect(notify.requests).toHaveLength(2);
    expect(delta('rayne_activity_duration_seconds_count', { activity_type: 'recordTransition', outcome: 'completed' })).toBe(2);
    // Its Datadog refuses (403): the source activity fails, and the failure is measured.
    expect(delta('rayne_activity_duration_seconds_count', { activity_type: 'prefetchLogs', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(delta('rayne_activity_duration_seconds_sum', { activity_type: 'notifyProcessor', outcome: 'completed' })).toBeGreaterThan(0);
  });
});
