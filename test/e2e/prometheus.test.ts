import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { freePort } from '../../src/dev/free-port';
import {
  createTestApi,
  createTestDatabase,
  eventually,
  postJson,
  startTestWorker,
  terminateWorkflowsOf,
  testConfig,
  type TestApi,
} from '../support/harness';

// htpasswd (apache2-utils) makes the bcrypt hash Prometheus' web config asks for basic auth.
const BINARIES = {
  prometheus: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  'prometheus-node-exporter': 'prometheus-node-exporter',
  htpasswd: 'apache2-utils',
};
const missing = Object.keys(BINARIES).filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
if (missing.length)
  console.warn(
    `skipping the Prometheus end-to-end test: ${missing.join(', ')} not installed (apt-get install ${missing.map((b) => BINARIES[b as keyof typeof BINARIES]).join(' ')})`,
  );
const describeWithPrometheus = missing.length ? describe.skip : describe;

const SECRET = 'am-webhook-secret';
const PROM_USER = 'rayne';
const PROM_PASSWORD = 'prometheus-reader-password';
const PROM_AUTH = { authorization: `Basic ${Buffer.from(`${PROM_USER}:${PROM_PASSWORD}`).toString('base64')}` };
const EXPR = 'rayne_test_failing{job="target"} > 0';

/** Starts a server process with its own data folder; its output goes to a log there, shown if it dies. */
function start(bin: string, args: string[], dir: string): ChildProcess {
  const log = fs.openSync(path.join(dir, 'log'), 'a');
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', log, log] });
  child.on(
    'exit',
    (code) => code && console.warn(`${bin} exited ${code}:\n${fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000)}`),
  );
  return child;
}

const ready = (url: string, headers: Record<string, string> = {}) =>
  eventually(async () => (await fetch(url, { headers }).catch(() => undefined))?.ok, 60_000);

describeWithPrometheus("Prometheus end to end: Debian's Prometheus, Alertmanager and node exporter", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let worker: { stop(): Promise<void> };
  let rayne: http.Server;
  let target: http.Server;
  let failing = 0;
  // The target's process start time: a restart moves it, as a real process's does.
  let startedAt = 1_700_000_000;
  const children: ChildProcess[] = [];
  const ports: Record<string, number> = {};
  let work: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_WEBHOOK_SECRET: SECRET, RAYNE_API_TOKEN: 'tok' }));
    worker = await startTestWorker(database.db, api.config);
    rayne = await new Promise((resolve) => {
      const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as http.Server));
    });
    // The tiny target: one gauge the test turns on and off, and a counter like a real service's.
    target = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        `# TYPE rayne_test_failing gauge\nrayne_test_failing ${failing}\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ${startedAt}\n`,
      );
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));

    work = fs.mkdtempSync(path.join(process.env.RAYNE_TEST_WORK_DIR ?? '/tmp', 'prometheus-e2e-'));
    for (const name of ['prometheus', 'alertmanager', 'node-exporter']) {
      fs.mkdirSync(path.join(work, name), { mode: 0o755 });
      ports[name] = await freePort();
    }
    const dir = (name: string) => path.join(work, name);
    const rayneUrl = `http://127.0.0.1:${(rayne.address() as AddressInfo).port}`;

    children.push(start('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${ports['node-exporter']}`], dir('node-exporter')));
    fs.writeFileSync(
      path.join(dir('alertmanager'), 'alertmanager.yml'),
      `route:
  receiver: rayne
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: rayne
    webhook_configs:
      - url: ${rayneUrl}/v1/webhooks/alertmanager/prom
        send_resolved: true
        http_config:
          authorization:
            credentials: ${SECRET}
`,
    );
    children.push(
      start(
        'prometheus-alertmanager',
        [
          '--config.file=alertmanager.yml',
          `--storage.path=${dir('alertmanager')}/data`,
          `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
          '--cluster.listen-address=',
        ],
        dir('alertmanager'),
      ),
    );
    fs.writeFileSync(
      path.join(dir('prometheus'), 'rules.yml'),
      `groups:
  - name: rayne-test
    interval: 1s
    rules:
      - alert: TargetFailing
        expr: ${EXPR}
        labels: { severity: page }
        annotations: { summary: "the test target says it is failing" }
`,
    );
    fs.writeFileSync(
      path.join(dir('prometheus'), 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [rules.yml]
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${ports.alertmanager}'] }] }]
scrape_configs:
  - job_name: target
    static_configs: [{ targets: ['127.0.0.1:${(target.address() as AddressInfo).port}'] }]
  - job_name: node
    static_configs: [{ targets: ['127.0.0.1:${ports['node-exporter']}'] }]
`,
    );
    // Prometheus behind basic auth: its web config holds the password's bcrypt hash.
    const hash = spawnSync('htpasswd', ['-nbB', PROM_USER, PROM_PASSWORD], { encoding: 'utf8' }).stdout.trim().split(':')[1];
    fs.writeFileSync(path.join(dir('prometheus'), 'web.yml'), `basic_auth_users:\n  ${PROM_USER}: '${hash}'\n`);
    children.push(
      start(
        'prometheus',
        [
          '--config.file=prometheus.yml',
          '--web.config.file=web.yml',
          `--storage.tsdb.path=${dir('prometheus')}/data`,
          `--web.listen-address=127.0.0.1:${ports.prometheus}`,
        ],
        dir('prometheus'),
      ),
    );
    await ready(`http://127.0.0.1:${ports['node-exporter']}/metrics`);
    await ready(`http://127.0.0.1:${ports.alertmanager}/-/ready`);
    await ready(`http://127.0.0.1:${ports.prometheus}/-/ready`, PROM_AUTH);

    const created = await postJson(
      api.app,
      '/v1/accounts',
      {
        name: 'prom',
        prometheus: { url: `http://127.0.0.1:${ports.prometheus}/`, basic_auth: { username: PROM_USER, password: PROM_PASSWORD } },
      },
      { authorization: 'Bearer tok' },
    );
    expect(created.status).toBe(201);
    expect(JSON.stringify(await created.json())).not.toContain(PROM_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => c.once('exit', r))));
    target?.close();
    rayne?.close();
    if (database) await terminateWorkflowsOf(database.db, api.runtime.temporal, 'SELECT DISTINCT workflow_id FROM webhook_events');
    await worker?.stop();
    await api?.close();
    await database?.drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('tests the account against the real Prometheus, which takes its basic auth and refuses a wrong password', async () => {
    const tested = await postJson(api.app, '/v1/accounts/prom/test', {}, { authorization: 'Bearer tok' });
    const text = await tested.text();
    expect(text).not.toContain(PROM_PASSWORD);
    expect(JSON.parse(text)).toMatchObject({ valid: true, prometheus: { valid: true, version: expect.stringMatching(/^2\./) } });
    const url = `http://127.0.0.1:${ports.prometheus}`;
    const wrong = { name: 'prom-wrong', prometheus: { url, basic_auth: { username: PROM_USER, password: 'not-it' } } };
    expect((await postJson(api.app, '/v1/accounts', wrong, { authorization: 'Bearer tok' })).status).toBe(201);
    const refused = (await (await postJson(api.app, '/v1/accounts/prom-wrong/test', {}, { authorization: 'Bearer tok' })).json()) as any;
    expect(refused).toMatchObject({ valid: false, prometheus: { valid: false, status: 401 } });
  });

  it("routes a firing rule through Alertmanager to Rayne, whose RCA cites Prometheus' real series, and closes the incident on resolve", async () => {
    // A baseline first: the series exist and the target is healthy.
    await eventually(async () => {
      const r = await fetch(
        `http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent('count_over_time(up{job="target"}[1m])')}`,
        { headers: PROM_AUTH },
      );
      const value = Number(((await r.json()) as any).data?.result?.[0]?.value?.[1] ?? 0);
      return value >= 10;
    }, 60_000);
    // The target restarts, and Prometheus has seen it, before the rule fires.
    startedAt += 60;
    await eventually(async () => {
      const r = await fetch(
        `http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent('changes(process_start_time_seconds{job="target"}[30m])')}`,
        { headers: PROM_AUTH },
      );
      return Number(((await r.json()) as any).data?.result?.[0]?.value?.[1] ?? 0) >= 1;
    }, 60_000);
    failing = 1;

    const alert = await eventually(
      async () =>
        (
          await database.db.query(
            `SELECT id::text, source, account, monitor_id, alert_status FROM webhook_events WHERE source = 'alertmanager' AND alert_status = 'Alert'`,
          )
        ).rows[0],
      60_000,
    );
    expect(alert).toMatchObject({ account: 'prom', monitor_id: 'alertmanager:TargetFailing' });

    const evidence = await eventually(
      async () =>
        (
          await database.db.query(`SELECT e.bundle FROM rca_evidence e JOIN rca_runs r ON r.id = e.rca_id WHERE r.event_id = $1`, [
            alert.id,
          ])
        ).rows[0]?.bundle,
      90_000,
    );
    const source = (
      await database.db.query(
        `SELECT s.status, s.items, s.data FROM rca_sources s JOIN rca_runs r ON r.id = s.rca_id WHERE r.event_id = $1 AND source = 'prometheus'`,
        [alert.id],
      )
    ).rows[0];
    expect(source).toMatchObject({ status: 'ok' });

    // The alerting expression, read with query_range: the real series, which appeared at the onset.
    const targetInstance = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    expect(evidence.prometheus.url).toBe(`http://127.0.0.1:${ports.prometheus}`);
    expect(evidence.prometheus.expression.query).toBe(EXPR);
    const [series] = evidence.prometheus.expression.series;
    expect(series.scope).toContain(`instance:${targetInstance}`);
    expect(series.last).toBe(1);
    expect(series.baseline).toBeNull();
    expect(evidence.prometheus.expression.onset).toEqual(expect.any(String));
    expect(series.link).toContain(`http://127.0.0.1:${ports.prometheus}/graph?g0.expr=`);
    // The rule's state from /api/v1/rules, and its alert from /api/v1/alerts.
    expect(evidence.prometheus.rule).toMatchObject({ name: 'TargetFailing', query: EXPR, health: 'ok' });
    expect(evidence.prometheus.alerts[0]).toMatchObject({ labels: expect.objectContaining({ alertname: 'TargetFailing' }) });
    // The target's health by its job and instance, and its host's node exporter by the instance's host.
    const metric = (label: string) => evidence.metrics.find((m: any) => m.label === label);
    expect(metric('up')).toMatchObject({ query: `up{job="target",instance="${targetInstance}"}`, last: 1, baseline: 1 });
    expect(metric('node CPU busy (share)')?.scope).toBe(`instance:127.0.0.1:${ports['node-exporter']}`);
    expect(metric('up').link).toContain(`http://127.0.0.1:${ports.prometheus}/graph?`);
    // No Datadog keys: the Datadog sources say so, and nothing shows the Prometheus token.
    expect(evidence.missing).toEqual(
      expect.arrayContaining([expect.objectContaining({ source: 'logs', reason: expect.stringContaining('not configured') })]),
    );
    const report = await eventually(
      async () => (await database.db.query(`SELECT rep.report FROM rca_reports rep WHERE rep.event_id = $1`, [alert.id])).rows[0]?.report,
      90_000,
    );
    expect(JSON.stringify(report)).toContain('only its Prometheus was read');
    // The investigating analyst read the target's health with its Prometheus tool, and names the restart it saw there.
    const investigation = (
      await database.db.query(
        `SELECT e.bundle->'investigation' AS reads FROM rca_evidence e JOIN rca_runs r ON r.id = e.rca_id WHERE r.event_id = $1`,
        [alert.id],
      )
    ).rows[0].reads;
    const health = investigation.find((r: any) => r.tool === 'prometheus_target_health');
    expect(health).toMatchObject({ ok: true, input: { job: 'target', instance: targetInstance } });
    expect(health.result).toContain(`process restarts instance:${targetInstance},job:target`);
    expect(investigation.map((r: any) => r.tool)).toEqual(expect.arrayContaining(['prometheus_query_range', 'prometheus_rule_state']));
    const restart = report.hypotheses.find((h: any) => h.culprit === 'target');
    expect(restart.statement).toContain('restarting');
    expect(restart.supporting[0]).toMatchObject({
      source: 'metrics',
      claim: expect.stringContaining(`process restarts on instance:${targetInstance},job:target rose to 1`),
      link: expect.stringContaining(`http://127.0.0.1:${ports.prometheus}/graph?g0.expr=changes`),
    });
    const stored = await database.db.query('SELECT data FROM rca_sources');
    expect(JSON.stringify(stored.rows)).not.toContain(PROM_PASSWORD);

    // Resolve: Alertmanager sends the resolved alert, and the incident closes.
    failing = 0;
    const closed = await eventually(
      async () =>
        (
          await database.db.query(
            `SELECT processing FROM webhook_events WHERE source = 'alertmanager' AND alert_status = 'OK' AND status = 'processed'`,
          )
        ).rows[0],
      60_000,
    );
    expect(closed.processing).toMatchObject({ status: 'OK', closesIncident: true });
  }, 300_000);

  it("reads a Datadog alert's host from the account's Prometheus too: every target on it and its node exporter", async () => {
    const res = await postJson(
      api.app,
      '/v1/webhooks/receive/prom',
      {
        alert_id: 1,
        alert_title: 'High CPU on 127.0.0.1',
        alert_status: 'Alert',
        monitor_id: 99,
        monitor_name: 'High CPU',
        tags: ['service:checkout'],
        timestamp: Math.floor(Date.now() / 1000),
        hostname: '127.0.0.1',
        service: 'checkout',
        scope: 'host:127.0.0.1',
        transition_id: 'dd-1',
      },
      { 'x-rayne-token': SECRET },
    );
    expect(res.status).toBe(202);
    const { event_id: eventId } = (await res.json()) as { event_id: string };
    const source = await eventually(
      async () =>
        (
          await database.db.query(
            `SELECT s.status, s.data FROM rca_sources s JOIN rca_runs r ON r.id = s.rca_id WHERE r.event_id = $1 AND source = 'prometheus'`,
            [eventId],
          )
        ).rows[0],
      90_000,
    );
    expect(source.status).toBe('ok');
    const queries = source.data.health.map((h: { query: string }) => h.query);
    expect(queries).toContain('up{instance=~"127\\\\.0\\\\.0\\\\.1(:[0-9]+)?"}');
    expect(source.data.health.find((h: any) => h.label === 'node load (1 min)')?.scope).toBe(
      `instance:127.0.0.1:${ports['node-exporter']},job:node`,
    );
    const reads = await eventually(
      async () =>
        (
          await database.db.query(
            `SELECT e.bundle->'investigation' AS reads FROM rca_evidence e JOIN rca_runs r ON r.id = e.rca_id WHERE r.event_id = $1`,
            [eventId],
          )
        ).rows[0]?.reads,
      90_000,
    );
    expect(reads.find((r: any) => r.tool === 'prometheus_target_health')).toMatchObject({ ok: true, input: { host: '127.0.0.1' } });
  }, 200_000);
});
