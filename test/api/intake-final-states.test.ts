import { type Client, ServiceError } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { Intake } from '../../src/intake/intake';
import { createLogger } from '../../src/logger';
import { createTestApi, createTestDatabase, postJson, testConfig, type TestApi, terminateWorkflowsOf } from '../support/harness';
import { deliver, issuePayload } from '../support/github-deliveries';
import { metricValue } from '../support/prometheus';
import { RayneRepository } from '../../src/contracts/search-attributes';

const SECRET = 'final-states-secret';
const grpcFailure = (code: number, details: string) =>
  new ServiceError('Failed to signalWithStart Workflow', { cause: Object.assign(new Error(details), { code, details, metadata: {} }) });

/** A Temporal client that answers pings but fails every start with `failure`. */
const refusingTemporal = (failure: Error, reachable = true) =>
  ({
    options: { namespace: 'default' },
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflowService: {
      describeNamespace: async () => {
        if (!reachable) throw grpcFailure(14, 'connection refused');
        return {};
      },
    },
    workflow: {
      signalWithStart: async () => {
        throw failure;
      },
    },
  }) as unknown as Client;

describe('intake final states', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });

  /** The real app, with an intake whose Temporal fails every start as given. */
  const appRefusing = (failure: Error, options: { reachable?: boolean; maxStartAttempts?: number } = {}) => {
    const intake = new Intake({
      db: database.db,
      accounts: api.runtime.accounts,
      temporal: refusingTemporal(failure, options.reachable),
      taskQueue: 'unused',
      temporalTimeoutMs: 1000,
      maxStartAttempts: options.maxStartAttempts ?? 3,
      log,
      metrics: api.runtime.metrics,
    });
    return { intake, app: createApp({ ...api.runtime, intake, config: api.config, log }) };
  };
  const row = async (id: string) =>
    (await database.db.query('SELECT status, start_attempts, last_error FROM webhook_events WHERE id = $1', [id])).rows[0];
  const metrics = async () => (await api.app.request('/metrics')).text();

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
  });
  afterAll(async () => {
    await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM webhook_events WHERE status = 'started'");
    await api.close();
    await database.drop();
  });

  it('shows every rayne_* API series at zero on a fresh stack, and every status in stats', async () => {
    const text = await metrics();
    for (const name of [
      'rayne_webhooks_received_total',
      'rayne_webhooks_rejected_total',
      'rayne_events_not_started_total',
      'rayne_workflows_started_total',
    ]) {
      expect(text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.endsWith(' 0')).length).toBeGreaterThan(0);
    }
    expect(text).toContain('rayne_events_not_started_total{source="datadog",state="dead_letter"} 0');
    const stats = (await (await api.app.request('/v1/webhooks/stats')).json()) as { by_status: Record<string, number> };
    expect(stats.by_status).toEqual({ pending_start: 0, started: 0, processed: 0, rejected: 0, dead_letter: 0 });
  });

  it('stores text with NUL and unpaired surrogates replaced, keeps the raw bytes, and dedups on them', async () => {
    const alert = {
      monitor_id: 9400001,
      alert_status: 'Warn',
      monitor_name: 'disk\u0000full',
      alert_transition: 'Triggered\u0000',
      hostname: 'h\ud800',
      org_id: 'x\u0000',
    };
    const res = await postJson(api.app, '/v1/webhooks/receive', alert);
    expect(res.status).toBe(202);
    const { event_id: id } = (await res.json()) as { event_id: string };
    const {
      rows: [stored],
    } = await database.db.query('SELECT monitor_name, hostname, payload, raw_body FROM webhook_events WHERE id = $1', [id]);
    expect(stored).toMatchObject({ monitor_name: 'disk\ufffdfull', hostname: 'h\ufffd', payload: { alert_transition: 'Triggered\ufffd' } });
    expect(stored.raw_body).toContain('disk\\u0000full');
    expect((await postJson(api.app, '/v1/webhooks/receive', alert)).status).toBe(200);
    expect((await postJson(api.app, '/v1/webhooks/receive', { ...alert, monitor_name: 'disk\ufffdfull' })).status).toBe(202);
  });

  it('starts a 70,000-character scope under a bounded id that keeps its readable start', async () => {
    const res = await postJson(api.app, '/v1/webhooks/receive', {
      monitor_id: 9400002,
      alert_status: 'Warn',
      scope: `env:prod,${'x'.repeat(70_000)}`,
    });
    expect(res.status).toBe(202);
    const { workflow_id: workflowId } = (await res.json()) as { workflow_id: string };
    expect(workflowId).toMatch(/^incident\/default\/9400002\/env:prod,x+#[0-9a-f]{16}$/);
    expect((await api.runtime.temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  });

  it('stores an event Temporal refuses for good as rejected with the reason, answers 422, and again on redelivery', async () => {
    const { app } = appRefusing(grpcFailure(3, 'WorkflowId exceeds maximum allowed length'));
    const before = metricValue(await metrics(), 'rayne_events_not_started_total', { source: 'datadog', state: 'rejected' });
    const alert = { monitor_id: 9400003, alert_status: 'Alert', transition_id: 'rejected-1' };
    const res = await postJson(app, '/v1/webhooks/receive', alert);
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: 'UNPROCESSABLE', message: expect.stringContaining('WorkflowId exceeds maximum allowed length') });
    const id = /event (\d+)/.exec(error.message)![1]!;
    expect(await row(id)).toMatchObject({ status: 'rejected', start_attempts: 1, last_error: 'WorkflowId exceeds maximum allowed length' });
    expect((await postJson(app, '/v1/webhooks/receive', alert)).status).toBe(422);
    expect(await row(id)).toMatchObject({ status: 'rejected', start_attempts: 1 });
    expect(metricValue(await metrics(), 'rayne_events_not_started_total', { source: 'datadog', state: 'rejected' }) - before).toBe(1);
    expect(lines.some((l) => l.msg === 'event rejected: Temporal cannot start its workflow' && l.eventId === id)).toBe(true);
  });

  it('keeps an event pending while Temporal is away (no attempts used), then dead-letters one that keeps failing', async () => {
    const down = appRefusing(grpcFailure(14, 'connection refused'), { reachable: false, maxStartAttempts: 3 });
    const res = await postJson(down.app, '/v1/webhooks/receive', { monitor_id: 9400004, alert_status: 'Alert', transition_id: 'dead-1' });
    expect(res.status).toBe(503);
    const id = /event (\d+)/.exec(((await res.json()) as { error: { message: string } }).error.message)![1]!;
    const due = () => database.db.query("UPDATE webhook_events SET last_attempt_at = now() - interval '1 hour' WHERE id = $1", [id]);
    await due();
    expect(await down.intake.reconcilePending()).toBe(0);
    expect(await row(id)).toMatchObject({ status: 'pending_start', start_attempts: 1 });

    const failing = appRefusing(grpcFailure(13, 'internal error'), { maxStartAttempts: 3 });
    await failing.intake.reconcilePending();
    expect(await row(id)).toMatchObject({ status: 'pending_start', start_attempts: 2 });
    await failing.intake.reconcilePending(); // backing off: not due yet
    expect(await row(id)).toMatchObject({ start_attempts: 2 });
    await due();
    await failing.intake.reconcilePending();
    expect(await row(id)).toMatchObject({
      status: 'dead_letter',
      start_attempts: 3,
      last_error: expect.stringContaining('internal error'),
    });
    await due();
    await failing.intake.reconcilePending();
    expect(await row(id)).toMatchObject({ status: 'dead_letter', start_attempts: 3 });

    expect(lines.find((l) => l.msg === 'event dead-lettered: its workflow start kept failing' && l.eventId === id)).toMatchObject({
      level: 50,
      source: 'datadog',
      attempts: 3,
    });
    expect(metricValue(await metrics(), 'rayne_events_not_started_total', { source: 'datadog', state: 'dead_letter' })).toBe(1);
    const stats = (await (await api.app.request('/v1/webhooks/stats')).json()) as { by_status: Record<string, number> };
    expect(stats.by_status).toMatchObject({ rejected: 1, dead_letter: 1 });
    const listed = (await (await api.app.request('/v1/webhooks/events?status=dead_letter')).json()) as { events: Array<{ id: string }> };
    expect(listed.events.map((e) => e.id)).toEqual([id]);
  });
});

describe('GitHub intake final states', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ GITHUB_WEBHOOK_SECRET: SECRET }));
  });
  afterAll(async () => {
    await terminateWorkflowsOf(database.db, api.runtime.temporal, "SELECT workflow_id FROM github_issue_events WHERE status = 'started'");
    await api.close();
    await database.drop();
  });

  it('stores NUL text replaced and bounds a huge repository name in the search attribute', async () => {
    const repository = `acme/${'r'.repeat(5000)}`;
    const payload = issuePayload('opened', { repository, number: 1, title: 'nul\u0000title', body: 'b\u0000' });
    const res = await deliver(api, 'issues', payload, { secret: SECRET });
    expect(res.status).toBe(202);
    const { event_id: id, workflow_id: workflowId } = (await res.json()) as { event_id: string; workflow_id: string };
    const {
      rows: [stored],
    } = await database.db.query('SELECT issue_title, payload, status FROM github_issue_events WHERE id = $1', [id]);
    expect(stored).toMatchObject({ issue_title: 'nul\ufffdtitle', status: 'started', payload: { issue: { body: 'b\ufffd' } } });
    const { typedSearchAttributes } = await api.runtime.temporal.workflow.getHandle(workflowId).describe();
    expect(typedSearchAttributes.get(RayneRepository)).toMatch(/^acme\/r+#[0-9a-f]{16}$/);
  });

  it('answers 400 for an issue number beyond a Postgres integer, storing nothing', async () => {
    const count = async () => (await database.db.query('SELECT count(*)::int AS n FROM github_issue_events')).rows[0].n;
    const before = await count();
    const res = await deliver(api, 'issues', issuePayload('opened', { repository: 'acme/shop', number: 2 ** 31, title: 'x' }), {
      secret: SECRET,
    });
    expect(res.status).toBe(400);
    expect(await count()).toBe(before);
  });
});
