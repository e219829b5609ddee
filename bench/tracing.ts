/**
 * npm run bench:tracing [-- --count N --concurrency C]
 *
 * What tracing costs the webhook path: two `rayne api` processes on the same Postgres and Temporal,
 * one with DD_TRACE_ENABLED=true and an agent URL nobody answers (the "no agent" case), one without
 * tracing, each sent N alerts over HTTP in interleaved rounds. The untraced API is the baseline.
 * The last line is machine-readable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/dev/free-port';
import { arg, compareInRounds, report, runBenchmark } from './measure';

const count = arg('count', 400);
const concurrency = arg('concurrency', 8);
const ROOT = path.resolve(__dirname, '../..');

/** `rayne api` as its own process, as production runs it; resolves once it listens. */
async function startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), 'api'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: os.tmpdir(), LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`rayne api exited:\n${output}`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    if (i > 600) throw new Error(`rayne api did not listen:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

runBenchmark('bench-tracing', async ({ config, databaseUrl, temporalAddress, stops }) => {
  const common = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: 'bench-tracing',
    RAYNE_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    RAYNE_HOME: config.home,
  };
  const traced = await startApi({ ...common, DD_TRACE_ENABLED: 'true', DD_TRACE_AGENT_URL: `http://127.0.0.1:${await freePort()}` });
  const plain = await startApi(common);
  for (const { child } of [traced, plain])
    stops.push(async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    });

  console.log(`tracing benchmark: ${count} alerts to each API, ${concurrency} in flight, interleaved rounds, ${os.cpus().length} cores`);
  const runId = Date.now();
  const send = (url: string, offset: number) => async (i: number) => {
    const res = await fetch(`${url}/v1/webhooks/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        monitor_id: offset + i,
        alert_status: 'Alert',
        hostname: `trace-${i}`,
        transition_id: `${runId}-${offset}-${i}`,
      }),
    });
    if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
  };
  const [tracedSample, plainSample] = await compareInRounds(count, concurrency, send(traced.url, 400000), send(plain.url, 500000));
  const on = report('traced, no agent', tracedSample);
  const off = report('untraced', plainSample);
  console.log(
    `tracing_ratio=${(on.rps / off.rps).toFixed(3)} traced_p50_ms=${on.p50.toFixed(1)} untraced_p50_ms=${off.p50.toFixed(1)} traced_p99_ms=${on.p99.toFixed(1)}`,
  );
});
