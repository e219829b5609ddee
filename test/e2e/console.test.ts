import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { launchChromium } from '../support/browser';
import { deliver, issuePayload } from '../support/github-deliveries';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

jest.setTimeout(180_000);

const scenario = loadScenario(path.resolve(__dirname, '../../scenarios/checkout-service-error-rate-spike.json'));
const TOKEN = 'console-test-token-do-not-echo';
const GITHUB_SECRET = 'console-github-secret';

describe('the report console, driven in headless Chromium', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let sandbox: DatadogSandbox;
  let worker: { stop(): Promise<void> };
  let server: ReturnType<typeof serve>;
  let browser: Browser;
  let page: Page;
  let base: string;
  let eventId: string;
  let rca: any;

  const bearer = { authorization: `Bearer ${TOKEN}` };
  const apiGet = async (url: string) => (await api.app.request(url, { headers: bearer })).json() as Promise<any>;
  const sessionCookie = async () => (await page.context().cookies()).find((c) => c.name === 'rayne_console')!.value;

  beforeAll(async () => {
    browser = await launchChromium();
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario, apiKey: 'k', appKey: 'a' });
    api = createTestApi(
      database.url,
      testConfig({ RAYNE_API_TOKEN: TOKEN, GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, TEMPORAL_UI_URL: 'http://ui.example' }),
    );
    expect(
      (await postJson(api.app, '/v1/accounts', { name: 'console', base_url: sandbox.url, api_key: 'k', app_key: 'a' }, bearer)).status,
    ).toBe(201);
    worker = await startTestWorker(database.db, api.config);
    const accepted = (await (
      await postJson(api.app, '/v1/webhooks/receive', { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000) })
    ).json()) as { event_id: string };
    eventId = accepted.event_id;
    rca = await eventually(async () => {
      const body = await apiGet(`/v1/rca/${eventId}`);
      return body.status === 'completed' && body;
    }, 120_000);
    server = await new Promise((resolve) => {
      const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await worker?.stop();
    await api?.close();
    await sandbox?.close();
    await database?.drop();
  });

  it('asks for the token once, refuses a wrong one, and keeps it out of the page and of scripts', async () => {
    const first = await page.goto(`${base}/rca/${eventId}`);
    expect(first!.status()).toBe(401);
    await page.getByLabel('API token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That is not the API token.');
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where it started, signed in.
    expect(new URL(page.url()).pathname).toBe(`/rca/${eventId}`);
    expect(await page.locator('h1').textContent()).toContain(`rca/${eventId}`);
    expect(await page.content()).not.toContain(TOKEN);
    expect(await page.evaluate('document.cookie')).toBe('');
    // The browser holds a session id, not the token.
    const session = await sessionCookie();
    expect(session).not.toContain(TOKEN);
    expect(session).toMatch(/^[\w-]{43}$/);
  });

  it('lists incidents with their verdicts, and filters them', async () => {
    await page.goto(`${base}/`);
    const row = page.getByTestId('incident-row').filter({ hasText: `#${eventId}` });
    expect(await row.textContent()).toContain(scenario.alert.monitor_name as string);
    expect(await row.getByTestId('verdict').textContent()).toBe(rca.report.verdict);
    expect(await row.getByTestId('source').textContent()).toBe('datadog');
    await page.getByLabel('Source').selectOption('alertmanager');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(new URL(page.url()).searchParams.get('source')).toBe('alertmanager');
    expect(await page.getByTestId('incident-row').count()).toBe(0);
    await page.goto(`${base}/`);
    await page.getByLabel('Alert status').selectOption('OK');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(new URL(page.url()).searchParams.get('alert_status')).toBe('OK');
    expect(await page.getByTestId('incident-row').count()).toBe(0);
    expect(await page.getByText('No incidents match.').isVisible()).toBe(true);
    const bad = await page.goto(`${base}/?status=bogus`);
    expect(bad!.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('invalid query parameters');
  });

  it('shows an incident with its transitions, processor runs, RCA and Temporal link', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: `#${eventId}` }).click();
    expect(new URL(page.url()).pathname).toBe(`/incidents/${eventId}`);
    expect(await page.getByTestId('transition').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Open in Temporal' }).getAttribute('href')).toMatch(
      /^http:\/\/ui\.example\/namespaces\/default\/workflows\//,
    );
    expect(await page.getByText('Processor runs').isVisible()).toBe(true);
    await page.getByRole('link', { name: `rca/${eventId}`, exact: true }).click();
    expect(await page.getByTestId('root-cause').textContent()).toBe(`Root cause: ${rca.report.root_cause}`);
  });

  it('shows the RCA: verdict, ranked hypotheses, evidence links, and the evidence on a timeline with the alert marked', async () => {
    const { evidence: bundle } = await apiGet(`/v1/rca/${eventId}/evidence`);
    await page.goto(`${base}/rca/${eventId}`);
    expect(await page.getByTestId('report').getByTestId('verdict').textContent()).toBe(rca.report.verdict);
    const hypotheses = page.getByTestId('hypothesis');
    expect(await hypotheses.count()).toBe(rca.report.hypotheses.length);
    expect(await hypotheses.first().textContent()).toContain(rca.report.hypotheses[0].culprit);
    expect(await page.getByTestId('remediation').locator('li').count()).toBe(rca.report.remediation.length);
    expect(await page.getByRole('link', { name: 'Monitor' }).getAttribute('href')).toBe(bundle.links.monitor);
    expect(await page.getByRole('link', { name: 'Temporal run' }).getAttribute('href')).toContain('http://ui.example/');
    const timeline = page.getByTestId('timeline');
    expect(await timeline.isVisible()).toBe(true);
    expect(await timeline.getByTestId('timeline-alert').textContent()).toContain('alert');
    expect(await timeline.getByTestId('timeline-event').count()).toBe(bundle.events.length);
    expect(await timeline.getByTestId('timeline-logs').count()).toBe(Math.min(6, bundle.logTemplates.length));
    expect(await timeline.getByTestId('timeline-metric').count()).toBe(
      Math.min(4, bundle.metrics.filter((m: any) => m.points.length).length),
    );
    expect(bundle.events.length + bundle.logTemplates.length).toBeGreaterThan(0);
  });

  it('confirms the root cause through the feedback API', async () => {
    await page.goto(`${base}/rca/${eventId}`);
    await page.getByLabel('Comment (optional)').fill('seen in the deploy log');
    await page.getByRole('button', { name: 'Confirm root cause' }).click();
    const status = page.getByTestId('feedback-status');
    await status.getByText(/^(Feedback stored|Failed)/).waitFor();
    expect(await status.textContent()).toBe('Feedback stored: confirmed.');
    const { rows } = await database.db.query('SELECT verdict, comment FROM rca_feedback WHERE rca_id = $1', [`rca/${eventId}`]);
    expect(rows).toEqual([{ verdict: 'confirmed', comment: 'seen in the deploy log' }]);
  });

  it('re-runs the analysis and links the new run', async () => {
    await page.goto(`${base}/rca/${eventId}`);
    await page.getByLabel('Analyst').selectOption('offline');
    await page.getByRole('button', { name: 'Re-run the analysis' }).click();
    const link = page.getByTestId('rerun-status').getByRole('link');
    await link.waitFor();
    expect(await link.textContent()).toBe(`rca/${eventId}/rerun-1`);
    await link.click();
    // The re-run's row is written by its workflow's first activity: until then the page says not found.
    await eventually(async () => (await page.reload())!.status() === 200);
    expect(await page.locator('h1').textContent()).toContain(`rca/${eventId}/rerun-1`);
  });

  it('retries a never-started event from its page, and says what Temporal answered for one it still refuses', async () => {
    let monitor = 88_200;
    /** An event as the intake leaves one whose start never succeeded; an OK transition starts no RCA. */
    const storeNotStarted = async (status: string, workflowId?: string) => {
      monitor += 1;
      const { rows } = await database.db.query(
        `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id, start_attempts, last_error)
         VALUES ($1, 'console', $2, 'OK', '*', '{}', $3, $4, 10, 'connection refused') RETURNING id::text`,
        [`console-retry-${monitor}`, String(monitor), status, workflowId ?? `incident/console/${monitor}/*`],
      );
      return rows[0].id as string;
    };
    const statusOf = async (id: string) =>
      (await database.db.query('SELECT status FROM webhook_events WHERE id = $1', [id])).rows[0].status;

    const dead = await storeNotStarted('dead_letter');
    await page.goto(`${base}/incidents/${dead}`);
    await page.getByRole('button', { name: 'Retry the start' }).click();
    await page
      .getByTestId('retry-status')
      .getByText(/^(Retried|Failed)/)
      .waitFor();
    expect(await page.getByTestId('retry-status').textContent()).toBe('Retried: the event is started.');
    expect(['started', 'processed']).toContain(await statusOf(dead));
    await page.reload();
    expect(await page.getByTestId('retry').count()).toBe(0);

    const tooLong = await storeNotStarted('rejected', `incident/console/x/${'x'.repeat(1100)}`);
    await page.goto(`${base}/incidents/${tooLong}`);
    await page.getByRole('button', { name: 'Retry the start' }).click();
    await page
      .getByTestId('retry-status')
      .getByText(/^(Retried|Failed)/)
      .waitFor();
    expect(await page.getByTestId('retry-status').textContent()).toMatch(/^Failed \(422\): .*workflow id is \d+ bytes/);
    expect(await statusOf(tooLong)).toBe('rejected');
  });

  it('lists GitHub deliveries and shows one', async () => {
    const res = await deliver(api, 'issues', issuePayload('edited', { repository: 'acme/console', number: 7, title: 'Checkout is slow' }), {
      secret: GITHUB_SECRET,
    });
    expect(res.status).toBe(200);
    await page.goto(`${base}/github`);
    const row = page.getByTestId('triage-row').filter({ hasText: 'acme/console#7' });
    expect(await row.textContent()).toContain('skipped');
    await row.getByRole('link', { name: /^#\d+$/ }).click();
    expect(await page.locator('h1').textContent()).toContain('acme/console#7');
  });

  it("lets the console's cookie post to the API only with the console's header", async () => {
    const cookie = `rayne_console=${await sessionCookie()}`;
    expect((await fetch(`${base}/v1/rca`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${base}/v1/rca`, { headers: { cookie, 'x-rayne-console': '1' } })).status).toBe(200);
  });

  it('signs out by ending the session: the old cookie opens neither pages nor the API', async () => {
    const cookie = `rayne_console=${await sessionCookie()}`;
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect((await page.context().cookies()).filter((c) => c.name === 'rayne_console')).toEqual([]);
    expect((await fetch(`${base}/`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${base}/v1/rca`, { headers: { cookie, 'x-rayne-console': '1' } })).status).toBe(401);
  });
});
