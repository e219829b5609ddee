import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function run(args: string[], home: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', RAYNE_HOME: home,
      ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
    },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const home = () => {
  const dir = fs.mkdtempSync(path.join(process.env.RAYNE_TEST_WORK_DIR!, 'eval-'));
  fs.chmodSync(dir, 0o755);
  return dir;
};

describe('rayne eval', () => {
  it('runs every scenario through the pipeline with the offline analyst and scores the stored reports', async () => {
    const { code, output } = await run(['eval', 'scenarios'], home());
    expect(code).toBe(0);
    expect(output).toMatch(/\[12\/12\] storefront-web-host-cpu \.\.\. ok/);
    const last = output.trim().split('\n').pop()!;
    const match = last.match(/^solved=(\d+)\/12 category_accuracy=(\d\.\d\d) median_evidence_tokens=(\d+)$/);
    expect(match).not.toBeNull();
    // A floor under the measured 12/12, so a regression in evidence or analysis fails here.
    expect(Number(match![1])).toBeGreaterThanOrEqual(10);
    expect(Number(match![3])).toBeLessThanOrEqual(12_000);
  }, 300_000);

  it('says what is wrong with a folder that holds no scenarios', async () => {
    const { code, output } = await run(['eval', path.join(ROOT, 'src')], home());
    expect(code).toBe(1);
    expect(output).toMatch(/holds no \*\.json scenario files/);
  });
});
