import fs from 'node:fs';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import {
  cliCommands,
  interpolate,
  parseEnvFile,
  readRepoFile,
  readYaml,
  repoPath,
  serviceEnvironment,
  stringsIn,
  variablesIn,
  type Env,
} from '../support/deploy-files';

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | { target: number; published?: string | number }>;
  profiles?: string[];
  restart?: string;
}

const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yaml');
const services = compose.services;
const envExample = parseEnvFile(readRepoFile('.env.example'));
const KEY = 'a'.repeat(64);
/** What a user who copied .env.example and set the one required value runs with. */
const exampleEnv: Env = { ...envExample, RAYNE_ENCRYPTION_KEY: KEY };
/** Nothing but the required value: every default comes from docker-compose.yaml. */
const bareEnv: Env = { RAYNE_ENCRYPTION_KEY: KEY };

/** The services running the image built from this repository's Dockerfile. */
const rayneServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const service = (name: string) => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yaml has no service ${name}`);
  return s;
};
const words = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));
const envOf = (s: Service, env: Env) => Object.fromEntries(Object.entries(serviceEnvironment(s)).map(([k, v]) => [k, interpolate(v, env)]));
const serviceRunning = (command: string) => rayneServices.find(([, s]) => words(s.command)[0] === command);
const dependencies = (s: Service): Record<string, { condition?: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : (s.depends_on ?? {});
/** Container-side ports a service publishes, and the host port of each. */
const publishedPorts = (s: Service) =>
  (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { host: Number(p.published), container: p.target };
    const parts = p.split(':');
    return { host: Number(parts.length > 1 ? parts[parts.length - 2] : parts[0]), container: Number(parts[parts.length - 1]) };
  });
const hostPort = (value: string) => {
  const u = new URL(value.includes('://') ? value : `tcp://${value}`);
  return { host: u.hostname, port: Number(u.port) };
};

describe('docker-compose.yaml', () => {
  it('runs the API and the worker from one image built from the Dockerfile', () => {
    expect(serviceRunning('api')).toBeDefined();
    expect(serviceRunning('worker')).toBeDefined();
    const images = new Set(rayneServices.map(([, s]) => s.image));
    expect(images.size).toBe(1);
    for (const [, s] of rayneServices) {
      const build = typeof s.build === 'string' ? { context: s.build } : s.build!;
      expect(build.context).toBe('.');
      expect(fs.existsSync(repoPath(build.dockerfile ?? 'Dockerfile'))).toBe(true);
      expect(s.entrypoint).toBeUndefined();
    }
  });

  it('gives each Rayne container a command the CLI knows', () => {
    const known = cliCommands();
    for (const [name, s] of rayneServices) expect({ name, known: known.includes(words(s.command)[0]!) }).toEqual({ name, known: true });
  });

  it('sets no environment variable in a Rayne container that the config schema does not know', () => {
    for (const [name, s] of rayneServices) {
      const unknown = Object.keys(serviceEnvironment(s)).filter((k) => !CONFIG_VARIABLES.includes(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  it('gives every Rayne container a configuration that loads, with and without .env.example', () => {
    for (const env of [bareEnv, exampleEnv]) {
      for (const [, s] of rayneServices) {
        const config = loadConfig(envOf(s, env));
        expect(config.databaseUrl).toBeDefined();
        expect(config.TEMPORAL_ADDRESS).toBeDefined();
        expect(config.RAYNE_ENCRYPTION_KEY).toBe(KEY);
      }
    }
  });

  it('refuses to start without RAYNE_ENCRYPTION_KEY, which every process must share', () => {
    const [, api] = serviceRunning('api')!;
    expect(() => envOf(api, {})).toThrow(/RAYNE_ENCRYPTION_KEY/);
  });

  it('falls back to the config defaults, in docker-compose.yaml and .env.example alike', () => {
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    let compared = 0;
    for (const [, s] of rayneServices) {
      for (const [key, value] of Object.entries(serviceEnvironment(s))) {
        const own = variablesIn(value).find((v) => v.name === key && v.fallback !== undefined);
        if (!own || defaults[key] === undefined) continue;
        expect({ key, fallback: own.fallback }).toEqual({ key, fallback: String(defaults[key]) });
        compared++;
      }
    }
    for (const [key, value] of Object.entries(envExample)) {
      if (CONFIG_VARIABLES.includes(key) && defaults[key] !== undefined)
        expect({ key, value }).toEqual({ key, value: String(defaults[key]) });
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('serves the API on PORT, publishes that port and health-checks it', () => {
    const [, api] = serviceRunning('api')!;
    const port = loadConfig(envOf(api, bareEnv)).PORT;
    expect(publishedPorts(api).map((p) => p.container)).toContain(port);
    const check = stringsIn(api.healthcheck?.test).join(' ');
    expect(check).toContain(`127.0.0.1:${port}/ready`);
  });

  it('points Rayne at services that exist and at the ports they serve', () => {
    const [, worker] = serviceRunning('worker')!;
    const config = loadConfig(envOf(worker, bareEnv));
    const servedBy = (host: string) => service(host).image ?? '';
    const db = new URL(config.databaseUrl!);
    expect([servedBy(db.hostname), db.port]).toEqual([expect.stringMatching(/^postgres:/), '5432']);
    const temporal = hostPort(config.TEMPORAL_ADDRESS!);
    expect(servedBy(temporal.host)).toMatch(/^temporalio\/server:/);
    expect(publishedPorts(service(temporal.host)).map((p) => p.container)).toContain(temporal.port);
    const qdrant = hostPort(config.QDRANT_URL!);
    expect([servedBy(qdrant.host), qdrant.port]).toEqual([expect.stringMatching(/^qdrant\/qdrant:/), 6333]);
    const ollama = hostPort(config.OLLAMA_URL!);
    expect([servedBy(ollama.host), ollama.port]).toEqual([expect.stringMatching(/^ollama\/ollama:/), 11434]);
  });

  it('has every Temporal client use the same frontend, and links to the published Web UI', () => {
    const [, worker] = serviceRunning('worker')!;
    const config = loadConfig(envOf(worker, bareEnv));
    for (const name of ['temporal-ui', 'temporal-namespace'])
      expect(envOf(service(name), bareEnv).TEMPORAL_ADDRESS).toBe(config.TEMPORAL_ADDRESS);
    const ui = new URL(config.TEMPORAL_UI_URL!);
    expect(publishedPorts(service('temporal-ui')).map((p) => p.host)).toContain(Number(ui.port));
  });

  it('creates the Temporal namespace Rayne uses, also when it is changed', () => {
    const [, worker] = serviceRunning('worker')!;
    for (const env of [bareEnv, { ...bareEnv, TEMPORAL_NAMESPACE: 'ops' }]) {
      expect(envOf(service('temporal-namespace'), env).TEMPORAL_NAMESPACE).toBe(loadConfig(envOf(worker, env)).TEMPORAL_NAMESPACE);
    }
    expect(stringsIn(service('temporal-namespace').command).join(' ')).toMatch(/namespace create -n "\$\$ns"/);
  });

  it('pulls the Ollama models the worker is configured with, also when they are changed', () => {
    const [, worker] = serviceRunning('worker')!;
    const pull = service('ollama-pull');
    for (const env of [bareEnv, { ...bareEnv, OLLAMA_EMBED_MODEL: 'mxbai-embed-large', OLLAMA_CHAT_MODEL: 'qwen3' }]) {
      const config = loadConfig(envOf(worker, env));
      const pulled = envOf(pull, env);
      expect([pulled.OLLAMA_EMBED_MODEL, pulled.OLLAMA_CHAT_MODEL]).toEqual([config.OLLAMA_EMBED_MODEL, config.OLLAMA_CHAT_MODEL]);
      expect(pulled.OLLAMA_HOST).toBe(config.OLLAMA_URL);
    }
    const script = stringsIn(pull.command).join(' ');
    expect(script).toContain('$$OLLAMA_EMBED_MODEL');
    expect(script).toContain('$$OLLAMA_CHAT_MODEL');
    expect(dependencies(worker)['ollama-pull']?.condition).toBe('service_completed_successfully');
  });

  it('gives Postgres, Temporal and Rayne the same database credentials', () => {
    const [, api] = serviceRunning('api')!;
    for (const env of [bareEnv, { ...bareEnv, POSTGRES_USER: 'u', POSTGRES_PASSWORD: 'p w', POSTGRES_DB: 'd' }]) {
      const db = new URL(loadConfig(envOf(api, env)).databaseUrl!);
      const postgres = envOf(service('postgres'), env);
      const temporal = envOf(service('temporal'), env);
      const schema = envOf(service('temporal-schema'), env);
      expect([db.username, decodeURIComponent(db.password), db.pathname.slice(1)]).toEqual([
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
        postgres.POSTGRES_DB,
      ]);
      expect([temporal.POSTGRES_USER, temporal.POSTGRES_PWD, temporal.POSTGRES_SEEDS]).toEqual([
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
        db.hostname,
      ]);
      expect([schema.SQL_USER, schema.SQL_PASSWORD]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD]);
    }
  });

  it('depends only on services that exist and can meet the condition', () => {
    let checked = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(dependencies(s))) {
        const t = services[target];
        expect({ name, target, exists: t !== undefined }).toEqual({ name, target, exists: true });
        if (condition === 'service_healthy')
          expect({ target, healthcheck: !!t!.healthcheck?.test && !t!.healthcheck.disable }).toEqual({ target, healthcheck: true });
        // A one-shot that restarts never completes, so nothing waiting for it would start.
        if (condition === 'service_completed_successfully')
          expect({ target, restart: t!.restart ?? 'no' }).toEqual({ target, restart: 'no' });
        // A service in a profile is absent by default; nothing outside it may need it.
        if (t!.profiles) expect({ name, profiles: s.profiles ?? [] }).toEqual({ name, profiles: expect.arrayContaining(t!.profiles) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('starts the API and the worker only after migrations, which wait for Postgres and the Temporal namespace', () => {
    const waitsFor = (name: string, seen = new Set<string>()): Set<string> => {
      for (const [target, { condition }] of Object.entries(dependencies(service(name)))) {
        if (condition && !seen.has(target)) {
          seen.add(target);
          waitsFor(target, seen);
        }
      }
      return seen;
    };
    const [migrate] = serviceRunning('migrate')!;
    for (const command of ['api', 'worker']) expect(waitsFor(serviceRunning(command)![0])).toContain(migrate);
    expect(dependencies(service(serviceRunning('api')![0]))[migrate]?.condition).toBe('service_completed_successfully');
    expect([...waitsFor(migrate)]).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-namespace']));
  });

  it('keeps the Datadog agent behind a profile', () => {
    expect(service('datadog-agent').profiles).toEqual(['datadog']);
    expect(service('datadog-agent').image).toMatch(/^gcr\.io\/datadoghq\/agent:/);
  });
});

describe('.env.example', () => {
  it('lists exactly the variables docker-compose.yaml reads', () => {
    const read = new Set(stringsIn(compose).flatMap((v) => variablesIn(v).map((x) => x.name)));
    expect(Object.keys(envExample).sort()).toEqual([...read].sort());
  });

  it('comments every setting', () => {
    const lines = readRepoFile('.env.example').split('\n');
    lines.forEach((line, i) => {
      if (!/^[A-Z_]+=/.test(line)) return;
      const above = lines
        .slice(0, i)
        .reverse()
        .find((l) => !/^[A-Z_]+=/.test(l));
      expect({ line, commented: !!above?.startsWith('#') }).toEqual({ line, commented: true });
    });
  });
});
