import fs from 'node:fs';
import path from 'node:path';

// ARCHITECTURE.md's layer table is the rule: each top-level entry of src/ in exactly one layer,
// and no import running from a layer to a higher one.
const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

/** The layer of each entry named in the table: `api/` for a folder, `config.ts` for a file. */
function layersOf(markdown: string): Map<string, number> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers\n'));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Layers" section');
  const layers = new Map<string, number>();
  for (const row of section.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)) {
    for (const entry of row[2]!.matchAll(/`([^`]+)`/g)) {
      if (layers.has(entry[1]!)) throw new Error(`${entry[1]} is in two layers`);
      layers.set(entry[1]!, Number(row[1]));
    }
  }
  return layers;
}

const topLevelEntries = () =>
  fs
    .readdirSync(SRC, { withFileTypes: true })
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort();

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') ? [full] : [];
  });
}

/** The top-level entry a path under src/ belongs to. */
function entryOf(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  return rest.length > 0 ? `${first}/` : first!;
}

/** Relative module specifiers of every import and re-export, type-only ones included. */
const relativeImports = (code: string) => [...code.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gm)].map((m) => m[1]!);

function resolveImport(from: string, specifier: string): string {
  const target = path.resolve(path.dirname(from), specifier);
  return [`${target}.ts`, path.join(target, 'index.ts')].find((file) => fs.existsSync(file)) ?? target;
}

/** Imports that run up the table, as `file -> specifier (layer a -> layer b)`. */
function upwardImports(layers: Map<string, number>, files: string[]): string[] {
  return files.flatMap((file) => {
    const from = layers.get(entryOf(file))!;
    return relativeImports(fs.readFileSync(file, 'utf8'))
      .map((specifier) => ({ specifier, to: layers.get(entryOf(resolveImport(file, specifier))) }))
      .filter(({ to }) => to === undefined || to > from)
      .map(({ specifier, to }) => `${path.relative(ROOT, file)} -> ${specifier} (layer ${from} -> ${to ?? 'none'})`);
  });
}

describe('ARCHITECTURE.md', () => {
  const layers = layersOf(fs.readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8'));

  it('puts every folder and file at the top of src/ in exactly one layer, and names nothing else', () => {
    expect([...layers.keys()].sort()).toEqual(topLevelEntries());
  });

  it('has no import that runs from a layer to a higher one', () => {
    expect(upwardImports(layers, sourceFiles(SRC))).toEqual([]);
  });

  it('would catch an upward import', () => {
    // api/app.ts imports layer 2 modules: with api placed below them, each is an upward import.
    const apiAtTheBottom = new Map(layers).set('api/', 0);
    expect(upwardImports(apiAtTheBottom, [path.join(SRC, 'api', 'app.ts')])).toContain(
      'src/api/app.ts -> ../telemetry/metrics (layer 0 -> 2)',
    );
  });
});
