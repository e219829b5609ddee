import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { buildCli } from '../../src/cli/main';
import { CONFIG_VARIABLES } from '../../src/config';
import { createTestApi, createTestDatabase, eventually, startTestWorker, temporalAddress, type TestApi } from '../support/harness';

jest.setTimeout(180_000);

/**
 * Every command in the README's bash blocks is checked here: npm scripts exist, `rayne` commands
 * and their options parse, curl calls run against the real app, `temporal` commands run against
 * the dev server on the runs the quick start creates, and the deploy commands name files that
 * exist (test/deploy parses those files).
 */
const ROOT = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const run = promisify(execFile);

/** The README's bash commands: continuation lines joined, comments dropped, `a && b` split. */
function readmeCommands(): string[] {
  return [...README.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((m) =>
      m[1]!
        .replace(/\\\n\s*/g, ' ')
        .replace(/'\{[^']*\}'/g, (json) => json.replace(/\n\s*/g, ' '))
        .split('\n'),
    )
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'))
    .flatMap((line) => line.split(/\s+&&\s+/));
}

/** Shell words, with single-quoted strings kept whole. */
const words = (command: string) => [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
const withoutEnv = (w: string[]) => w.slice(w.findIndex((x) => !/^[A-Z_]+=/.test(x)));

const commands = readmeCommands();
const byTool = (tool: string) => commands.filter((c) => withoutEnv(words(c))[0] === tool);

describe('README commands', () => {
  it('uses only tools this test knows how to check', () => {
    const tools = new Set(commands.map((c) => withoutEnv(words(c))[0]));
    expect([...tools].sort()).toEqual(['./bin/rayne.js', 'cp', 'curl', 'docker', 'npm', 'temporal']);
  });

  it('names npm scripts that exist', () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const used = byTool('npm')
      .map((c) => words(c).slice(1))
      .map(([verb, name]) => (verb === 'run' ? name! : verb!));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => name !== 'ci' && !scripts[name])).toEqual([]);
  });

  it('gives rayne commands and options the CLI has, and files that exist', () => {
    const cli = buildCli();
    // `npm start -- <options>` runs `rayne dev <options>`.
    const devRuns = byTool('npm')
      .filter((c) => words(c)[1] === 'start')
      .map((c) => ['dev', ...words(c).slice(3)]);
    const problems = [...byTool('./bin/rayne.js').map((c) => words(c).slice(1)), ...devRuns].flatMap((args) => {
      let command: Command = cli;
      const rest = [...args];
      for (let next = cli.commands.find((c) => c.name() === rest[0]); next; next = command.commands.find((c) => c.name() === rest[0])) {
        command = next;
        rest.shift();
      }
      if (command === cli) return [`no command "${args[0]}"`];
      return rest.flatMap((word) => {
        if (word.startsWith('--'))
          return command.options.some((o) => o.long === word.split('=')[0]) ? [] : [`${command.name()} has no ${word}`];
        return fs.existsSync(path.join(ROOT, word)) ? [] : [`${word} does not exist`];
      });
    });
    expect(byTool('./bin/rayne.js').length).toBeGreaterThan(1);
    expect(problems).toEqual([]);
  });

  it('lists every setting in the configuration table', () => {
    expect(CONFIG_VARIABLES.filter((name) => !README.includes(`\`${name}\``))).toEqual([]);
  });

  it('names deploy files that exist', () => {
    const copies = byTool('cp').map((c) => words(c)[1]!);
    expect(copies.filter((file) => !fs.existsSync(path.join(ROOT, file)))).toEqual([]);
    expect(byTool('docker').every((c) => /^docker compose (up|--profile \w+ up)\b/.test(c))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'docker-compose.yaml'))).toBe(true);
  });

  describe('against a running stack', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let api: TestApi;
    let worker: { stop(): Promise<void> };

    beforeAll(async () => {
      database = await createTestDatabase();
      // The quick start's first event is 1, so its RCA is rca/1 (other test files start far above).
      await database.db.query('ALTER SEQUENCE webhook_events_id_seq RESTART WITH 1');
      api = createTestApi(database.url);
      worker = await startTestWorker(database.db, api.config);
    });
    afterAll(async () => {
      await worker.stop();
      await api.close();
      await database.drop();
    });

    /** A README curl line, sent to the app: method, headers and body as written. */
    const curl = (command: string) => {
      const w = words(command).slice(1);
      const url = w.find((x) => x.startsWith('localhost:8080'))!;
      const option = (flag: string) => w[w.indexOf(flag) + 1];
      const body = w.includes('-d') ? option('-d') : undefined;
      const headers = Object.fromEntries(w.flatMap((x, i) => (w[i - 1] === '-H' ? [x.split(/:\s*/, 2) as [string, string]] : [])));
      return api.app.request(url.replace('localhost:8080', ''), {
        method: w.includes('-X') ? option('-X') : body ? 'POST' : 'GET',
        headers,
        body,
      });
    };

    it('runs every curl call with a 2xx answer, the quick start first', async () => {
      const calls = byTool('curl');
      expect(calls.length).toBeGreaterThanOrEqual(3);
      const answers = [];
      for (const call of calls) answers.push((await curl(call)).status);
      expect(answers.every((status) => status >= 200 && status < 300)).toBe(true);
      expect(answers[0]).toBe(202);
    });

    it('runs every temporal command against the runs the quick start made', async () => {
      await eventually(
        async () => (await database.db.query("SELECT status FROM rca_runs WHERE id = 'rca/1'")).rows[0]?.status === 'completed',
        60_000,
      );
      const handle = api.runtime.temporal.workflow.getHandle('rca/1');
      const firstRun = (await handle.describe()).runId;
      const outputs: string[] = [];
      for (const command of byTool('temporal')) {
        const { stdout } = await run('temporal', [...words(command).slice(1), '--address', temporalAddress()], { timeout: 30_000 });
        outputs.push(stdout);
      }
      const [list, , describe, show, query, reset] = outputs as [string, string, string, string, string, string];
      expect(list).toContain('incident/default/12345678/host:web-server-01');
      expect(describe).toContain('incidentWorkflow');
      expect(show).toContain('indexRca');
      expect(query).toContain('"phase":"done"');
      expect(reset).toContain('Resetting workflow rca/1');
      // The reset run goes through the same steps again and finds what the first one stored.
      const again = await eventually(async () => {
        const d = await handle.describe();
        return d.runId !== firstRun && d.status.name === 'COMPLETED' && d;
      }, 60_000);
      expect(again.runId).not.toBe(firstRun);
      const { rows } = await database.db.query("SELECT count(*)::int AS n FROM rca_reports WHERE rca_id = 'rca/1'");
      expect(rows[0].n).toBe(1);
    });
  });
});
