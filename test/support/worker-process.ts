import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config';
import { eventually, temporalAddress } from './harness';

const ROOT = path.resolve(__dirname, '../..');

/** `rayne worker` as its own process, so the test can kill it like a crashed pod. */
export async function startWorkerProcess(config: Config, databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE, RAYNE_ENCRYPTION_KEY: config.RAYNE_ENCRYPTION_KEY!, RAYNE_HOME: config.home,
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
  return child;
}

export const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

