import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A fresh RAYNE_HOME under the test run's folder, reachable by the embedded Postgres user. */
export function tempHome(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(process.env.RAYNE_TEST_WORK_DIR!, `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export interface RayneProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output: () => string;
  stdout: () => string;
  stderr: () => string;
}

/**
 * Starts `rayne <args>` as a user would, with a minimal environment plus `env`. `detached` gives
 * it its own process group, so a test can signal the group as a terminal's Ctrl-C does.
 */
export function spawnRayne(args: string[], env: Record<string, string>, detached = false): RayneProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), ...args], {
    cwd: ROOT,
    detached,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
      ...env,
    },
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => ((output += d), (stdout += d)));
  child.stderr.on('data', (d) => ((output += d), (stderr += d)));
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `rayne <args>` to its end; resolves with its exit code and output (also stdout and stderr apart). */
export function runRayne(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; stdout: string; stderr: string }> {
  const p = spawnRayne(args, env);
  // 'close', not 'exit': the output streams have ended by then.
  return new Promise((resolve) =>
    p.child.once('close', (code) => resolve({ code, output: p.output(), stdout: p.stdout(), stderr: p.stderr() })),
  );
}
