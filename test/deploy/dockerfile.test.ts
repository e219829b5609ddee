import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { loadConfig } from '../../src/config';
import {
  cliCommands,
  dockerContextIncludes,
  instructionWords,
  parseDockerfile,
  readRepoFile,
  repoPath,
  repoRoot,
  stageCopies,
  stageWorkdir,
  type DockerStage,
} from '../support/deploy-files';

const stages = parseDockerfile(readRepoFile('Dockerfile'));
const runtime = stages[stages.length - 1]!;
const instructions = (stage: DockerStage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const runs = (stage: DockerStage) => instructions(stage, 'RUN').map((i) => i.args);
const packageJson = JSON.parse(readRepoFile('package.json')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** tsconfig.build.json as tsc reads it (extends, comments and all). */
function buildConfig(): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    repoPath('tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig.build.json did not parse');
  return parsed;
}

/** Where tsc writes a source file under this config, relative to the repository. */
function emittedPath(config: ts.ParsedCommandLine, source: string): string {
  const { outDir, rootDir } = config.options;
  const out = path.join(outDir!, path.relative(rootDir!, repoPath(source))).replace(/\.ts$/, '.js');
  return path.relative(repoRoot, out);
}

/** The file bin/rayne.js requires, relative to the repository. */
/** The CLI module bin/rayne.js runs (it may require the tracer before it). */
function binTarget(): string {
  const required = [...readRepoFile('bin/rayne.js').matchAll(/require\('([^']+)'\)/g)]
    .map((m) => m[1]!)
    .find((r) => r.endsWith('/cli/main.js'));
  if (!required) throw new Error('bin/rayne.js does not require the CLI (dist/src/cli/main.js)');
  return path.relative(repoRoot, path.resolve(repoPath('bin'), required));
}

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const users = instructions(runtime, 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
  });

  it('runs bin/rayne.js, by default with a command the CLI knows', () => {
    const entrypoint = instructions(runtime, 'ENTRYPOINT').pop();
    const cmd = instructions(runtime, 'CMD').pop();
    expect(entrypoint && instructionWords(entrypoint.args)).toEqual(['node', 'bin/rayne.js']);
    expect(cliCommands()).toContain(cmd && instructionWords(cmd.args)[0]);
    // bin/rayne.js finds dist/ through its own folder, so both sit under the WORKDIR it runs from.
    const bin = stageCopies(runtime).find((c) => !c.from && c.sources.includes('bin'));
    expect(bin?.destination).toBe(path.posix.join(stageWorkdir(runtime), 'bin'));
  });

  it('compiles with the build:prod script in a stage that has the devDependencies', () => {
    expect(packageJson.scripts['build:prod']).toMatch(/tsc -p tsconfig\.build\.json/);
    const builder = stages.find((s) => runs(s).some((r) => /npm run build:prod/.test(r)));
    expect(builder).toBeDefined();
    expect(builder).not.toBe(runtime);
    const install = runs(builder!).find((r) => /npm ci/.test(r));
    expect(install).toBeDefined();
    expect(install).not.toMatch(/--omit=dev|--production/);
  });

  it('installs production dependencies only in the final stage, and no prepare script that needs tsc', () => {
    const install = runs(runtime).find((r) => /npm ci/.test(r));
    expect(install).toMatch(/--omit=dev/);
    // `prepare` runs on `npm ci` unless scripts are off, and it needs typescript, a devDependency.
    if (packageJson.scripts.prepare) expect(install).toMatch(/--ignore-scripts/);
    expect(packageJson.devDependencies.typescript).toBeDefined();
    expect(runs(runtime).join('\n')).not.toMatch(/npm run build|tsc/);
  });

  it('copies the compiled CLI from the build stage to where bin/rayne.js loads it', () => {
    const builder = stages.find((s) => runs(s).some((r) => /npm run build:prod/.test(r)))!;
    const target = binTarget();
    expect(target).toBe(emittedPath(buildConfig(), 'src/cli/main.ts'));
    const workdir = stageWorkdir(runtime);
    const landed = stageCopies(runtime)
      .filter((c) => c.from === builder.name)
      .flatMap((c) => c.sources.map((s) => ({ from: path.posix.resolve(stageWorkdir(builder), s), to: c.destination })))
      .find(({ from }) => path.posix.resolve(stageWorkdir(builder), target).startsWith(`${from}/`));
    expect(landed).toBeDefined();
    const inImage = path.posix.join(landed!.to, path.posix.relative(landed!.from, path.posix.resolve(stageWorkdir(builder), target)));
    expect(inImage).toBe(path.posix.join(workdir, target));
  });

  it('ships the SQL migrations where compiled migrate.ts reads them', () => {
    // src/db/migrate.ts: compiled code in dist/src/db reads ../../../src/db/migrations.
    const expected = path.posix.resolve(stageWorkdir(runtime), 'dist/src/db', '../../../src/db/migrations');
    const copy = stageCopies(runtime).find((c) => !c.from && c.sources.includes('src/db/migrations'));
    expect(copy?.destination).toBe(expected);
    expect(fs.readdirSync(repoPath('src/db/migrations')).filter((f) => f.endsWith('.sql')).length).toBeGreaterThan(0);
  });

  it('exposes the port the API listens on by default', () => {
    const exposed = instructions(runtime, 'EXPOSE').map((i) => Number(i.args.split('/')[0]));
    expect(exposed).toContain(loadConfig({}).PORT);
  });
});

describe('tsconfig.build.json', () => {
  it('compiles src only, including what bin/rayne.js loads', () => {
    const config = buildConfig();
    const files = config.fileNames.map((f) => path.relative(repoRoot, f));
    expect(files).toContain('src/cli/main.ts');
    expect(files.filter((f) => !f.startsWith('src/'))).toEqual([]);
    expect(config.errors).toEqual([]);
  });

  it('keeps the dist/src layout of the full build', () => {
    const full = ts.getParsedCommandLineOfConfigFile(
      repoPath('tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    expect(emittedPath(buildConfig(), 'src/cli/main.ts')).toBe(emittedPath(full, 'src/cli/main.ts'));
  });
});

describe('.dockerignore', () => {
  const ignore = readRepoFile('.dockerignore');

  it('lets in every file the Dockerfile copies from the build context', () => {
    const sources = stages
      .flatMap(stageCopies)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(fs.existsSync(repoPath(source))).toBe(true);
      expect({ source, included: dockerContextIncludes(ignore, source) }).toEqual({ source, included: true });
    }
    expect(dockerContextIncludes(ignore, 'src/cli/main.ts')).toBe(true);
  });

  it('keeps local secrets, data and builds out of the image', () => {
    for (const file of ['.env', '.rayne/encryption.key', 'node_modules/pg/package.json', 'dist/src/cli/main.js', '.git/config']) {
      expect({ file, included: dockerContextIncludes(ignore, file) }).toEqual({ file, included: false });
    }
  });
});
