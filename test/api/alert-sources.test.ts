import crypto from 'node:crypto';
import type { Db } from '../../src/db/pool';
import { RayneAccount, RayneAlertStatus, RayneHost, RayneMonitorId, RayneService } from '../../src/contracts/search-attributes';
import {
  createTestApi,
  createTestDatabase,
  eventStatus,
  eventually,
  postJson,
  startTestWorker,
  terminateWorkflowsOf,
  testConfig,
  type TestApi,
} from '../support/harness';

const SECRET = 'alert-hook-secret';
const PD_SECRET = 'pagerduty-signing-secret';
const bearer = { authorization: `Bearer ${SECRET}` };

/** One alert of an Alertmanager delivery, as Alertmanager 0.25 sends it. */
const amAlert = (overrides: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'HighCPU', instance: 'web-01:9100', job: 'node', severity: 'page' },
  annotations: { summary: 'CPU above 90% on web-01', description: 'node_cpu busy for 5m' },
  startsAt: '2024-01-29T15:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=cpu+%3E+0.9&g0.tab=1',
  fingerprint: 'c5a4f0f5d2b1e3a7',
  ...overrides,
});

/** An Alertmanager webhook payload, version 4. */
const amDelivery = (alerts: Array<Record<string, unknown>> = [amAlert()], overrides: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="HighCPU"}',
  truncatedAlerts: 0,
  status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
  receiver: 'rayne',
  groupLabels: { alertname: 'HighCPU' },
  commonLabels: { alertname: 'HighCPU' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts,
  ...overrides,
});

/** Grafana alerting's webhook payload: Alertmanager's shape plus orgId, values, silenceURL, imageURL… */
const grafanaDelivery = (overrides: Record<string, unknown> = {}) => ({
  ...amDelivery([
    amAlert({
      labels: { alertname: 'DiskFull', grafana_folder: 'infra', host: 'db-1' },
      fingerprint: '0a1b2c3d4e5f6071',
      values: { B: 97.2 },
      silenceURL: 'http://grafana/alerting/silence/new',
      dashboardURL: '',
      panelURL: '',
      imageURL: 'http://grafana/img.png',
    }),
  ]),
  version: '1',
  orgId: 1,
  title: '[FIRING:1] DiskFull',
  state: 'alerting',
  message: 'disk full',
  ...overrides,
});

/** A PagerDuty V3 webhook payload for an incident event. */
const pdEvent = (eventType = 'incident.triggered', id = crypto.randomUUID()) => ({
  event: {
    id,
    event_type: eventType,
    resource_type: 'incident',
    occurred_at: '2024-01-29T15:00:00.000Z',
    agent: null,
    client: null,
    data: {
      id: 'Q1ABCDEF',
      type: 'incident',
      self: 'https://api.pagerduty.com/incidents/Q1ABCDEF',
      html_url: 'https://acme.pagerduty.com/incidents/Q1ABCDEF',
      number: 42,
      status: eventType.slice('incident.'.length),
      incident_key: 'k',
      created_at: '2024-01-29T14:59:00Z',
      title: 'Checkout latency above SLO',
      service: { id: 'PSVC001', summary: 'checkout', type: 'service_reference' },
      assignees: [],
      escalation_policy: { id: 'PEP1', summary: 'default' },
      teams: [],
      priority: { id: 'PPRI1', summary: 'P1' },
      urgency: 'high',
    },
  },
});

const sign = (body: string, secret = PD_SECRET) => `v1=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;

/** POSTs a PagerDuty delivery as PagerDuty would: signed, with a webhook id. */
function postPagerDuty(api: TestApi, payload: unknown, headers: Record<string, string> = {}, url = '/v1/webhooks/pagerduty') {
  const body = JSON.stringify(payload);
  return postJson(api.app, url, body, { 'x-webhook-id': crypto.randomUUID(), 'x-pagerduty-signature': sign(body), ...headers });
}

const countEvents = async (db: Db) => (await db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
const fieldsOf = async (res: Response) => ((await res.json()) as any).error.details.map((d: { field: string }) => d.field);

describe('alert sources: POST /v1/webhooks/{alertmanager,grafana,pagerduty}', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: { stop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_WEBHOOK_SECRET: SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await terminateWorkflowsOf(database.db, api.runtime.temporal, 'SELECT DISTINCT workflow_id FROM webhook_events');
    await worker.stop();
    await api.close();
    await database.drop();
  });

  describe('Alertmanager', () => {
    it('stores each alert as a transition of its incident and starts the incident workflow; resolved closes it', async () => {
      const res = await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery(), bearer);
      expect(res.status).toBe(202);
      const { events } = (await res.json()) as any;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        workflow_id: 'incident/default/alertmanager:HighCPU/instance:web-01:9100,job:node,severity:page',
        duplicate: false,
      });
      await eventually(async () => (await eventStatus(database.db, events[0].event_id)) === 'processed');
      const row = (
        await database.db.query(
          'SELECT source, monitor_id, alert_status, hostname, service, payload, raw_body, processing FROM webhook_events WHERE id = $1',
          [events[0].event_id],
        )
      ).rows[0];
      expect(row).toMatchObject({
        source: 'alertmanager',
        monitor_id: 'alertmanager:HighCPU',
        alert_status: 'Alert',
        hostname: 'web-01',
        service: 'node',
      });
      // The model's field names, so processors, prefetch and the console read it as they read a Datadog alert.
      expect(row.payload).toMatchObject({
        alert_title: 'CPU above 90% on web-01',
        alert_message: 'node_cpu busy for 5m',
        priority: 'page',
        link: amAlert().generatorURL,
        tags: expect.arrayContaining(['job:node', 'severity:page']),
      });
      // Source-specific fields stay in the raw body, exactly as sent.
      expect(JSON.parse(row.raw_body)).toEqual(amDelivery());
      expect(row.processing).toMatchObject({ status: 'Alert', startRca: true, episode: 1 });
      const { typedSearchAttributes: attrs } = await api.runtime.temporal.workflow.getHandle(events[0].workflow_id).describe();
      expect([RayneMonitorId, RayneAlertStatus, RayneService, RayneHost, RayneAccount].map((key) => attrs.get(key))).toEqual([
        'alertmanager:HighCPU',
        'Alert',
        'node',
        'web-01',
        'default',
      ]);

      const resolved = amAlert({ status: 'resolved', endsAt: '2024-01-29T15:20:00Z' });
      const closing = await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery([resolved]), bearer);
      expect(closing.status).toBe(202);
      const [closed] = ((await closing.json()) as any).events;
      expect(closed.workflow_id).toBe(events[0].workflow_id);
      await eventually(async () => (await eventStatus(database.db, closed.event_id)) === 'processed');
      const { processing } = (await database.db.query('SELECT processing FROM webhook_events WHERE id = $1', [closed.event_id])).rows[0];
      expect(processing).toMatchObject({ status: 'OK', closesIncident: true });
    });

    it('stores one row per alert of a grouped delivery, each with the delivery holding only that alert as its raw body', async () => {
      const other = amAlert({ labels: { alertname: 'HighCPU', instance: 'web-02:9100', job: 'node' }, fingerprint: 'ffff000011112222' });
      const delivery = amDelivery([amAlert({ startsAt: '2024-02-01T00:00:00Z' }), other], { truncatedAlerts: 3 });
      const res = await postJson(api.app, '/v1/webhooks/alertmanager', delivery, bearer);
      expect(res.status).toBe(202);
      const body = (await res.json()) as any;
      expect(body.truncated_alerts).toBe(3);
      expect(body.events.map((e: { workflow_id: string }) => e.workflow_id)).toEqual([
        'incident/default/alertmanager:HighCPU/instance:web-01:9100,job:node,severity:page',
        'incident/default/alertmanager:HighCPU/instance:web-02:9100,job:node',
      ]);
      const { raw_body } = (await database.db.query('SELECT raw_body FROM webhook_events WHERE id = $1', [body.events[1].event_id]))
        .rows[0];
      expect(JSON.parse(raw_body)).toEqual({ ...delivery, alerts: [other] });
    });

    it('answers 200 with the original ids for a repeat notification (same fingerprint, startsAt and status), storing nothing', async () => {
      const alert = amAlert({ startsAt: '2024-03-01T00:00:00Z' });
      const first = (await (await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery([alert]), bearer)).json()) as any;
      const before = await countEvents(database.db);
      // Alertmanager's repeat_interval sends the same firing alert again, with other group fields.
      const again = await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery([alert], { receiver: 'other' }), bearer);
      expect(again.status).toBe(200);
      expect(((await again.json()) as any).events).toEqual([{ ...first.events[0], duplicate: true }]);
      expect(await countEvents(database.db)).toBe(before);
      // Resolving it is a new transition.
      const resolved = await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery([{ ...alert, status: 'resolved' }]), bearer);
      expect(resolved.status).toBe(202);
    });

    it('answers 401 without the webhook secret, and takes it as bearer token or basic-auth password', async () => {
      const before = await countEvents(database.db);
      const delivery = amDelivery([amAlert({ startsAt: '2024-04-01T00:00:00Z' })]);
      const denied = await postJson(api.app, '/v1/webhooks/alertmanager', delivery);
      expect(denied.status).toBe(401);
      expect(JSON.stringify(await denied.json())).not.toContain(SECRET);
      expect((await postJson(api.app, '/v1/webhooks/alertmanager', delivery, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect(await countEvents(database.db)).toBe(before);
      const basic = `Basic ${Buffer.from(`alertmanager:${SECRET}`).toString('base64')}`;
      expect((await postJson(api.app, '/v1/webhooks/alertmanager', delivery, { authorization: basic })).status).toBe(202);
    });

    it('answers 400 naming the field for a bad payload, and stores nothing', async () => {
      const before = await countEvents(database.db);
      const bad = await postJson(
        api.app,
        '/v1/webhooks/alertmanager',
        amDelivery([amAlert({ status: 'exploded', labels: { instance: 'x' }, startsAt: 'yesterday' })], { version: '3' }),
        bearer,
      );
      expect(bad.status).toBe(400);
      expect(await fieldsOf(bad)).toEqual(expect.arrayContaining(['version', 'alerts.0.status', 'alerts.0.labels', 'alerts.0.startsAt']));
      const none = await postJson(api.app, '/v1/webhooks/alertmanager', amDelivery([]), bearer);
      expect(await fieldsOf(none)).toEqual(['alerts']);
      // A second alert that is bad stores not even the good first one.
      const half = await postJson(
        api.app,
        '/v1/webhooks/alertmanager',
        amDelivery([amAlert({ startsAt: '2024-05-01T00:00:00Z' }), { status: 'firing' }]),
        bearer,
      );
      expect(half.status).toBe(400);
      expect(await fieldsOf(half)).toEqual(expect.arrayContaining(['alerts.1.labels', 'alerts.1.startsAt']));
      expect((await postJson(api.app, '/v1/webhooks/alertmanager', '{"alerts": [', bearer)).status).toBe(400);
      expect((await postJson(api.app, '/v1/webhooks/alertmanager/nosuch', amDelivery(), bearer)).status).toBe(404);
      expect(await countEvents(database.db)).toBe(before);
    });

    it('skips auto-downtime for the alert, saying why: it mutes a Datadog monitor', async () => {
      const saved = await postJson(api.app, '/v1/webhooks/config', { downtime: { enabled: true, statuses: ['Alert'] } });
      expect(saved.status).toBe(200);
      try {
        const res = await postJson(
          api.app,
          '/v1/webhooks/alertmanager',
          amDelivery([amAlert({ labels: { alertname: 'Downtime' }, fingerprint: 'd0d0d0d0d0d0d0d0' })]),
          bearer,
        );
        const [event] = ((await res.json()) as any).events;
        await eventually(async () => (await eventStatus(database.db, event.event_id)) === 'processed');
        const { processing } = (await database.db.query('SELECT processing FROM webhook_events WHERE id = $1', [event.event_id])).rows[0];
        expect(processing.tier1).toMatchObject({
          ran: [],
          skipped: [{ processor: 'downtime', reason: 'mutes a Datadog monitor; this alert came from alertmanager' }],
        });
      } finally {
        await postJson(api.app, '/v1/webhooks/config', { downtime: { enabled: false } });
      }
    });
  });

  describe('Grafana', () => {
    it('takes the same shape plus its own fields, as a grafana alert', async () => {
      const res = await postJson(api.app, '/v1/webhooks/grafana', grafanaDelivery(), bearer);
      expect(res.status).toBe(202);
      const [event] = ((await res.json()) as any).events;
      expect(event.workflow_id).toBe('incident/default/grafana:DiskFull/grafana_folder:infra,host:db-1');
      await eventually(async () => (await eventStatus(database.db, event.event_id)) === 'processed');
      const row = (await database.db.query('SELECT source, hostname, raw_body FROM webhook_events WHERE id = $1', [event.event_id]))
        .rows[0];
      expect(row).toMatchObject({ source: 'grafana', hostname: 'db-1' });
      expect(JSON.parse(row.raw_body)).toMatchObject({ orgId: 1, alerts: [{ values: { B: 97.2 }, imageURL: 'http://grafana/img.png' }] });
      // Deduplicated on fingerprint, startsAt and status like Alertmanager's.
      expect((await postJson(api.app, '/v1/webhooks/grafana', grafanaDelivery(), bearer)).status).toBe(200);
    });

    it('answers 401 without the secret', async () => {
      expect((await postJson(api.app, '/v1/webhooks/grafana', grafanaDelivery())).status).toBe(401);
    });
  });

  describe('PagerDuty', () => {
    it('stores incident.triggered as an Alert and starts the workflow; acknowledged keeps it open, resolved closes it', async () => {
      const res = await postPagerDuty(api, pdEvent('incident.triggered'));
      expect(res.status).toBe(202);
      const triggered = (await res.json()) as any;
      expect(triggered.workflow_id).toBe('incident/default/pagerduty:PSVC001/incident:Q1ABCDEF');
      await eventually(async () => (await eventStatus(database.db, triggered.event_id)) === 'processed');
      const row = (
        await database.db.query('SELECT source, alert_status, service, payload FROM webhook_events WHERE id = $1', [triggered.event_id])
      ).rows[0];
      expect(row).toMatchObject({ source: 'pagerduty', alert_status: 'Alert', service: 'checkout' });
      expect(row.payload).toMatchObject({ alert_title: 'Checkout latency above SLO', priority: 'P1' });

      const ack = (await (await postPagerDuty(api, pdEvent('incident.acknowledged'))).json()) as any;
      await eventually(async () => (await eventStatus(database.db, ack.event_id)) === 'processed');
      const ackProcessing = (await database.db.query('SELECT processing FROM webhook_events WHERE id = $1', [ack.event_id])).rows[0]
        .processing;
      expect(ackProcessing).toMatchObject({ status: 'Alert', repeat: true, startRca: false, closesIncident: false });

      const resolved = (await (await postPagerDuty(api, pdEvent('incident.resolved'))).json()) as any;
      await eventually(async () => (await eventStatus(database.db, resolved.event_id)) === 'processed');
      const closing = (await database.db.query('SELECT processing FROM webhook_events WHERE id = $1', [resolved.event_id])).rows[0]
        .processing;
      expect(closing).toMatchObject({ status: 'OK', closesIncident: true });
    });

    it('deduplicates on X-Webhook-Id', async () => {
      const payload = pdEvent('incident.triggered');
      const headers = { 'x-webhook-id': 'delivery-dedup-1' };
      const first = (await (await postPagerDuty(api, payload, headers)).json()) as any;
      const before = await countEvents(database.db);
      const again = await postPagerDuty(api, payload, headers);
      expect(again.status).toBe(200);
      expect((await again.json()) as any).toEqual({ ...first, duplicate: true });
      expect(await countEvents(database.db)).toBe(before);
    });

    it('accepts a delivery when any of several v1 signatures matches, and answers 401 when none does', async () => {
      const before = await countEvents(database.db);
      const body = JSON.stringify(pdEvent('incident.triggered'));
      const post = (signature?: string) =>
        postJson(api.app, '/v1/webhooks/pagerduty', body, {
          'x-webhook-id': crypto.randomUUID(),
          ...(signature === undefined ? {} : { 'x-pagerduty-signature': signature }),
        });
      const denied = await post();
      expect(denied.status).toBe(401);
      expect(JSON.stringify(await denied.json())).not.toContain(PD_SECRET);
      expect((await post(sign(body, 'old-secret'))).status).toBe(401);
      expect((await post('v1=zz,v2=00')).status).toBe(401);
      // Signed over other bytes (the same JSON re-serialised with a space) is not a match.
      expect((await post(sign(body.replace(':', ': ')))).status).toBe(401);
      expect(await countEvents(database.db)).toBe(before);
      // While a secret is rotated PagerDuty sends one signature per secret; ours may be either.
      expect((await post(`${sign(body, 'old-secret')},${sign(body)}`)).status).toBe(202);
      expect((await post(`${sign(body)}, ${sign(body, 'new-secret')}`)).status).toBe(202);
    });

    it('answers 200 ignored, storing nothing, for an event that is not an incident transition', async () => {
      const before = await countEvents(database.db);
      const res = await postPagerDuty(api, { event: { ...pdEvent().event, event_type: 'pagey.ping', resource_type: 'pagey', data: {} } });
      expect(res.status).toBe(200);
      expect((await res.json()) as any).toMatchObject({ status: 'ignored', reason: expect.stringContaining('pagey.ping') });
      expect(await countEvents(database.db)).toBe(before);
    });

    it('answers 400 naming the field or header for a bad delivery, and stores nothing', async () => {
      const before = await countEvents(database.db);
      const noId = await postPagerDuty(api, pdEvent(), { 'x-webhook-id': '' });
      expect(noId.status).toBe(400);
      expect(await fieldsOf(noId)).toEqual(['X-Webhook-Id']);
      const badEnvelope = await postPagerDuty(api, { event: { id: 'e1', occurred_at: 'soon' } });
      expect(await fieldsOf(badEnvelope)).toEqual(expect.arrayContaining(['event.event_type', 'event.occurred_at']));
      const incident = pdEvent();
      const noService = await postPagerDuty(api, { event: { ...incident.event, data: { ...incident.event.data, service: undefined } } });
      expect(noService.status).toBe(400);
      expect(await fieldsOf(noService)).toEqual(['event.data.service']);
      expect((await postPagerDuty(api, pdEvent(), {}, '/v1/webhooks/pagerduty/nosuch')).status).toBe(404);
      expect(await countEvents(database.db)).toBe(before);
    });
  });

  describe("an account's own webhook secrets", () => {
    const A_TOKEN = 'team-a-bearer-token';
    const B_PASSWORD = 'team-b-basic-password';
    const A_PD = 'team-a-pagerduty-secret';
    const put = (name: string, body: unknown) =>
      api.app.request(`/v1/accounts/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    const delivery = (startsAt: string) => amDelivery([amAlert({ startsAt })]);
    const secrets = [A_TOKEN, B_PASSWORD, A_PD];
    const shown: string[] = [];
    const keep = async (res: Response) => {
      shown.push(await res.clone().text());
      return res;
    };

    beforeAll(async () => {
      const a = await keep(
        await postJson(api.app, '/v1/accounts', {
          name: 'team-a',
          webhook_auth: { bearer_token: A_TOKEN },
          pagerduty_signing_secret: A_PD,
        }),
      );
      expect(a.status).toBe(201);
      expect(await a.json()).toMatchObject({ webhook_auth: 'bearer', pagerduty_signing_secret_set: true });
      const b = await keep(
        await postJson(api.app, '/v1/accounts', { name: 'team-b', webhook_auth: { basic_auth: { username: 'am', password: B_PASSWORD } } }),
      );
      expect(await b.json()).toMatchObject({ webhook_auth: 'basic', pagerduty_signing_secret_set: false });
    });

    it("answers 401 with another account's secret or the global one, and 202 with its own", async () => {
      const post = async (account: string, startsAt: string, headers: Record<string, string>) =>
        (await keep(await postJson(api.app, `/v1/webhooks/alertmanager/${account}`, delivery(startsAt), headers))).status;
      expect(await post('team-a', '2024-05-01T00:00:00Z', bearer)).toBe(401);
      expect(await post('team-a', '2024-05-01T00:00:00Z', { authorization: `Bearer ${B_PASSWORD}` })).toBe(401);
      expect(await post('team-a', '2024-05-01T00:00:00Z', { authorization: `Bearer ${A_TOKEN}` })).toBe(202);
      expect(await post('team-a', '2024-05-01T00:00:01Z', { 'x-rayne-token': A_TOKEN })).toBe(202);
      expect(await post('team-b', '2024-05-01T00:00:00Z', basic('alertmanager', SECRET))).toBe(401);
      expect(await post('team-b', '2024-05-01T00:00:00Z', { authorization: `Bearer ${B_PASSWORD}` })).toBe(401);
      expect(await post('team-b', '2024-05-01T00:00:00Z', basic('someone', B_PASSWORD))).toBe(401);
      expect(await post('team-b', '2024-05-01T00:00:00Z', basic('am', B_PASSWORD))).toBe(202);
      expect((await keep(await postJson(api.app, '/v1/webhooks/grafana/team-b', grafanaDelivery(), basic('am', A_TOKEN)))).status).toBe(
        401,
      );
      // A delivery without an account is the default's (team-a, the first), checked with its own secret.
      const pathless = (headers: Record<string, string>) =>
        postJson(api.app, '/v1/webhooks/alertmanager', delivery('2024-05-01T00:00:02Z'), headers);
      expect((await keep(await pathless(bearer))).status).toBe(401);
      expect((await keep(await pathless({ authorization: `Bearer ${A_TOKEN}` }))).status).toBe(202);
      // An account without its own keeps the global secret.
      expect((await postJson(api.app, '/v1/accounts', { name: 'team-c' })).status).toBe(201);
      expect(await post('team-c', '2024-05-01T00:00:00Z', { authorization: `Bearer ${A_TOKEN}` })).toBe(401);
      expect(await post('team-c', '2024-05-01T00:00:00Z', bearer)).toBe(202);
    });

    it("verifies an account's PagerDuty deliveries with its own signing secret, others' with PAGERDUTY_WEBHOOK_SECRET", async () => {
      const body = JSON.stringify(pdEvent('incident.triggered'));
      const post = async (account: string, secret: string) =>
        keep(
          await postJson(api.app, `/v1/webhooks/pagerduty/${account}`, body, {
            'x-webhook-id': crypto.randomUUID(),
            'x-pagerduty-signature': sign(body, secret),
          }),
        );
      expect((await post('team-a', PD_SECRET)).status).toBe(401);
      expect((await post('team-a', A_PD)).status).toBe(202);
      expect((await post('team-b', A_PD)).status).toBe(401);
      expect((await post('team-b', PD_SECRET)).status).toBe(202);
    });

    it('answers 400 naming the field for bad secrets, changing nothing; null removes one and the global secret applies again', async () => {
      for (const [body, field] of [
        [{ webhook_auth: {} }, 'webhook_auth.bearer_token'],
        [{ webhook_auth: { bearer_token: 'x', basic_auth: { username: 'u', password: 'p' } } }, 'webhook_auth.bearer_token'],
        [{ webhook_auth: { basic_auth: { username: 'u' } } }, 'webhook_auth.basic_auth.password'],
        [{ webhook_auth: { token: 'x' } }, 'webhook_auth'],
        [{ pagerduty_signing_secret: '' }, 'pagerduty_signing_secret'],
      ] as const) {
        const res = await keep(await put('team-a', body));
        expect(res.status).toBe(400);
        expect(await fieldsOf(res)).toContain(field);
      }
      const unchanged = await keep(await api.app.request('/v1/accounts/team-a'));
      expect(await unchanged.json()).toMatchObject({ webhook_auth: 'bearer', pagerduty_signing_secret_set: true });

      const removed = await keep(await put('team-a', { webhook_auth: null }));
      expect(await removed.json()).toMatchObject({ webhook_auth: 'none', pagerduty_signing_secret_set: true });
      const status = async (headers: Record<string, string>) =>
        (await keep(await postJson(api.app, '/v1/webhooks/alertmanager/team-a', delivery('2024-05-02T00:00:00Z'), headers))).status;
      expect(await status({ authorization: `Bearer ${A_TOKEN}` })).toBe(401);
      expect(await status(bearer)).toBe(202);
      await keep(await put('team-a', { webhook_auth: { bearer_token: A_TOKEN } }));
    });

    it('never shows a secret in any answer, and stores them sealed', async () => {
      shown.push(await (await api.app.request('/v1/accounts')).text());
      for (const text of shown) for (const secret of secrets) expect(text).not.toContain(secret);
      const { rows } = await database.db.query(
        `SELECT webhook_auth_enc, pagerduty_secret_enc FROM accounts WHERE name IN ('team-a', 'team-b')`,
      );
      for (const secret of secrets) expect(JSON.stringify(rows)).not.toContain(secret);
      expect(rows.every((r) => r.webhook_auth_enc)).toBe(true);
    });
  });

  it('lists events by source', async () => {
    const page = (await (await api.app.request('/v1/webhooks/events?source=pagerduty')).json()) as any;
    expect(page.events.length).toBeGreaterThan(0);
    expect(new Set(page.events.map((e: { source: string }) => e.source))).toEqual(new Set(['pagerduty']));
    const rule = (await (await api.app.request('/v1/webhooks/events?monitor_id=alertmanager:HighCPU')).json()) as any;
    expect(rule.events.length).toBeGreaterThan(0);
  });
});

describe('POST /v1/webhooks/pagerduty without a signing secret', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  it('answers 503 and stores nothing: unsigned deliveries are never accepted', async () => {
    const res = await postJson(api.app, '/v1/webhooks/pagerduty', pdEvent(), { 'x-webhook-id': 'x' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.message).toContain('PAGERDUTY_WEBHOOK_SECRET');
    expect(await countEvents(database.db)).toBe(0);
  });
});
