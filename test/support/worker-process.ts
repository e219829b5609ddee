import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config';
import { eventually, temporalAddress } from './harness';

const ROOT = path.resolve(__dirname, '../..');

/** A `rayne worker` process and everything it wrote so far (stdout and stderr interleaved). */
export type WorkerProcess = ChildProcess & { output(): string };

/** `rayne worker` as its own process, so the test can kill it like a crashed pod. */
export async function startWorkerProcess(
  config: Config,
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      RAYNE_ENCRYPTION_KEY: config.RAYNE_ENCRYPTION_KEY!,
      RAYNE_HOME: config.home,
      // Several workers run at once: each serves its metrics on a free port (logged as "worker metrics listening").
      RAYNE_WORKER_METRICS_PORT: '0',
      ...extraEnv,
    },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`rayne worker exited early:\n${output}`);
    return output.includes('worker running');
  }, 60_000);
  return Object.assign(child, { output: () => output });
}

export const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
