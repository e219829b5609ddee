/** Readers for the deployment files (Dockerfile, .dockerignore, docker-compose.yaml, k8s/), for test/deploy. */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parse, parseAllDocuments } from 'yaml';
import { buildCli } from '../../src/cli/main';

export const repoRoot = path.resolve(__dirname, '../..');
export const repoPath = (...parts: string[]) => path.join(repoRoot, ...parts);
export const readRepoFile = (file: string) => fs.readFileSync(repoPath(file), 'utf8');

/** The top-level commands `rayne` knows (`rayne api`, `rayne worker`, ...). */
export const cliCommands = (): string[] => buildCli().commands.map((c) => c.name());

/** One YAML document, with `<<` merge keys resolved (docker-compose.yaml uses them). */
export function readYaml<T = any>(file: string): T {
  return parse(readRepoFile(file), { merge: true }) as T;
}

/** Every document of a multi-document YAML file; a syntax error fails the read. */
export function readYamlDocuments(file: string): any[] {
  return parseAllDocuments(readRepoFile(file))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS();
    })
    .filter((doc) => doc !== null);
}

// ---- Dockerfile ----

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  image: string;
  name?: string;
  instructions: DockerInstruction[];
}

/** Splits a Dockerfile into stages of instructions, joining continued lines and dropping comments. */
export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = line.match(/^(\S+)\s*(.*)$/) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** The words of an exec-form (JSON array) or shell-form instruction. */
export function instructionWords(args: string): string[] {
  return args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter(Boolean);
}

export interface DockerCopy {
  from?: string;
  sources: string[];
  /** Absolute path inside the image. */
  destination: string;
  /** The stage's WORKDIR when the COPY runs, for sources taken from another stage. */
  workdir: string;
}

/** The COPY instructions of a stage with destinations resolved against its WORKDIR. */
export function stageCopies(stage: DockerStage): DockerCopy[] {
  let workdir = '/';
  const copies: DockerCopy[] = [];
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, args.trim());
    if (keyword !== 'COPY' && keyword !== 'ADD') continue;
    const words = instructionWords(args);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const operands = words.filter((w) => !w.startsWith('--'));
    const destination = path.posix.resolve(workdir, operands[operands.length - 1]!);
    copies.push({ from, sources: operands.slice(0, -1), destination, workdir });
  }
  return copies;
}

/** The stage's WORKDIR after all its instructions. */
export function stageWorkdir(stage: DockerStage): string {
  return stage.instructions.filter((i) => i.keyword === 'WORKDIR').reduce((dir, i) => path.posix.resolve(dir, i.args.trim()), '/');
}

// ---- .dockerignore ----

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether a path (relative to the build context) reaches the build: the last pattern matching it
 * or one of its parent folders decides, `!` patterns let it back in (Docker's rules).
 */
export function dockerContextIncludes(dockerignore: string, file: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({
      exclude: !l.startsWith('!'),
      re: globToRegExp(path.posix.normalize(l.replace(/^!/, '').replace(/^\/+/, '')).replace(/\/+$/, '')),
    }));
  const parts = path.posix.normalize(file).split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const { exclude, re } of patterns) {
    if (prefixes.some((p) => re.test(p))) included = !exclude;
  }
  return included;
}

// ---- docker compose ----

export type Env = Record<string, string | undefined>;

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR:+alt}` and `$$`. */
export function interpolate(value: string, env: Env): string {
  return value.replace(VARIABLE, (match, braced?: string, op?: string, arg = '', bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const v = env[name];
    const unset = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    switch (op?.replace(':', '')) {
      case '-':
        return unset ? interpolate(arg, env) : v!;
      case '?':
        if (unset) throw new Error(`${name}: ${arg}`);
        return v!;
      case '+':
        return unset ? '' : interpolate(arg, env);
      default:
        return v ?? '';
    }
  });
}

/** The variables a value interpolates, with the default each gives (`${VAR:-default}`). */
export function variablesIn(value: string): Array<{ name: string; fallback?: string }> {
  const found: Array<{ name: string; fallback?: string }> = [];
  for (const m of value.matchAll(VARIABLE)) {
    if (m[0] === '$$') continue;
    const name = (m[1] ?? m[4])!;
    found.push({ name, fallback: m[2] === ':-' || m[2] === '-' ? m[3] : undefined });
  }
  return found;
}

/** A service's `environment`, map or list form, uninterpolated. */
export function serviceEnvironment(service: { environment?: Record<string, unknown> | string[] }): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/** Every string in a parsed YAML value, depth first. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** `KEY=value` lines of an env file; comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (m) entries.push([m[1]!, m[2]!.trim()]);
  }
  return Object.fromEntries(entries);
}

// ---- Kubernetes ----

export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

/** Every object in k8s/*.yaml (the Helm values under k8s/temporal/ are not manifests). */
export function readManifests(): Manifest[] {
  return fs
    .readdirSync(repoPath('k8s'))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((f) => readYamlDocuments(`k8s/${f}`).map((doc) => ({ ...doc, file: `k8s/${f}` }) as Manifest));
}

/** The comment above a key of a k8s/ object (path ends at the key), as one line; '' when none. */
export function commentAbove(file: string, kind: string, name: string, keyPath: Array<string | number>): string {
  const doc = parseAllDocuments(readRepoFile(file)).find((d) => d.get('kind') === kind && d.getIn(['metadata', 'name']) === name);
  const parent = doc?.getIn(keyPath.slice(0, -1), true);
  const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === keyPath.at(-1)) : undefined;
  return ((pair?.key as { commentBefore?: string } | undefined)?.commentBefore ?? '').replace(/\s+/g, ' ').trim();
}

/** A workload's pod template spec (Deployment, StatefulSet, Job). */
export const podSpec = (m: Manifest): any => m.spec?.template?.spec;

/** The containers and init containers of a workload. */
export const podContainers = (m: Manifest): any[] => [...(podSpec(m)?.initContainers ?? []), ...(podSpec(m)?.containers ?? [])];

/** A container port given by number or by name. */
export function resolvePort(container: any, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p: any) => p.name === port)?.containerPort;
}

/** Kubernetes quantities (`500m`, `2`, `256Mi`, `1Gi`) as numbers for comparison. */
export function quantity(q: string | number): number {
  const s = String(q);
  const units: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  const m = s.match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m || !(m[2]! in units)) throw new Error(`not a quantity: ${s}`);
  return Number(m[1]) * units[m[2]!]!;
}
