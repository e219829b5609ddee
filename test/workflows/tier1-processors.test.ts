import crypto from 'node:crypto';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
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
import { type Receiver, startReceiver } from '../../src/demo/receiver';

const SIGNING_SECRET = 'forward-signing-secret-0123456789';

let monitorSeq = 5000;
const alertFor =
  (monitorId: number) =>
  (status: string, extra: Record<string, unknown> = {}) => ({
    alert_title: 'Disk almost full on db-01',
    alert_message: 'disk usage 97%',
    alert_status: status,
    monitor_id: monitorId,
    monitor_name: 'Disk usage',
    hostname: 'db-01',
    service: 'orders-db',
    scope: 'host:db-01',
    transition_id: crypto.randomUUID(),
    priority: 'P1',
    link: `https://app.datadoghq.com/monitors/${monitorId}`,
    ...extra,
  });

describe('tier-1 processors', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: { stop(): Promise<void> };
  let notify: Receiver;
  let notifyDown: Receiver;
  let forward: Receiver;
  let slack: Receiver;
  let sandbox: DatadogSandbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    [notify, notifyDown, forward, slack] = await Promise.all([startReceiver(), startReceiver(), startReceiver(), startReceiver()]);
    sandbox = await startDatadogSandbox({ apiKey: 'dd-api', appKey: 'dd-app' });
    api = createTestApi(database.url, testConfig({ TEMPORAL_UI_URL: 'http://ui.example:8233', RAYNE_PUBLIC_URL: 'https://rayne.example' }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await Promise.all([notify, notifyDown, forward, slack, sandbox].map((s) => s.close()));
    await database.drop();
  });
  beforeEach(() => {
    for (const s of [notify, notifyDown, forward, slack]) s.requests.length = 0;
  });

  const configure = async (body: Record<string, unknown>) => {
    const res = await postJson(api.app, '/v1/webhooks/config', body);
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };
  const send = async (alert: Record<string, unknown>) => {
    const body = JSON.stringify(alert, null, 1);
    const res = await postJson(api.app, '/v1/webhooks/receive', body);
    expect(res.status).toBe(202);
    const { event_id: eventId } = (await res.json()) as { event_id: string };
    await eventually(async () => (await eventStatus(database.db, eventId)) === 'processed', 30_000);
    return { eventId, body };
  };
  const eventView = async (id: string) => (await api.app.request(`/v1/webhooks/events/${id}`)).json() as Promise<any>;

  it('runs every configured processor for a transition and records each run', async () => {
    const saved = await configure({
      notify: { urls: [notify.url] },
      forward: { urls: [`${forward.url}/hook?token=abc`], signing_secret: SIGNING_SECRET },
      slack: { webhook_url: `${slack.url}/services/T000/B000/XXXX` },
    });
    expect(JSON.stringify(saved)).not.toContain(SIGNING_SECRET);
    expect(JSON.stringify(saved)).not.toContain('XXXX');
    expect(saved.forward.urls).toEqual([`${forward.url}/hook?…`]);

    const { eventId, body } = await send(alertFor(monitorSeq++)('Alert', { CUSTOM_FIELD: { nested: [1, 2] } }));

    expect(notify.requests).toHaveLength(1);
    expect(JSON.parse(notify.requests[0]!.body)).toMatchObject({
      title: '[Alert] Disk almost full on db-01',
      message: 'disk usage 97%',
      urgency: 'critical',
      event_id: eventId,
      links: { event: `https://rayne.example/v1/webhooks/events/${eventId}` },
    });

    expect(forward.requests).toHaveLength(1);
    const forwarded = forward.requests[0]!;
    expect(forwarded.body).toBe(body); // the exact bytes received, custom fields and whitespace included
    const expected = `sha256=${crypto.createHmac('sha256', SIGNING_SECRET).update(body).digest('hex')}`;
    expect(forwarded.headers['x-rayne-signature']).toBe(expected);

    expect(slack.requests).toHaveLength(1);
    const message = JSON.parse(slack.requests[0]!.body);
    expect(message.attachments[0].color).toBe('#d63b3b');
    const blocksText = JSON.stringify(message.attachments[0].blocks);
    expect(blocksText).toContain('db-01');
    expect(blocksText).toContain('orders-db');
    expect(blocksText).toContain('http://ui.example:8233/namespaces/default/workflows/');

    const view = await eventView(eventId);
    expect(view.processor_runs.map((r: any) => [r.processor, r.status, r.attempts])).toEqual(
      expect.arrayContaining([
        ['notify', 'succeeded', 1],
        ['forward', 'succeeded', 1],
        ['slack', 'succeeded', 1],
      ]),
    );
    expect(view.processor_runs).toHaveLength(3);
    expect(JSON.stringify(view)).not.toContain('token=abc');
    expect(view.processing.tier1.ran).toHaveLength(3);
  });

  it('retries a failing target, and one failing target never blocks the others', async () => {
    await configure({
      notify: { urls: [notify.url, notifyDown.url] },
      forward: { urls: [forward.url] },
      slack: { enabled: false },
    });
    notifyDown.failWith(400); // the receiver rejects the request: not retried
    forward.failWith(503); // a transient failure: retried
    const { eventId } = await send(alertFor(monitorSeq++)('Warn'));

    expect(notify.requests).toHaveLength(1);
    expect(notifyDown.requests).toHaveLength(1);
    expect(forward.requests).toHaveLength(2);
    expect(slack.requests).toHaveLength(0);
    const runs = (await eventView(eventId)).processor_runs;
    const byTarget = Object.fromEntries(runs.map((r: any) => [r.target, r]));
    expect(byTarget[`${notifyDown.url}/`]).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringContaining('400') });
    expect(byTarget[`${notify.url}/`]).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(byTarget[`${forward.url}/`]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('skips repeats while open when configured for state changes, and never starts a second RCA', async () => {
    await configure({
      notify: { urls: [notify.url] },
      forward: { urls: [] },
      tier1: { run_on: 'state_changes' },
      flapping: { transitions: 50 },
    });
    const alert = alertFor(monitorSeq++);
    const first = await send(alert('Alert'));
    const repeat = await send(alert('Alert'));
    expect(notify.requests).toHaveLength(1);
    const [a, b] = await Promise.all([eventView(first.eventId), eventView(repeat.eventId)]);
    expect(a.processing).toMatchObject({ startRca: true, repeat: false });
    expect(b.processing).toMatchObject({ startRca: false, repeat: true });
    expect(b.processing.tier1.skipped[0].reason).toMatch(/state_changes/);
  });

  it('reports a flapping monitor once in Slack instead of paging on every flip', async () => {
    await configure({
      notify: { urls: [notify.url] },
      forward: { urls: [forward.url] },
      slack: { enabled: true, webhook_url: `${slack.url}/services/T/B/Y` },
      tier1: { run_on: 'every_transition' },
      flapping: { transitions: 3, window_minutes: 30 },
    });
    const alert = alertFor(monitorSeq++);
    for (const status of ['Alert', 'OK', 'Alert', 'OK', 'Alert']) await send(alert(status));

    expect(forward.requests).toHaveLength(5); // integrations still get every transition
    expect(notify.requests).toHaveLength(2); // pages for the first two flips only
    const slackTexts = slack.requests.map((r) => JSON.parse(r.body).text as string);
    expect(slackTexts).toHaveLength(3);
    expect(slackTexts[2]).toMatch(/^:warning: Flapping/);
  });

  it('validates the config and keeps stored secrets when a section omits them', async () => {
    const bad = await postJson(api.app, '/v1/webhooks/config', {
      notify: { urls: ['ftp://x'] },
      downtime: { duration_minutes: 0 },
      bogus: 1,
    });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as any).error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['notify.urls.0', 'downtime.duration_minutes']));
    expect((await postJson(api.app, '/v1/webhooks/config', { account: 'nope' })).status).toBe(404);

    await configure({ forward: { urls: [forward.url], signing_secret: SIGNING_SECRET } });
    const kept = await configure({ forward: { urls: [forward.url, notify.url] } });
    expect(kept.forward).toMatchObject({ signing_secret_set: true, urls: [`${forward.url}/`, `${notify.url}/`] });
    const read = (await (await api.app.request('/v1/webhooks/config')).json()) as any;
    expect(read).toMatchObject({ account: 'default', downtime: { enabled: false, statuses: ['OK'], duration_minutes: 120 } });
  });

  it('creates one Datadog downtime on recovery, through a rate limit and a 500, and fails fast on a 403 naming the account', async () => {
    const account = await postJson(api.app, '/v1/accounts', {
      name: 'default',
      base_url: sandbox.url,
      api_key: 'dd-api',
      app_key: 'dd-app',
    });
    expect(account.status).toBe(201);
    await configure({
      notify: { urls: [] },
      forward: { urls: [] },
      slack: { enabled: false },
      flapping: { transitions: 50 },
      downtime: { enabled: true, use_alert_scope: true },
    });
    const alert = alertFor(monitorSeq++);
    await send(alert('Alert'));
    expect(sandbox.data.downtimes.size).toBe(0); // the default statuses mute recovered monitors only

    sandbox.failNext({ method: 'POST', path: '/api/v2/downtime' }, { status: 429, headers: { 'x-ratelimit-reset': '1' } });
    sandbox.failNext({ method: 'POST', path: '/api/v2/downtime' }, { status: 500 });
    const started = Date.now();
    const recovered = await send(alert('OK'));
    const downtimes = [...sandbox.data.downtimes.values()];
    expect(downtimes).toHaveLength(1);
    const attributes = downtimes[0]!.attributes as any;
    expect(attributes.scope).toBe('host:db-01');
    expect(attributes.monitor_identifier).toEqual({ monitor_id: Number(alert('OK').monitor_id) });
    expect(attributes.message).toContain(`[rayne:event:${recovered.eventId}]`);
    const end = Date.parse(attributes.schedule.end);
    expect(end - started).toBeGreaterThan(119 * 60_000);
    expect(end - started).toBeLessThan(121 * 60_000);
    const run = (await eventView(recovered.eventId)).processor_runs.find((r: any) => r.processor === 'downtime');
    expect(run).toMatchObject({ status: 'succeeded', attempts: 3, detail: `downtime ${downtimes[0]!.id}` });

    sandbox.failNext({ method: 'POST', path: '/api/v2/downtime' }, { status: 403 });
    const refused = await send(alertFor(monitorSeq++)('OK'));
    const failed = (await eventView(refused.eventId)).processor_runs.find((r: any) => r.processor === 'downtime');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toMatch(/create downtime for account "default" failed with 403/);
    expect(sandbox.data.downtimes.size).toBe(1);
  });

  it('settles a downtime failed, with the reason, when the check for an earlier attempt fails, and the event page shows it', async () => {
    // The account and downtime settings are the previous test's. A create that fails with a 500 may
    // still have taken effect, so the retry first lists downtimes; that list is refused for good.
    sandbox.failNext({ method: 'POST', path: '/api/v2/downtime' }, { status: 500 });
    sandbox.failNext({ method: 'GET', path: '/api/v2/downtime' }, { status: 403 });
    const recovered = await send(alertFor(monitorSeq++)('OK'));
    const run = (await eventView(recovered.eventId)).processor_runs.find((r: any) => r.processor === 'downtime');
    expect(run).toMatchObject({ status: 'failed', attempts: 2 });
    expect(run.error).toMatch(
      /^could not check whether an earlier attempt took effect: Datadog list downtimes for account "default" failed with 403/,
    );
    const page = await (await api.app.request(`/incidents/${recovered.eventId}`)).text();
    expect(page).toMatch(/<tr data-testid="processor-run"><td>downtime<\/td><td>[^<]*<\/td><td>failed<\/td>/);
  });
});
