import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
// Not .log: the repository ignores *.log files.
const FIXTURE = path.join(ROOT, 'test/fixtures/logs/messages.txt');

/** Runs `rayne logs templates …` as a user would, with `input` on stdin. */
function rayneLogs(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rayne.js'), 'logs', 'templates', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const EXPECTED = [
  'Receiving block <*> src: <*>:<*> dest: <*>:<*>',
  'Accepted password for alice from <*> port <*> ssh2',
  'Receiving block <*> src: <*>:<*> dest: <*>:<*>',
  'user_id=<*> action=checkout status=failed elapsed=<*>',
  'Accepted password for alice from <*> port <*> ssh2',
  '',
  'user_id=<*> action=checkout status=failed elapsed=<*>',
  'Receiving block <*> src: <*>:<*> dest: <*>:<*>',
];

describe('rayne logs templates', () => {
  it('prints one template per line of a file, in order', async () => {
    const { code, stdout } = await rayneLogs([FIXTURE]);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, -1)).toEqual(EXPECTED);
  });

  it('reads standard input when no file is given, CRLF line ends included', async () => {
    const { code, stdout } = await rayneLogs([], fs.readFileSync(FIXTURE, 'utf8').replace(/\n/g, '\r\n'));
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, -1)).toEqual(EXPECTED);
  });

  it('prints the template table, most frequent first, with --summary', async () => {
    const { code, stdout } = await rayneLogs(['--summary', FIXTURE]);
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((l) => /^\s*\d/.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['3', '1', '8'],
      ['2', '2', '5'],
      ['2', '4', '7'],
      ['1', '6', '6'],
    ]);
    expect(rows[0]).toContain('Receiving block <*> src: <*>:<*> dest: <*>:<*>');
    expect(stdout).toContain('e.g. Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010');
  });

  it('prints nothing for empty input and exits 0', async () => {
    expect(await rayneLogs([])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await rayneLogs(['--summary'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('names a file it cannot read and exits 1', async () => {
    const { code, stdout, stderr } = await rayneLogs(['/nonexistent/app.log']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe('rayne: cannot read /nonexistent/app.log: no such file');
  });
});
