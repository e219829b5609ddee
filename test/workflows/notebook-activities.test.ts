import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { AccountStore } from '../../src/accounts/store';
import { createNotebookActivities } from '../../src/activities/notebook';
import type { AnalysisResult } from '../../src/analysis/report';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import { SecretBox } from '../../src/secret-box';
import { createTestDatabase } from '../support/harness';

const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/evidence/storefront-web-host-cpu.json'), 'utf8'))
  .bundle as EvidenceBundle;

const result: AnalysisResult = {
  report: {
    summary: 'The rebuild-sitemap cron saturated the CPU of web-07.',
    root_cause: 'rebuild-sitemap cron on web-07',
    category: 'cpu_saturation',
    confidence: 0.8,
    verdict: 'likely',
    hypotheses: [
      {
        category: 'cpu_saturation',
        culprit: 'rebuild-sitemap',
        statement: 'rebuild-sitemap cron on web-07',
        score: 0.8,
        supporting: [{ claim: 'CPU user at 98%', source: 'metrics', link: fixture.metrics[0]!.link }],
        against: [],
      },
    ],
    evidence: [{ claim: 'CPU user at 98%', source: 'metrics', link: fixture.metrics[0]!.link }],
    remediation: ['Stop the cron on web-07'],
    missing_data: [],
  },
  analyst: 'offline',
  usage: { turns: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimatedCostUsd: 0 },
  timings: { startedAt: '2026-11-24T02:33:00.000Z', finishedAt: '2026-11-24T02:33:01.000Z', ms: 1000 },
  reasoning: [],
};

describe('notebook activities against the Datadog sandbox', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sandbox: DatadogSandbox;
  let activities: ReturnType<typeof createNotebookActivities>;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ apiKey: 'k', appKey: 'a' });
    const accounts = new AccountStore(database.db, new SecretBox(crypto.randomBytes(32)));
    await accounts.create({ name: 'brightcart', base_url: sandbox.url, api_key: 'k', app_key: 'a' });
    activities = createNotebookActivities({ db: database.db, accounts });
  });
  afterAll(async () => {
    await sandbox.close();
    await database.drop();
  });
  beforeEach(() => {
    sandbox.data.notebooks.clear();
    sandbox.writes.length = 0;
  });

  /** Stores an event, its RCA run, the fixture's evidence (re-keyed to the event) and a report, as the workflow would. */
  async function seedRca(account = 'brightcart', rerun?: { eventId: string; n: number }) {
    const db = database.db;
    let eventId = rerun?.eventId;
    if (!eventId) {
      const {
        rows: [event],
      } = await db.query(
        `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, monitor_name, hostname, service, scope, payload, status, workflow_id)
         VALUES ($1, $2, '48212031', 'Alert', $3, 'web-07', 'storefront-ssr', 'host:web-07', '{}', 'processed', 'incident/x') RETURNING id::text`,
        [crypto.randomUUID(), account, fixture.alert.monitorName],
      );
      eventId = event.id as string;
    }
    const rcaId = rerun ? `rca/${eventId}/rerun-${rerun.n}` : `rca/${eventId}`;
    const bundle: EvidenceBundle = { ...fixture, rcaId, alert: { ...fixture.alert, eventId, account } };
    await db.query(`INSERT INTO rca_runs (id, event_id, account, phase, status) VALUES ($1, $2, $3, 'done', 'evidence_ready')`, [
      rcaId,
      eventId,
      account,
    ]);
    await db.query(`INSERT INTO rca_evidence (rca_id, bundle, summary, token_estimate) VALUES ($1, $2, 's', 1)`, [
      rcaId,
      JSON.stringify(bundle),
    ]);
    await db.query(
      `INSERT INTO rca_reports (rca_id, event_id, analyst, model, report, usage, timings) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [rcaId, eventId, result.analyst, null, JSON.stringify(result.report), JSON.stringify(result.usage), JSON.stringify(result.timings)],
    );
    return { eventId, rcaId, name: `RCA: ${fixture.alert.monitorName} (${eventId})` };
  }

  const stored = async (rcaId: string) =>
    (await database.db.query('SELECT notebook_id::int AS id, notebook_url AS url, resolved_at FROM rca_reports WHERE rca_id = $1', [rcaId]))
      .rows[0];
  const creates = () => sandbox.writes.filter((w) => w.method === 'POST' && w.path === '/api/v1/notebooks');
  const updates = () => sandbox.writes.filter((w) => w.method === 'PUT');
  const firstCellText = (id: number) => (sandbox.data.notebooks.get(id)!.attributes.cells[0] as any).attributes.definition.text as string;

  it('creates the notebook once and stores its id and URL; a retry finds it and writes nothing', async () => {
    const { rcaId, name } = await seedRca();
    const first = await activities.publishNotebook(rcaId);
    expect(first).toEqual({
      notebookId: expect.any(Number),
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/notebook\/\d+$/),
      created: true,
    });
    const { notebookId, url } = first as { notebookId: number; url: string };
    expect(url).toBe(`${sandbox.url}/notebook/${notebookId}`);
    expect(await stored(rcaId)).toMatchObject({ id: notebookId, url });
    const notebook = sandbox.data.notebooks.get(notebookId)!;
    expect(notebook.attributes.name).toBe(name);
    expect((notebook.attributes.cells as any[]).map((c) => c.attributes.definition.type)).toEqual([
      'markdown',
      'markdown',
      'markdown',
      'timeseries',
      'markdown',
      'markdown',
      'markdown',
      'markdown',
      'markdown',
    ]);
    const time = notebook.attributes.time as { start: string; end: string; live: boolean };
    expect([Date.parse(time.start), Date.parse(time.end), time.live]).toEqual([
      Date.parse(fixture.window.from),
      Date.parse(fixture.window.to),
      false,
    ]);

    expect(await activities.publishNotebook(rcaId)).toEqual({ notebookId, url, created: false });
    expect(creates()).toHaveLength(1);
    expect(updates()).toHaveLength(0);
    expect(sandbox.data.notebooks.size).toBe(1);
  });

  it('after a crash between create and storing the id, the retry reuses the notebook found by name', async () => {
    const { rcaId } = await seedRca();
    const { notebookId } = (await activities.publishNotebook(rcaId)) as { notebookId: number };
    // The worker died before the UPDATE: Datadog has the notebook, Postgres does not know it.
    await database.db.query('UPDATE rca_reports SET notebook_id = NULL, notebook_url = NULL WHERE rca_id = $1', [rcaId]);
    // Another RCA's notebook with a name containing this one must not be mistaken for it.
    const other = await seedRca();
    await activities.publishNotebook(other.rcaId);

    expect(await activities.publishNotebook(rcaId)).toMatchObject({ notebookId, created: false });
    expect((await stored(rcaId)).id).toBe(notebookId);
    expect(creates()).toHaveLength(2);
    expect(sandbox.data.notebooks.size).toBe(2);
  });

  it('updates the stored notebook when the report changed, and a re-run of the event shares it', async () => {
    const { rcaId, eventId } = await seedRca();
    const { notebookId } = (await activities.publishNotebook(rcaId)) as { notebookId: number };
    await database.db.query(`UPDATE rca_reports SET report = jsonb_set(report, '{root_cause}', '"a new root cause"') WHERE rca_id = $1`, [
      rcaId,
    ]);
    expect(await activities.publishNotebook(rcaId)).toMatchObject({ notebookId, created: false });
    expect(updates()).toHaveLength(1);
    expect(JSON.stringify(sandbox.data.notebooks.get(notebookId)!.attributes.cells)).toContain('a new root cause');

    const rerun = await seedRca('brightcart', { eventId, n: 1 });
    expect(await activities.publishNotebook(rerun.rcaId)).toMatchObject({ notebookId, created: false });
    expect(creates()).toHaveLength(1);
  });

  it('resolves the notebook found in Postgres once: banner, prefixed name, resolved_at; again is a no-op', async () => {
    const { rcaId, eventId, name } = await seedRca();
    const { notebookId } = (await activities.publishNotebook(rcaId)) as { notebookId: number };
    const cellsBefore = sandbox.data.notebooks.get(notebookId)!.attributes.cells.length;
    sandbox.writes.length = 0;

    const first = await activities.resolveNotebook(eventId, '2026-11-24T03:00:00.000Z');
    expect(first).toEqual({ resolvedAt: '2026-11-24T03:00:00.000Z', resolved: [notebookId], alreadyResolved: [] });
    const notebook = sandbox.data.notebooks.get(notebookId)!;
    expect(notebook.attributes.name).toBe(`[RESOLVED] ${name}`);
    expect(notebook.attributes.cells).toHaveLength(cellsBefore + 1);
    expect(firstCellText(notebookId)).toMatch(/^## ✅ RESOLVED/);
    expect((await stored(rcaId)).resolved_at).toEqual(new Date('2026-11-24T03:00:00.000Z'));

    // A retry, by event or by RCA id, writes nothing and keeps the first time.
    expect(await activities.resolveNotebook(eventId, '2026-11-24T04:00:00.000Z')).toEqual({
      resolvedAt: '2026-11-24T03:00:00.000Z',
      resolved: [],
      alreadyResolved: [notebookId],
    });
    expect(await activities.resolveNotebook(rcaId)).toMatchObject({ alreadyResolved: [notebookId] });
    expect(updates()).toHaveLength(1);
    expect((await stored(rcaId)).resolved_at).toEqual(new Date('2026-11-24T03:00:00.000Z'));

    // Publishing again (a late retry) keeps it resolved and writes nothing.
    expect(await activities.publishNotebook(rcaId)).toMatchObject({ notebookId, created: false });
    expect(updates()).toHaveLength(1);
    expect(sandbox.data.notebooks.get(notebookId)!.attributes.name).toBe(`[RESOLVED] ${name}`);
  });

  it('skips without failing when no Datadog account is configured, and resolve records the time', async () => {
    const { rcaId, eventId } = await seedRca('no-such-account');
    expect(await activities.publishNotebook(rcaId)).toEqual({ skipped: expect.stringContaining('no Datadog account "no-such-account"') });
    expect(await activities.resolveNotebook(eventId, '2026-11-24T03:00:00.000Z')).toEqual({
      skipped: expect.stringContaining('no notebook was published'),
    });
    expect((await stored(rcaId)).resolved_at).toEqual(new Date('2026-11-24T03:00:00.000Z'));
    expect(sandbox.writes).toHaveLength(0);
    expect(await activities.resolveNotebook('999999999999')).toEqual({ skipped: expect.stringContaining('no RCA report') });
  });

  it('turns Datadog failures into Temporal failures: 403 fails fast, 429 waits for the reset, 5xx retries', async () => {
    const { rcaId } = await seedRca();
    sandbox.failNext({ method: 'POST', path: '/api/v1/notebooks' }, { status: 403 });
    const forbidden = await activities.publishNotebook(rcaId).catch((e) => e);
    expect(forbidden).toBeInstanceOf(ApplicationFailure);
    expect(forbidden).toMatchObject({ type: 'Forbidden', nonRetryable: true });

    sandbox.failNext({ method: 'GET', path: '/api/v1/notebooks' }, { status: 429, headers: { 'x-ratelimit-reset': '7' } });
    expect(await activities.publishNotebook(rcaId).catch((e) => e)).toMatchObject({ nonRetryable: false, nextRetryDelay: 7000 });

    sandbox.failNext({ method: 'POST', path: '/api/v1/notebooks' }, { status: 503 });
    expect(await activities.publishNotebook(rcaId).catch((e) => e)).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(await stored(rcaId)).toMatchObject({ id: null });

    expect(await activities.publishNotebook(rcaId)).toMatchObject({ created: true });
    expect(sandbox.data.notebooks.size).toBe(1);
  });

  it('fails without retrying when the report was never stored', async () => {
    await expect(activities.publishNotebook('rca/424242')).rejects.toMatchObject({ type: 'NotFound', nonRetryable: true });
  });
});
