import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { READY_WAIT_MS } from '../../src/api/readiness';
import {
  cliCommands,
  commentAbove,
  parseDockerfile,
  podContainers,
  podSpec,
  quantity,
  readManifests,
  readRepoFile,
  readYaml,
  resolvePort,
  type Manifest,
} from '../support/deploy-files';

const manifests = readManifests();
const WORKLOADS = ['Deployment', 'StatefulSet', 'Job'];
const workloads = manifests.filter((m) => WORKLOADS.includes(m.kind));
const find = (kind: string, name: string): Manifest => {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`k8s/ has no ${kind} ${name}`);
  return m;
};
const namespace = manifests.find((m) => m.kind === 'Namespace')!;
const configMap = find('ConfigMap', 'rayne-config');
const secret = find('Secret', 'rayne-secrets');
const temporalValues = readYaml<any>('k8s/temporal/values.yaml');

/** The image's command is `node bin/rayne.js`; a Rayne container sets only its arguments. */
const isRayne = (c: any) => typeof c.image === 'string' && c.image.split(':')[0].endsWith('rayne');
const rayneContainers = workloads.flatMap((w) =>
  podContainers(w)
    .filter(isRayne)
    .map((c) => ({ workload: w, container: c })),
);
const runs = (command: string) => {
  const found = rayneContainers.find(({ container }) => container.args?.[0] === command);
  if (!found) throw new Error(`no Rayne container runs ${command}`);
  return found;
};

/** The environment a container gets from its ConfigMaps, Secrets and own `env`. */
function containerEnv(container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef ? find('ConfigMap', from.configMapRef.name) : find('Secret', from.secretRef.name);
    Object.assign(env, source.data ?? {}, source.stringData ?? {});
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
    const source = e.valueFrom?.configMapKeyRef ? find('ConfigMap', ref.name) : ref ? find('Secret', ref.name) : undefined;
    env[e.name] = ref ? { ...source!.data, ...source!.stringData }[ref.key] : e.value;
  }
  return env;
}

/** The Temporal frontend the Helm release in k8s/README.md creates, as host:port. */
function helmFrontend(): { address: string; namespace: string } {
  const readme = readRepoFile('k8s/README.md').replace(/\\\n\s*/g, ' ');
  const m = readme.match(/helm install (\S+) (\S+) .*?--namespace (\S+) -f k8s\/temporal\/values\.yaml/);
  if (!m) throw new Error('k8s/README.md has no `helm install` with k8s/temporal/values.yaml');
  const [, release, chart, ns] = m as unknown as [string, string, string, string];
  // The chart's temporal.fullname: the release name when it contains the chart's name.
  const fullname = temporalValues.fullnameOverride || (release.includes(chart) ? release : `${release}-${chart}`);
  const port = temporalValues.server?.frontend?.service?.port ?? 7233;
  return { address: `${fullname}-frontend:${port}`, namespace: ns };
}

describe('k8s manifests', () => {
  it('parse, and put every object in the rayne namespace', () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const m of manifests) {
      expect([m.file, typeof m.apiVersion, typeof m.kind, typeof m.metadata?.name]).toEqual([m.file, 'string', 'string', 'string']);
      if (m.kind !== 'Namespace') expect([m.file, m.kind, m.metadata.namespace]).toEqual([m.file, m.kind, namespace.metadata.name]);
    }
  });

  it('run the API and the worker from one image, with commands the CLI knows', () => {
    const known = cliCommands();
    expect(new Set(rayneContainers.map(({ container }) => container.image)).size).toBe(1);
    for (const { container } of rayneContainers) {
      expect(container.command).toBeUndefined();
      expect({ name: container.name, known: known.includes(container.args?.[0]) }).toEqual({ name: container.name, known: true });
    }
    expect(runs('api').workload.metadata.name).toBe('rayne-api');
    expect(runs('worker').workload.metadata.name).toBe('rayne-worker');
    // Migrations and search attributes before the worker polls.
    expect(podSpec(find('Deployment', 'rayne-worker')).initContainers.map((c: any) => c.args[0])).toContain('migrate');
  });

  it('set no environment variable in a Rayne container that the config schema does not know', () => {
    for (const { container } of rayneContainers) {
      const unknown = Object.keys(containerEnv(container)).filter((k) => !CONFIG_VARIABLES.includes(k));
      expect({ name: container.name, unknown }).toEqual({ name: container.name, unknown: [] });
    }
    const unknown = [...Object.keys(configMap.data), ...Object.keys(secret.stringData ?? secret.data)].filter(
      (k) => !CONFIG_VARIABLES.includes(k),
    );
    expect(unknown).toEqual([]);
  });

  it('give every Rayne container a configuration that loads, with a database and Temporal', () => {
    for (const { container } of rayneContainers) {
      const config = loadConfig(containerEnv(container));
      expect([container.name, !!config.databaseUrl, !!config.TEMPORAL_ADDRESS]).toEqual([container.name, true, true]);
    }
  });

  it('give the API and the worker the one encryption key, from the Secret', () => {
    for (const command of ['api', 'worker']) {
      const ref = runs(command).container.env.find((e: any) => e.name === 'RAYNE_ENCRYPTION_KEY')?.valueFrom?.secretKeyRef;
      expect(ref).toEqual({ name: 'rayne-secrets', key: 'RAYNE_ENCRYPTION_KEY' });
    }
  });

  it('ship a Secret template with keys only, each read by a container or the Temporal chart', () => {
    const values = secret.stringData ?? secret.data;
    expect(Object.keys(values).length).toBeGreaterThan(3);
    expect(Object.entries(values).filter(([, v]) => v !== '')).toEqual([]);
    const read = new Set<string>();
    for (const w of workloads) {
      for (const c of podContainers(w)) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name === secret.metadata.name) read.add(e.valueFrom.secretKeyRef.key);
        for (const f of c.envFrom ?? []) if (f.secretRef?.name === secret.metadata.name) Object.keys(values).forEach((k) => read.add(k));
      }
    }
    for (const store of Object.values<any>(temporalValues.server.config.persistence.datastores)) {
      if (store.sql?.existingSecret === secret.metadata.name) read.add(store.sql.secretKey);
    }
    expect(Object.keys(values).filter((k) => !read.has(k))).toEqual([]);
  });

  it('reference only ConfigMap and Secret keys that exist, unless marked optional', () => {
    let refs = 0;
    for (const w of workloads) {
      for (const c of podContainers(w)) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const source = find(e.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name);
          expect({ ref, exists: ref.key in { ...source.data, ...source.stringData } }).toEqual({ ref, exists: true });
          refs++;
        }
      }
    }
    expect(refs).toBeGreaterThan(10);
  });

  it('serve the API on PORT, and point its Service and probes at that port', () => {
    const { container } = runs('api');
    const port = loadConfig(containerEnv(container)).PORT;
    expect(container.ports.map((p: any) => p.containerPort)).toContain(port);
    const service = find('Service', 'rayne-api');
    expect(service.spec.ports.map((p: any) => resolvePort(container, p.targetPort))).toEqual([port]);
    const probes = ['startupProbe', 'livenessProbe', 'readinessProbe'].map((p) => container[p]?.httpGet);
    expect(probes.map((p) => resolvePort(container, p?.port))).toEqual([port, port, port]);
    expect(probes.map((p) => p.path)).toEqual(['/health', '/health', '/ready']);
  });

  it('probe API readiness as the README describes /ready: ready without Temporal, and given longer than /ready takes', () => {
    const probe = runs('api').container.readinessProbe;
    expect(probe.timeoutSeconds * 1000).toBeGreaterThan(READY_WAIT_MS);
    expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds);
    const readme = readRepoFile('README.md')
      .split('\n')
      .find((line) => line.startsWith('|') && line.includes('`/ready`'));
    const comment = commentAbove('k8s/api.yaml', 'Deployment', 'rayne-api', [
      'spec',
      'template',
      'spec',
      'containers',
      0,
      'readinessProbe',
    ]);
    for (const promise of [readme, comment]) {
      expect(promise).toMatch(/503 (only while|without) Postgres/);
      expect(promise).toMatch(/200 `degraded` while Temporal is away/);
    }
  });

  it('probe the worker on the metrics port it serves', () => {
    const { container } = runs('worker');
    const port = loadConfig(containerEnv(container)).RAYNE_WORKER_METRICS_PORT;
    expect(resolvePort(container, container.livenessProbe.httpGet.port)).toBe(port);
    expect(container.livenessProbe.httpGet.path).toBe('/metrics');
    expect(Number(find('Deployment', 'rayne-worker').spec.template.metadata.annotations['prometheus.io/port'])).toBe(port);
  });

  it('give Services selectors that match a workload, and target ports its containers open', () => {
    for (const service of manifests.filter((m) => m.kind === 'Service')) {
      const matching = workloads.filter((w) =>
        Object.entries(service.spec.selector).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v),
      );
      expect({ service: service.metadata.name, matching: matching.length }).toEqual({ service: service.metadata.name, matching: 1 });
      for (const p of service.spec.ports) {
        expect({
          service: service.metadata.name,
          port: p.port,
          resolved: podContainers(matching[0]!).some((c) => resolvePort(c, p.targetPort ?? p.port) !== undefined),
        }).toEqual({ service: service.metadata.name, port: p.port, resolved: true });
      }
    }
  });

  it('give every workload a selector matching its pod labels', () => {
    for (const w of workloads.filter((x) => x.kind !== 'Job')) {
      const labels = w.spec.template.metadata.labels;
      expect([w.metadata.name, Object.keys(w.spec.selector?.matchLabels ?? {}).length > 0]).toEqual([w.metadata.name, true]);
      for (const [k, v] of Object.entries(w.spec.selector.matchLabels))
        expect([w.metadata.name, k, labels[k]]).toEqual([w.metadata.name, k, v]);
    }
  });

  it('point the ConfigMap at the Services that serve Postgres, and Qdrant and Ollama over HTTP', () => {
    const config = loadConfig(configMap.data);
    /** The name of the Service port a URL reaches, if that Service exists. */
    const portName = (u: URL) =>
      manifests.find((m) => m.kind === 'Service' && m.metadata.name === u.hostname)?.spec.ports.find((p: any) => p.port === Number(u.port))
        ?.name;
    expect(portName(new URL(config.databaseUrl!))).toBe('postgres');
    // Qdrant also serves gRPC on 6334; Rayne's clients speak HTTP.
    for (const url of [config.QDRANT_URL!, config.OLLAMA_URL!])
      expect({ url, port: portName(new URL(url)) }).toEqual({ url, port: 'http' });
  });

  it('point TEMPORAL_ADDRESS at the frontend of the Helm release k8s/README.md installs', () => {
    const { address, namespace: ns } = helmFrontend();
    expect(ns).toBe(namespace.metadata.name);
    expect(configMap.data.TEMPORAL_ADDRESS).toBe(address);
  });

  it('have Temporal create the namespace Rayne uses', () => {
    const { namespaces } = temporalValues.server.config;
    expect(namespaces.create).toBe(true);
    expect(namespaces.namespace.map((n: any) => n.name)).toContain(loadConfig(configMap.data).TEMPORAL_NAMESPACE);
  });

  it('keep Temporal on the Postgres Rayne uses, as the same user', () => {
    const db = new URL(loadConfig(configMap.data).databaseUrl!);
    for (const store of Object.values<any>(temporalValues.server.config.persistence.datastores)) {
      expect(store.sql.pluginName).toMatch(/^postgres/);
      expect(store.sql.connectAddr).toBe(`${db.hostname}:${db.port}`);
      expect(store.sql.user).toBe(db.username);
      expect(secret.stringData).toHaveProperty(store.sql.secretKey);
    }
  });

  it('have the pull Job fetch the Ollama models the worker is configured with', () => {
    const job = find('Job', 'ollama-pull');
    const [pull] = podContainers(job);
    const worker = loadConfig(containerEnv(runs('worker').container));
    const env = containerEnv(pull);
    expect([env.OLLAMA_EMBED_MODEL, env.OLLAMA_CHAT_MODEL]).toEqual([worker.OLLAMA_EMBED_MODEL, worker.OLLAMA_CHAT_MODEL]);
    expect(env.OLLAMA_HOST).toBe(worker.OLLAMA_URL);
    expect(pull.args.join(' ')).toMatch(/"\$OLLAMA_EMBED_MODEL" "\$OLLAMA_CHAT_MODEL"/);
  });

  it('scale Deployments whose containers request CPU, within sane bounds', () => {
    const hpas = manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['rayne-api', 'rayne-worker']);
    for (const hpa of hpas) {
      const target = find(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
      for (const c of podSpec(target).containers) expect([c.name, c.resources?.requests?.cpu]).toEqual([c.name, expect.anything()]);
    }
  });

  it('give every container requests no larger than its limits', () => {
    for (const w of workloads) {
      for (const c of podContainers(w)) {
        for (const r of ['cpu', 'memory']) {
          const { requests, limits } = c.resources ?? {};
          expect([w.metadata.name, c.name, r, requests?.[r] !== undefined, limits?.[r] !== undefined]).toEqual([
            w.metadata.name,
            c.name,
            r,
            true,
            true,
          ]);
          expect(quantity(requests[r])).toBeLessThanOrEqual(quantity(limits[r]));
        }
      }
    }
  });

  it('run Rayne pods as the non-root user the image declares', () => {
    const stages = parseDockerfile(readRepoFile('Dockerfile'));
    const user = stages[stages.length - 1]!.instructions.filter((i) => i.keyword === 'USER')
      .pop()!
      .args.split(':')[0];
    for (const name of ['rayne-api', 'rayne-worker']) {
      const { securityContext } = podSpec(find('Deployment', name));
      expect([name, securityContext.runAsNonRoot, String(securityContext.runAsUser)]).toEqual([name, true, user]);
    }
  });
});
