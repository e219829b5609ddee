import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../src/dev/free-port';
import { type RayneProcess, runRayne, spawnRayne, tempHome } from '../support/cli';
import { createTestDatabase, eventually, temporalAddress } from '../support/harness';
import { metricValue } from '../support/prometheus';

/** Runs `rayne dev` in its own process group and waits for its "Rayne is up" banner. */
async function startDev(env: Record<string, string>, args: string[] = []): Promise<RayneProcess> {
  const dev = spawnRayne(['dev', ...args], env, true);
  await eventually(async () => {
    if (dev.child.exitCode !== null) throw new Error(`rayne dev exited early:\n${dev.output()}`);
    return dev.output().includes('Rayne is up');
  }, 90_000);
  return dev;
}

/** SIGINT to the process group (like Ctrl-C in a terminal) or to rayne alone; resolves with the exit code. */
async function stopDev({ child }: RayneProcess, target: 'group' | 'process'): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(target === 'group' ? -child.pid! : child.pid!, 'SIGINT');
  return exited;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('rayne dev', () => {
  it('starts the whole stack, takes an alert end to end, stops every child on Ctrl-C, and keeps data across restarts', async () => {
    const home = tempHome('dev');
    const ports = {
      PORT: await freePort(),
      RAYNE_PG_PORT: await freePort(),
      RAYNE_TEMPORAL_PORT: await freePort(),
      RAYNE_TEMPORAL_UI_PORT: await freePort(),
    };
    // A short settling wait: the alert's incident group starts its RCA well within the test's wait.
    const env = { RAYNE_HOME: home, RAYNE_GROUP_WAIT_S: '2', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    const api = `http://127.0.0.1:${ports.PORT}`;

    const first = await startDev(env);
    for (const port of Object.values(ports)) expect(first.output()).toContain(String(port));
    const res = await fetch(`${api}/v1/webhooks/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ monitor_id: 1, alert_status: 'Alert', hostname: 'web-01', alert_id: 9, transition_id: 't1' }),
    });
    expect(res.status).toBe(202);
    const { event_id } = (await res.json()) as { event_id: string };
    await eventually(
      async () => ((await (await fetch(`${api}/v1/webhooks/events/${event_id}`)).json()) as { status: string }).status === 'processed',
    );
    expect(await fetch(`http://127.0.0.1:${ports.RAYNE_TEMPORAL_UI_PORT}/`).then((r) => r.status)).toBe(200);
    // Ctrl-C on an idle stack: the alert's RCA has finished. (With activities in flight the terminal's SIGINT
    // reaches Postgres too; Temporal runs in its own process group, so it outlives the worker's last task.)
    await eventually(async () => {
      const rca = await fetch(`${api}/v1/rca/${encodeURIComponent(`rca/${event_id}`)}`);
      return rca.status === 200 && ['completed', 'failed'].includes(((await rca.json()) as { status: string }).status);
    }, 60_000);

    expect(await stopDev(first, 'group')).toBe(0);
    expect(first.output()).toContain('stopped.');
    // A clean Ctrl-C is quiet: no warnings from the SDK's core or the servers as they go down.
    expect(first.output().split('stopping ...')[1]).not.toMatch(/\b(WARN|ERROR)\b/);
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);

    const second = await startDev(env);
    try {
      const again = (await (await fetch(`${api}/v1/webhooks/events/${event_id}`)).json()) as {
        status: string;
        workflow: { status: string };
      };
      expect(again.status).toBe('processed');
      expect(again.workflow.status).toBe('RUNNING');
    } finally {
      expect(await stopDev(second, 'process')).toBe(0);
      expect(second.output()).toContain('stopped.');
    }
  }, 180_000);

  it('leaves neither Postgres nor the Temporal dev server behind when a command that does not handle signals is terminated', async () => {
    const home = tempHome('eval-terminated');
    const scenarios = fs.mkdtempSync(path.join(home, 'scenarios-'));
    fs.copyFileSync(path.resolve(__dirname, '../../scenarios/storefront-web-host-cpu.json'), path.join(scenarios, 'one.json'));
    const run = spawnRayne(['eval', scenarios], { RAYNE_HOME: home });
    /** The servers started for the command: processes other than rayne whose command line names its home. */
    const servers = () =>
      fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .map((p) => {
          try {
            return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        })
        .filter((args) => args.includes(home) && !args.includes('rayne.js'));
    await eventually(async () => run.output().includes('Temporal dev server') && servers().length >= 2, 60_000);
    const exited = new Promise((resolve) => run.child.once('exit', resolve));
    run.child.kill('SIGTERM');
    await exited;
    await eventually(async () => servers().length === 0, 15_000);
  }, 90_000);

  it('skips embedded Postgres and the Temporal dev server when DATABASE_URL and TEMPORAL_ADDRESS point at real ones', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const home = tempHome('dev-real');
    const dev = await startDev({
      RAYNE_HOME: home,
      PORT: String(port),
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: `dev-real-${port}`,
    });
    try {
      expect(dev.output()).not.toMatch(/Postgres \(embedded|Temporal dev server/);
      expect(fs.existsSync(path.join(home, 'pg'))).toBe(false);
      const res = await fetch(`http://127.0.0.1:${port}/v1/webhooks/receive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ monitor_id: 5, alert_status: 'Warn', hostname: 'real-01' }),
      });
      expect(res.status).toBe(202);
      const { event_id } = (await res.json()) as { event_id: string };
      await eventually(
        async () =>
          (await database.db.query('SELECT status FROM webhook_events WHERE id = $1', [event_id])).rows[0]?.status === 'processed',
      );
      // One process: the API's /metrics serves its own series, the worker's and Temporal Core's.
      const metrics = await eventually(async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return (
          metricValue(text, 'rayne_activity_duration_seconds_count', { activity_type: 'recordTransition', outcome: 'completed' }) >= 1 &&
          text
        );
      });
      expect(metricValue(metrics, 'rayne_webhooks_received_total')).toBe(1);
      expect(metrics).toMatch(/^temporal_\w+/m);
    } finally {
      expect(await stopDev(dev, 'process')).toBe(0);
      await database.drop();
    }
  }, 120_000);

  it('with --sandbox, ends the quick start in an RCA with a conclusion and its console page', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const dev = await startDev(
      {
        RAYNE_HOME: tempHome('dev-sandbox'),
        PORT: String(port),
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: temporalAddress(),
        TEMPORAL_TASK_QUEUE: `dev-sandbox-${port}`,
        RAYNE_GROUP_WAIT_S: '2',
      },
      ['--sandbox'],
    );
    try {
      expect(dev.output()).toContain(`Console      http://127.0.0.1:${port}/`);
      expect(dev.output()).toContain(`reference at http://127.0.0.1:${port}/docs`);
      expect(dev.output()).toMatch(/Datadog {6}http:\/\/127\.0\.0\.1:\d+ {2}\(sandbox, account "sandbox"\)/);
      expect(dev.output()).toContain('./bin/rayne.js send --scenario scenarios/storefront-web-host-cpu.json --wait');
      const sent = await runRayne(['send', '--scenario', 'scenarios/storefront-web-host-cpu.json', '--wait', '--url', api], {});
      // A request slower than a second prints a progress note on a busy machine; anything else is an error.
      expect(sent.stderr.replace(/^rayne: waiting for .*\n/gm, '')).not.toContain('rayne:');
      expect(sent.code).toBe(0);
      // The sandbox's evidence carries it to a conclusion: a verdict, a named culprit, and what to do.
      expect(sent.stdout).toMatch(/Conclusion \(offline\): (confirmed|likely|inconclusive), \w+, confidence \d+%/);
      expect(sent.stdout).toMatch(/top hypotheses:\n\s+1\. \w+ · \S/);
      expect(sent.stdout).toMatch(/remediation:\n\s+- \S/);
      const consoleUrl = sent.stdout.match(/Read it in the console: (\S+)/)![1]!;
      expect(consoleUrl).toMatch(new RegExp(`^${api}/rca/\\d+$`));
      const page = await fetch(consoleUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('data-testid="timeline"');
    } finally {
      expect(await stopDev(dev, 'process')).toBe(0);
      await database.drop();
    }
  }, 180_000);
});
