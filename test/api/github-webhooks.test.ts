import { freePort } from '../../src/dev/free-port';
import { startReconciler } from '../../src/intake/intake';
import { RayneRepository } from '../../src/contracts/search-attributes';
import { createLogger } from '../../src/logger';
import { createTestApi, createTestDatabase, eventually, testConfig, type TestApi, terminateWorkflowsOf } from '../support/harness';
import { deliver, examplePayload, issuePayload, newDeliveryId } from '../support/github-deliveries';
import { metricValue } from '../support/prometheus';

const SECRET = 'gh-webhook-secret';

const count = async (database: Awaited<ReturnType<typeof createTestDatabase>>) =>
  (await database.db.query('SELECT count(*)::int AS n FROM github_issue_events')).rows[0].n as number;

describe('POST /v1/webhooks/github/issues', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ GITHUB_WEBHOOK_SECRET: SECRET, RAYNE_API_TOKEN: 'mgmt-token' }));
  });
  afterAll(async () => {
    // The triages started here have no worker; end them so they do not linger on the shared server.
    await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM github_issue_events WHERE status = 'started'");
    await api.close();
    await database.drop();
  });

  it('answers ping with pong after checking the signature', async () => {
    const res = await deliver(api, 'ping', examplePayload('ping'), { secret: SECRET });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { pong: boolean; zen: string; status: string; reason: string };
    expect(body).toMatchObject({ pong: true, status: 'skipped', reason: 'ping' });
    expect(typeof body.zen).toBe('string');
  });

  it('answers 401 for a forged or missing signature and stores nothing', async () => {
    const before = await count(database);
    const payload = issuePayload('opened', { repository: 'acme/shop', number: 1, title: 'Forged' });
    const forged = await deliver(api, 'issues', payload, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(JSON.stringify(await forged.json())).not.toContain(SECRET);
    expect((await deliver(api, 'issues', payload, {})).status).toBe(401);
    expect((await deliver(api, 'issues', payload, { signature: 'sha256=00' })).status).toBe(401);
    expect(await count(database)).toBe(before);
  });

  it('starts github/{deliveryId} for an opened issue and answers a redelivery with the original ids', async () => {
    const deliveryId = newDeliveryId();
    const payload = issuePayload('opened', {
      repository: 'acme/shop',
      number: 7,
      title: 'Checkout returns 502',
      body: 'Since this morning',
    });
    const first = await deliver(api, 'issues', payload, { secret: SECRET, deliveryId });
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { event_id: string; workflow_id: string; run_id: string; duplicate: boolean; status: string };
    expect(accepted).toMatchObject({ workflow_id: `github/${deliveryId}`, status: 'started', duplicate: false });
    expect(accepted.run_id).toEqual(expect.any(String));
    const described = await api.runtime.temporal.workflow.getHandle(accepted.workflow_id).describe();
    expect(described.type).toBe('githubIssueWorkflow');
    expect(described.typedSearchAttributes.get(RayneRepository)).toBe('acme/shop');

    const again = await deliver(api, 'issues', payload, { secret: SECRET, deliveryId });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...accepted, duplicate: true });
    const { rows } = await database.db.query('SELECT count(*)::int AS n FROM github_issue_events WHERE delivery_id = $1', [deliveryId]);
    expect(rows[0].n).toBe(1);
  });

  it('accepts form-encoded deliveries signed over the raw body', async () => {
    const payload = issuePayload('reopened', { repository: 'acme/shop', number: 8, title: 'Back again' });
    const res = await deliver(api, 'issues', payload, { secret: SECRET, form: true });
    expect(res.status).toBe(202);
  });

  it('records other events and untriaged actions as skipped, with why', async () => {
    const star = await deliver(api, 'star', examplePayload('star'), { secret: SECRET });
    expect(star.status).toBe(200);
    expect(await star.json()).toMatchObject({ status: 'skipped', reason: 'event "star" is not triaged (only issues)', workflow_id: null });
    const edited = await deliver(api, 'issues', issuePayload('edited', { repository: 'acme/shop', number: 9, title: 'Typo' }), {
      secret: SECRET,
    });
    expect(await edited.json()).toMatchObject({ status: 'skipped', reason: expect.stringContaining('action "edited" is not triaged') });
    const otherLabel = await deliver(
      api,
      'issues',
      issuePayload('labeled', { repository: 'acme/shop', number: 9, title: 'Typo' }, { label: { name: 'bug' } }),
      { secret: SECRET },
    );
    expect(await otherLabel.json()).toMatchObject({ status: 'skipped', reason: 'label "bug" is not the trigger label "rayne"' });
    const trigger = await deliver(
      api,
      'issues',
      issuePayload('labeled', { repository: 'acme/shop', number: 9, title: 'Typo' }, { label: { name: 'rayne' } }),
      { secret: SECRET },
    );
    expect(trigger.status).toBe(202);
  });

  it('rejects a malformed issues payload or missing headers with a 4xx and stores nothing', async () => {
    const before = await count(database);
    const bad = await deliver(api, 'issues', { action: 'opened', issue: { number: 'x' } }, { secret: SECRET });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: Array<{ field: string }> } }).error.details.map((d) => d.field)).toEqual(
      expect.arrayContaining(['issue.number', 'repository']),
    );
    const noDelivery = await deliver(api, 'issues', issuePayload('opened', { repository: 'acme/shop', number: 10, title: 'x' }), {
      secret: SECRET,
      deliveryId: '../../etc',
    });
    expect(noDelivery.status).toBe(400);
    const notJson = await api.app.request('/v1/webhooks/github/issues', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-hub-signature-256': 'sha256=00' },
      body: 'hi',
    });
    expect(notJson.status).toBe(401);
    expect(await count(database)).toBe(before);
  });

  it('lists deliveries with filters, shows one with its workflow, and counts them; reads need the token', async () => {
    expect((await api.app.request('/v1/webhooks/github/issues')).status).toBe(401);
    const auth = { authorization: 'Bearer mgmt-token' };
    const list = (await (await api.app.request('/v1/webhooks/github/issues?status=skipped&limit=2', { headers: auth })).json()) as {
      events: Array<{ id: string; status: string }>;
      next_cursor: string | null;
    };
    expect(list.events).toHaveLength(2);
    expect(list.events.every((e) => e.status === 'skipped')).toBe(true);
    expect(list.next_cursor).toBe(list.events[1]!.id);
    const started = (await (
      await api.app.request('/v1/webhooks/github/issues?status=started&repository=acme/shop', { headers: auth })
    ).json()) as { events: Array<{ id: string; workflow_id: string }> };
    expect(started.events.length).toBe(3);
    const one = (await (await api.app.request(`/v1/webhooks/github/issues/${started.events[0]!.id}`, { headers: auth })).json()) as {
      workflow: { status: string };
      payload: unknown;
    };
    expect(one.workflow.status).toBe('RUNNING'); // no worker in this file: the triage waits for one
    expect(one.payload).toBeDefined();
    expect((await api.app.request('/v1/webhooks/github/issues/999999999', { headers: auth })).status).toBe(404);
    const stats = (await (await api.app.request('/v1/webhooks/github/issues/stats', { headers: auth })).json()) as {
      total: number;
      by_status: Record<string, number>;
      by_event: Record<string, number>;
      by_action: Record<string, number>;
    };
    expect(stats.by_status).toMatchObject({ started: 3 });
    expect(stats.by_event).toMatchObject({ ping: 1, star: 1 });
    expect(stats.by_action).toMatchObject({ opened: 1, reopened: 1, edited: 1, labeled: 2 });
    expect(stats.total).toBe(await count(database));
  });

  it('counts deliveries, rejections by status, redeliveries and started triages in /metrics', async () => {
    const text = await (await api.app.request('/metrics')).text();
    const github = { source: 'github' };
    // Stored deliveries, plus the redelivery, four 401s and two 400s that stored nothing.
    expect(metricValue(text, 'rayne_webhooks_received_total', github)).toBe((await count(database)) + 1 + 4 + 2);
    expect(metricValue(text, 'rayne_webhooks_rejected_total', { ...github, status: '401' })).toBe(4);
    expect(metricValue(text, 'rayne_webhooks_rejected_total', { ...github, status: '400' })).toBe(2);
    expect(metricValue(text, 'rayne_webhooks_duplicated_total', github)).toBe(1);
    expect(metricValue(text, 'rayne_workflows_started_total', { workflow_type: 'githubIssueWorkflow' })).toBe(3);
  });
});

describe('GitHub webhooks without a secret', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig());
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  it('answers 503 saying why, and accepts nothing, signed or not', async () => {
    const res = await deliver(api, 'issues', issuePayload('opened', { repository: 'acme/shop', number: 1, title: 'x' }), {
      secret: 'anything',
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('GITHUB_WEBHOOK_SECRET');
    expect(await count(database)).toBe(0);
  });
});

describe('GitHub deliveries while Temporal is down', () => {
  it('answers 503 with Retry-After, keeps the delivery pending, and the reconciler starts it once Temporal is reachable', async () => {
    const database = await createTestDatabase();
    const config = testConfig({ GITHUB_WEBHOOK_SECRET: SECRET, RAYNE_TEMPORAL_TIMEOUT_MS: '1000' });
    const down = createTestApi(database.url, config, `127.0.0.1:${await freePort()}`);
    const up = createTestApi(database.url, config);
    try {
      const deliveryId = newDeliveryId();
      const payload = issuePayload('opened', { repository: 'acme/down', number: 1, title: 'x' });
      const res = await deliver(down, 'issues', payload, { secret: SECRET, deliveryId });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      expect((await deliver(down, 'issues', payload, { secret: SECRET, deliveryId })).status).toBe(503);
      const row = async () =>
        (await database.db.query('SELECT status, start_attempts, run_id FROM github_issue_events WHERE delivery_id = $1', [deliveryId]))
          .rows[0];
      expect(await row()).toMatchObject({ status: 'pending_start', start_attempts: 2 });

      const reconciler = startReconciler([up.runtime.githubIntake], 200, createLogger('silent'));
      try {
        await eventually(async () => (await row()).status === 'started', 20_000);
      } finally {
        await reconciler.stop();
      }
      const started = await row();
      expect(started.run_id).toEqual(expect.any(String));
      await up.runtime.temporal.workflow.getHandle(`github/${deliveryId}`).terminate('test over');
    } finally {
      await Promise.all([down.close(), up.close()]);
      await database.drop();
    }
  });
});
