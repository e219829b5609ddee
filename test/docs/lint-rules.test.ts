import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The lint rules ARCHITECTURE.md leans on, run on code that breaks them: a config change that
// quietly dropped one would otherwise pass CI.
const ROOT = path.resolve(__dirname, '../..');

/** `line:rule` of every problem ESLint finds in `code` read as `filePath`. Its own process: the config is ESM, which jest's VM cannot import. */
function rulesBroken(code: string, filePath: string): string[] {
  const eslint = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', filePath, '--format', 'json'],
    {
      cwd: ROOT,
      input: code,
      encoding: 'utf8',
    },
  );
  const [result] = JSON.parse(eslint.stdout) as Array<{ messages: Array<{ line: number; ruleId: string | null }> }>;
  return (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId}`);
}

describe('lint rules', () => {
  it('let workflow code import activities and domain modules as types only', () => {
    const code = [
      "import { createActivities } from '../activities';",
      "import { type Activities } from '../activities/index';",
      "import { z } from 'zod';",
      "import { RayneRole } from '../contracts/search-attributes';",
      'export const probe: [unknown, Activities | undefined, unknown, unknown] = [createActivities, undefined, z, RayneRole];',
    ].join('\n');
    const broken = rulesBroken(code, 'src/workflows/classify.ts');
    expect(broken).toContain('1:@typescript-eslint/no-restricted-imports');
    expect(broken).toContain('3:@typescript-eslint/no-restricted-imports');
    // A type import from anywhere, and a value from contracts, are allowed.
    expect(broken).not.toContain('2:@typescript-eslint/no-restricted-imports');
    expect(broken).not.toContain('4:@typescript-eslint/no-restricted-imports');
  }, 60_000);

  it('catch a floating promise', () => {
    const code = 'export function probe(): void {\n  Promise.resolve(1);\n}\n';
    expect(rulesBroken(code, 'src/text-format.ts')).toContain('2:@typescript-eslint/no-floating-promises');
  }, 60_000);

  it('refuse an untyped value (a query row, parsed JSON) used in src before it is checked', () => {
    const code = [
      "import type { Db } from './db/pool';",
      'export async function probe(db: Db): Promise<string> {',
      "  const { rows } = await db.query('SELECT 1 AS n');",
      '  const n: number = rows[0].n;',
      "  return JSON.parse('{}').name + String(n);",
      '}',
    ].join('\n');
    const broken = rulesBroken(code, 'src/text-format.ts');
    expect(broken).toContain('4:@typescript-eslint/no-unsafe-assignment');
    expect(broken).toContain('4:@typescript-eslint/no-unsafe-member-access');
    expect(broken).toContain('5:@typescript-eslint/no-unsafe-member-access');
  }, 60_000);
});
