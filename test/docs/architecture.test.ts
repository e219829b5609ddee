import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

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

/** The module a node names, when it is an import of any form and names it by a string. */
function specifierOf(node: ts.Node): ts.Expression | ts.TypeNode | undefined {
  // import … from, import '…', export … from: type-only ones included.
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return node.moduleSpecifier;
  // import x = require('…')
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) return node.moduleReference.expression;
  // import('…') and require('…'), anywhere in the code.
  if (ts.isCallExpression(node)) {
    const { expression } = node;
    const loads = expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(expression) && expression.text === 'require');
    return loads ? node.arguments[0] : undefined;
  }
  // typeof import('…') and import('…').Name in types.
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return node.argument.literal;
  return undefined;
}

/** Every module specifier the code names, in every import form, read from its syntax tree (not from comments or strings). */
function moduleSpecifiers(code: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const specifier = specifierOf(node);
    if (specifier && ts.isStringLiteralLike(specifier)) found.push(specifier.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('module.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return found;
}

const relativeImports = (code: string) => moduleSpecifiers(code).filter((specifier) => specifier.startsWith('.'));

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

  it.each([
    ['a static import', "import { createApp } from '../api/app';"],
    ['a type-only import', "import type { App } from '../api/app';"],
    ['a side-effect import', "import '../api/app';"],
    ['a re-export', "export { createApp } from '../api/app';"],
    ['a star re-export', "export * from '../api/app';"],
    ['a namespace re-export', "export * as app from '../api/app';"],
    ['an import()', "const load = () => import('../api/app');"],
    ['a require()', "function load() { return require('../api/app'); }"],
    ['an import-equals require', "import app = require('../api/app');"],
    ['a typeof import()', "type App = typeof import('../api/app');"],
    ['an import() type', "let app: import('../api/app').App;"],
  ])('reads %s', (_form, code) => {
    expect(moduleSpecifiers(code)).toEqual(['../api/app']);
  });

  it('reads no import from comments or strings', () => {
    expect(moduleSpecifiers("// import('../api/app')\nconst text = \"require('../api/app')\";")).toEqual([]);
  });

  it('would catch an upward import', () => {
    // api/app.ts imports layer 2 modules: with api placed below them, each is an upward import.
    const apiAtTheBottom = new Map(layers).set('api/', 0);
    expect(upwardImports(apiAtTheBottom, [path.join(SRC, 'api', 'app.ts')])).toContain(
      'src/api/app.ts -> ../telemetry/metrics (layer 0 -> 2)',
    );
  });
});
