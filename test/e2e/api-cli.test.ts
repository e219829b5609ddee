import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type RunningApi, startApiServer } from '../../src/api/server';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { freePort } from '../../src/dev/free-port';
import { createLogger } from '../../src/logger';
import { runRayne, tempHome } from '../support/cli';
import { issuePayload } from '../support/github-deliveries';
import { createTestDatabase, eventually, startTestWorker, temporalAddress, testConfig } from '../support/harness';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const SCENARIO_FILE = path.join(ROOT, 'scenarios/inventory-service-restarts.json');
const scenario = loadScenario(SCENARIO_FILE);
// An account of this file's own: incident workflow ids (account, monitor, scope) share one Temporal server with other files.
const ACCOUNT = 'cli-api';
const TOKEN = `tok-${crypto.randomBytes(12).toString('hex')}`;
const GITHUB_SECRET = `gh-${crypto.randomBytes(12).toString('hex')}`;

describe('rayne send, events and rca against a running API', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sandbox: DatadogSandbox;
  let server: RunningApi;
  let worker: { stop(): Promise<void> };
  let env: Record<string, string>;
  let eventId: string;
  const outputs: string[] = [];

  /** `rayne <args>` against the test's API; every output is kept to check no token leaks. */
  const rayne = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const result = await runRayne(args, { ...env, ...extraEnv });
    outputs.push(result.output);
    return result;
  };
  /** The API's own answer, to compare with what --json printed. */
  const apiGet = async (route: string) => {
    const res = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario, apiKey: 'k', appKey: 'a' });
    const config = testConfig({
      RAYNE_API_TOKEN: TOKEN,
      GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
      TEMPORAL_UI_URL: 'http://ui.example',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    server = await startApiServer(config, database.url, temporalAddress(), createLogger('silent'));
    const created = await fetch(`${server.url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ name: ACCOUNT, base_url: sandbox.url, api_key: 'k', app_key: 'a' }),
    });
    expect(created.status).toBe(201);
    worker = await startTestWorker(database.db, config);
    env = { RAYNE_URL: server.url, RAYNE_API_TOKEN: TOKEN, GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, RAYNE_HOME: tempHome('api-cli') };
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
    await sandbox?.close();
    await database?.drop();
  });

  it("sends a scenario's alert and prints the event, its workflow and its Temporal UI link", async () => {
    const { code, stdout } = await rayne(['send', '--scenario', SCENARIO_FILE, '--account', ACCOUNT]);
    expect(code).toBe(0);
    eventId = /^event\s+(\d+)$/m.exec(stdout)![1]!;
    const workflowId = `incident/${ACCOUNT}/${scenario.alert.monitor_id}/${String(scenario.alert.scope)}`;
    expect(stdout).toMatch(/^duplicate\s+no$/m);
    expect(stdout).toMatch(new RegExp(`^workflow\\s+${workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(stdout).toContain(`temporal   http://ui.example/namespaces/default/workflows/${encodeURIComponent(workflowId)}/`);
    const stored = await apiGet(`/v1/webhooks/events/${eventId}`);
    expect(stored.body).toMatchObject({ account: ACCOUNT, monitor_id: String(scenario.alert.monitor_id), alert_status: 'Alert' });
  });

  it('sends a payload file as written, and says so when it is a redelivery', async () => {
    const file = path.join(tempHome('api-cli-payload'), 'alert.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        monitor_id: 77_031,
        alert_status: 'OK',
        monitor_name: 'CLI queue depth',
        hostname: 'cli-mq-01',
        alert_id: 5,
        transition_id: 'cli-t1',
      }),
    );
    const first = await rayne(['send', file, '--account', ACCOUNT, '--json']);
    expect(first.code).toBe(0);
    const accepted = JSON.parse(first.stdout);
    expect(accepted).toMatchObject({
      event_id: expect.any(String),
      workflow_id: `incident/${ACCOUNT}/77031/host:cli-mq-01`,
      duplicate: false,
    });
    const again = await rayne(['send', file, '--account', ACCOUNT]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^event\\s+${accepted.event_id}$`, 'm'));
    expect(again.stdout).toMatch(/^duplicate\s+yes/m);
  });

  it('finds the sent event with events list (table and --json) and events show', async () => {
    await eventually(async () => (await apiGet(`/v1/webhooks/events/${eventId}`)).body.status === 'processed', 60_000);
    const table = await rayne(['events', 'list', '--account', ACCOUNT, '--monitor-id', String(scenario.alert.monitor_id), '--since', '1h']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+RECEIVED\s+ACCOUNT\s+MONITOR\s+ALERT\s+STATUS\s+SCOPE\s+NAME$/);
    expect(lines).toHaveLength(3); // header, rule, the one event of this monitor
    expect(lines[2]!.split(/\s{2,}/).slice(0, 1)).toEqual([eventId]);
    expect(lines[2]).toMatch(new RegExp(`${ACCOUNT}\\s+${scenario.alert.monitor_id}\\s+Alert\\s+processed`));
    // Columns line up: each of the row's cells starts where its header does.
    expect(lines[2]!.indexOf(ACCOUNT)).toBe(lines[0]!.indexOf('ACCOUNT'));

    // --source filters by where alerts came from: this Datadog alert, and no Alertmanager one.
    const fromDatadog = await rayne(['events', 'list', '--account', ACCOUNT, '--source', 'datadog', '--json']);
    expect(JSON.parse(fromDatadog.stdout).events.map((e: { id: string }) => e.id)).toContain(eventId);
    const fromAlertmanager = await rayne(['events', 'list', '--account', ACCOUNT, '--source', 'alertmanager', '--json']);
    expect(JSON.parse(fromAlertmanager.stdout).events).toEqual([]);
    expect((await rayne(['events', 'list', '--source', 'nagios'])).code).toBe(2);

    const route = `/v1/webhooks/events?account=${ACCOUNT}&limit=10`;
    const json = await rayne(['events', 'list', '--account', ACCOUNT, '--limit', '10', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await apiGet(route)).body);
    expect(JSON.parse(json.stdout).events.map((e: { id: string }) => e.id)).toContain(eventId);

    const shown = await rayne(['events', 'show', eventId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^status\s+processed$/m);
    expect(shown.stdout).toMatch(new RegExp(`^decision\\s+episode 1, Alert, RCA rca/${eventId}$`, 'm'));
    expect(shown.stdout).toMatch(/^temporal\s+http:\/\/ui\.example\/namespaces\/default\/workflows\/incident%2Fcli-api%2F.+\/history$/m);
    const shownJson = await rayne(['events', 'show', eventId, '--json']);
    const { workflow, ...rest } = JSON.parse(shownJson.stdout);
    const { workflow: apiWorkflow, ...apiRest } = (await apiGet(`/v1/webhooks/events/${eventId}`)).body;
    expect(rest).toEqual(apiRest);
    expect(workflow.status).toBe(apiWorkflow.status);
  });

  it('lists and shows the RCA once it completes', async () => {
    const rca = await eventually(async () => {
      const { body } = await apiGet(`/v1/rca/${eventId}`);
      return ['completed', 'failed'].includes(body.status) && body;
    }, 120_000);
    expect(rca.status).toBe('completed');

    const list = await rayne(['rca', 'list', '--account', ACCOUNT]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^ID\s+EVENT\s+ACCOUNT\s+STATUS\s+PHASE\s+ANALYST\s+CATEGORY\s+VERDICT\s+CREATED\s+ROOT CAUSE$/,
    );
    expect(list.stdout).toMatch(
      new RegExp(`^rca/${eventId}\\s+${eventId}\\s+${ACCOUNT}\\s+completed\\s+done\\s+offline\\s+${rca.report.category}\\s`, 'm'),
    );
    const listJson = await rayne(['rca', 'list', '--event-id', eventId, '--json']);
    expect(JSON.parse(listJson.stdout)).toEqual((await apiGet(`/v1/rca?event_id=${eventId}`)).body);

    const shown = await rayne(['rca', 'show', eventId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^rca\\s+rca/${eventId}$`, 'm'));
    expect(shown.stdout).toContain(`root cause  ${rca.report.root_cause}`);
    expect(shown.stdout).toMatch(new RegExp(`^verdict\\s+${rca.report.verdict}$`, 'm'));
    expect(shown.stdout).toContain(`\nhypotheses\n  1. ${rca.report.hypotheses[0].category}  culprit ${rca.report.hypotheses[0].culprit}`);
    expect(shown.stdout).toContain(`\nremediation\n  1. ${rca.report.remediation[0]}`);
    expect(shown.stdout).toMatch(/^temporal\s+http:\/\/ui\.example\/namespaces\/default\/workflows\/rca%2F\d+$/m);
    // A full id with its slash reaches the same RCA.
    const shownJson = await rayne(['rca', 'show', `rca/${eventId}`, '--json']);
    expect(shownJson.code).toBe(0);
    expect(JSON.parse(shownJson.stdout)).toEqual(rca);
  });

  it('re-runs with the offline analyst, printing phases while it waits', async () => {
    const { code, stdout, stderr } = await rayne(['rca', 'rerun', `rca/${eventId}`, '--analyst', 'offline', '--wait']);
    expect(code).toBe(0);
    const rerunId = `rca/${eventId}/rerun-1`;
    const progress = stderr.split('\n').filter((l) => l.includes(`${rerunId}:`));
    expect(progress[0]).toMatch(/starting$/);
    expect(progress[progress.length - 1]).toMatch(/completed \(done\)$/);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(stdout).toMatch(new RegExp(`^rca\\s+${rerunId}$`, 'm'));
    expect(stdout).toMatch(/^status\s+completed$/m);
    expect(stdout).toMatch(/^analyst\s+offline$/m);
    expect((await apiGet(`/v1/rca/${encodeURIComponent(rerunId)}`)).body).toMatchObject({ status: 'completed', analyst: 'offline' });
  });

  it('says when an analyst asked for has no key and the offline one stood in', async () => {
    const { code, stdout, stderr } = await rayne(['rca', 'rerun', `rca/${eventId}`, '--analyst', 'claude', '--wait']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^analyst\s+offline$/m);
    const why = 'fell back to the offline analyst: claude was asked for, but the worker has no ANTHROPIC_API_KEY';
    expect(stderr).toContain(`rayne: ${why}`);
    expect(stdout).toContain(why);
  });

  it("exits 1 with the API's error code and message, and the details of a bad filter", async () => {
    const missing = await rayne(['events', 'show', '999999999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND: no event 999999999999');
    expect(missing.stdout).toBe('');
    const bad = await rayne(['rca', 'list', '--status', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/BAD_REQUEST: .*\n\s+- status: /);
  });

  it('retries a dead-lettered event by id, and every rejected one with --status, saying what each came to', async () => {
    let monitor = 77_100;
    /** An event as the intake leaves one whose start never succeeded; an OK transition starts no RCA. */
    const storeNotStarted = async (status: string, workflowId?: string) => {
      monitor += 1;
      const { rows } = await database.db.query(
        `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id, start_attempts, last_error)
         VALUES ($1, $2, $3, 'OK', '*', '{}', $4, $5, 10, 'connection refused') RETURNING id::text`,
        [crypto.randomUUID(), ACCOUNT, String(monitor), status, workflowId ?? `incident/${ACCOUNT}/${monitor}/*`],
      );
      return rows[0].id as string;
    };
    const dead = await storeNotStarted('dead_letter');
    const one = await rayne(['events', 'retry', dead]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^event\\s+${dead}$`, 'm'));
    expect(one.stdout).toMatch(/^status\s+started$/m);
    const again = await rayne(['events', 'retry', dead]);
    expect(again.code).toBe(1);
    // The worker may have processed it already.
    expect(again.stderr).toMatch(new RegExp(`CONFLICT: event ${dead} is (started|processed); only rejected or dead_letter`));

    const fits = await storeNotStarted('rejected');
    const tooLong = await storeNotStarted('rejected', `incident/${ACCOUNT}/x/${'x'.repeat(1100)}`);
    const all = await rayne(['events', 'retry', '--status', 'rejected']);
    expect(all.code).toBe(1);
    expect(all.stdout.split('\n')[0]).toMatch(/^ID\s+RESULT\s+DETAIL$/);
    expect(all.stdout).toMatch(new RegExp(`^${fits}\\s+started\\s+run \\S+$`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^${tooLong}\\s+UNPROCESSABLE\\s+.*workflow id is \\d+ bytes`, 'm'));
    // Oldest first.
    expect(all.stdout.indexOf(`\n${fits} `)).toBeLessThan(all.stdout.indexOf(`\n${tooLong} `));
    expect(all.stderr).toContain('rayne: 1 of 2 retried events did not start');
    expect((await apiGet(`/v1/webhooks/events/${tooLong}`)).body).toMatchObject({ status: 'rejected' });

    const none = await rayne(['events', 'retry', '--status', 'dead_letter', '--json']);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual({ retried: [] });
    expect((await rayne(['events', 'retry'])).code).toBe(2);
    expect((await rayne(['events', 'retry', dead, '--status', 'rejected'])).code).toBe(2);
  });

  it('refuses a --since it cannot read, naming the forms it takes', async () => {
    const bad = await rayne(['events', 'list', '--since', '2x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument '2x' is invalid");
    expect(bad.stderr).toContain('30m, 6h, 2d');
    expect(bad.stderr).toContain('ISO 8601');
  });

  it("exits 1 on a wrong token with the API's message, printing no token", async () => {
    const wrong = `wrong-${crypto.randomBytes(8).toString('hex')}`;
    const { code, output } = await rayne(['rca', 'list'], { RAYNE_API_TOKEN: wrong });
    expect(code).toBe(1);
    expect(output).toContain('UNAUTHORIZED: missing or wrong bearer token');
    expect(output).toContain('hint: set RAYNE_API_TOKEN');
    expect(output).not.toContain(wrong);
  });

  it('exits 69 naming the URL it tried when no API answers', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const viaOption = await rayne(['events', 'list', '--url', url]);
    expect(viaOption.code).toBe(69);
    expect(viaOption.stderr).toContain(`cannot reach the Rayne API at ${url}/v1/webhooks/events`);
    expect(viaOption.stderr).toContain('hint: is the API running');
    const viaEnv = await rayne(['rca', 'show', '1'], { RAYNE_URL: url });
    expect(viaEnv.code).toBe(69);
    expect(viaEnv.stderr).toContain(`${url}/v1/rca/1`);
  });

  it('says on stderr that it is waiting when the API takes more than a second', async () => {
    const slow = http.createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"events":[],"next_cursor":null}'), 1500);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const { code, stdout, stderr } = await rayne(['events', 'list'], {
        RAYNE_URL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      });
      expect(code).toBe(0);
      expect(stdout).toBe('no events\n');
      expect(stderr).toContain('waiting for GET /v1/webhooks/events');
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('exits 66 for a payload or scenario file it cannot read, and 2 for a usage error', async () => {
    const runsBefore = (await apiGet(`/v1/rca?event_id=${eventId}`)).body.rcas.length;
    const payload = await rayne(['send', '/nonexistent/alert.json']);
    expect(payload.code).toBe(66);
    expect(payload.stderr).toBe('rayne: /nonexistent/alert.json: file not found\n');
    const scenarioFile = await rayne(['send', '--scenario', '/nonexistent/scenario.json']);
    expect(scenarioFile.code).toBe(66);
    expect(scenarioFile.stderr).toContain('/nonexistent/scenario.json: file not found');
    const notJson = path.join(tempHome('api-cli-bad'), 'alert.json');
    fs.writeFileSync(notJson, '{"monitor_id": 1,');
    expect((await rayne(['send', notJson])).stderr).toContain(`${notJson}: not valid JSON`);

    const analyst = await rayne(['rca', 'rerun', eventId, '--analyst', 'gpt']);
    expect(analyst.code).toBe(2);
    expect(analyst.stderr).toContain('Allowed choices are claude, ollama, offline');
    expect((await rayne(['send'])).code).toBe(2);
    expect((await rayne(['events', 'list', '--limit', 'ten'])).code).toBe(2);
    // Nothing reached the API: the usage errors above started no re-run.
    expect((await apiGet(`/v1/rca?event_id=${eventId}`)).body.rcas).toHaveLength(runsBefore);
  });

  it('sends a GitHub delivery signed with the configured secret, and says what a wrong or missing secret does', async () => {
    const file = path.join(tempHome('github-send'), 'issue.json');
    fs.writeFileSync(file, JSON.stringify(issuePayload('edited', { repository: 'acme/cli', number: 5, title: 'Login is slow' })));
    const sent = await rayne(['github', 'send', file]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^status\s+skipped \(.+\)$/m);
    const deliveryId = sent.stdout.match(/^delivery\s+(\S+)$/m)![1];
    const { body } = await apiGet('/v1/webhooks/github/issues?repository=acme/cli');
    expect(body.events.map((e: any) => e.delivery_id)).toEqual([deliveryId]);
    const wrong = await rayne(['github', 'send', file], { GITHUB_WEBHOOK_SECRET: 'not-the-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('X-Hub-Signature-256 does not match');
    const none = await rayne(['github', 'send', file], { GITHUB_WEBHOOK_SECRET: '' });
    expect(none.code).toBe(78);
    expect(none.stderr).toContain('GITHUB_WEBHOOK_SECRET is not set');
  });

  it('prints the token in no output', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) expect(output).not.toContain(TOKEN);
    for (const output of outputs) expect(output).not.toContain(GITHUB_SECRET);
  });
});
