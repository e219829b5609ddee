import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { freePort } from '../dev/free-port';
import { consoleSteps, startDevStack } from '../dev/stack';
import type { Logger } from '../logger';
import { startReceiver } from './receiver';
import { startDatadogSandbox } from './sandbox';
import { loadScenario, type Scenario } from './scenario';
import { createPool } from '../db/pool';
import type { EvidenceBundle } from '../evidence/bundle';
import { createSimilarityProviders } from '../similarity/providers';

/** The package's root, from src/ (tests) or dist/src/ (built) alike. */
function packageRoot(dir = __dirname): string {
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : packageRoot(path.dirname(dir));
}

export const DEFAULT_SCENARIO = path.join(packageRoot(), 'scenarios', 'storefront-web-host-cpu.json');

const DEMO_ACCOUNT = 'demo';
const DEMO_KEYS = { api_key: 'demo-api-key', app_key: 'demo-app-key' };

export interface DemoOptions {
  scenarioFile: string;
  /** Stop after printing the results instead of waiting for Ctrl-C. */
  exitWhenDone: boolean;
  untilStopped: () => Promise<string>;
}

/** Config for a demo stack of its own: a separate home and free ports unless the user chose them. */
async function demoConfig(config: Config, env: NodeJS.ProcessEnv): Promise<Config> {
  const pick = async (name: 'PORT' | 'RAYNE_PG_PORT' | 'RAYNE_TEMPORAL_PORT' | 'RAYNE_TEMPORAL_UI_PORT') => (env[name] ? config[name] : await freePort());
  const port = await pick('PORT');
  return {
    ...config,
    home: path.join(config.home, 'demo'),
    RAYNE_HOME: path.join(config.RAYNE_HOME, 'demo'),
    PORT: port,
    RAYNE_PG_PORT: await pick('RAYNE_PG_PORT'),
    RAYNE_TEMPORAL_PORT: await pick('RAYNE_TEMPORAL_PORT'),
    RAYNE_TEMPORAL_UI_PORT: await pick('RAYNE_TEMPORAL_UI_PORT'),
    RAYNE_PUBLIC_URL: config.RAYNE_PUBLIC_URL ?? `http://localhost:${port}`,
  };
}

/**
 * `rayne demo`: the stack on embedded defaults, a Datadog sandbox seeded with a scenario, and
 * local receivers for notify/forward/Slack; sends the scenario's alert and its recovery through
 * the API and shows what every processor did and the evidence the RCA gathered.
 */
export async function runDemo(baseConfig: Config, log: Logger, options: DemoOptions, out: (s: string) => void = (s) => process.stdout.write(s)) {
  const scenario = loadScenario(options.scenarioFile);
  const config = await demoConfig(baseConfig, process.env);
  out(`Rayne demo: ${scenario.title}\n  scenario ${options.scenarioFile}\n`);
  const step = consoleSteps(out);

  let s = step('Datadog sandbox and receivers');
  const sandbox = await startDatadogSandbox({ scenario, apiKey: DEMO_KEYS.api_key, appKey: DEMO_KEYS.app_key });
  const receivers = { notify: await startReceiver(), forward: await startReceiver(), slack: await startReceiver() };
  s.done(`(${sandbox.url})`);

  const stack = await startDevStack(config, log, step);
  try {
    const api = apiClient(stack.apiUrl, config.RAYNE_API_TOKEN);
    s = step('demo account and processors');
    const account = { name: DEMO_ACCOUNT, org_id: String(scenario.alert.org_id ?? ''), base_url: sandbox.url, ...DEMO_KEYS, is_default: true };
    if ((await api('GET', `/v1/accounts/${DEMO_ACCOUNT}`)).status === 404) await api('POST', '/v1/accounts', account, 201);
    else await api('PUT', `/v1/accounts/${DEMO_ACCOUNT}`, { base_url: sandbox.url, ...DEMO_KEYS, is_default: true }, 200);
    await api('POST', '/v1/webhooks/config', {
      account: DEMO_ACCOUNT,
      notify: { urls: [`${receivers.notify.url}/notify`] },
      forward: { urls: [`${receivers.forward.url}/forward`], signing_secret: 'demo-signing-secret-123' },
      slack: { webhook_url: `${receivers.slack.url}/services/DEMO/DEMO/demo` },
      downtime: { enabled: true, statuses: ['OK'], duration_minutes: 120 },
    }, 200);
    s.done();

    // A fresh transition id per run: the demo's database outlives it, and a repeat would be a duplicate.
    const transitionId = `${String(scenario.alert.transition_id ?? scenario.id)}-${Date.now().toString(36)}`;
    s = step(`past incidents for similarity search (${scenario.history.length})`);
    await indexHistory(config, stack.databaseUrl, scenario);
    s.done();

    const alert: Record<string, unknown> = { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000), transition_id: transitionId };
    const recovery = { ...alert, alert_status: 'OK', transition_id: `${transitionId}-ok` };
    for (const [label, payload] of [['alert', alert], ['recovery', recovery]] as const) {
      s = step(`sending the ${label} (${payload.alert_status}) and waiting for tier-1`);
      const accepted = await (await api('POST', `/v1/webhooks/receive/${DEMO_ACCOUNT}`, payload, 202)).json() as { event_id: string; workflow_id: string };
      const event = await waitProcessed(api, accepted.event_id);
      s.done();
      out(describeEvent(event, stack.temporalUiUrl, config.TEMPORAL_NAMESPACE));
      if (label === 'alert') {
        s = step('waiting for the RCA evidence');
        const rca = await waitEvidence(api, accepted.event_id);
        s.done();
        out(describeEvidence(rca, stack.temporalUiUrl, config.TEMPORAL_NAMESPACE));
      }
    }
    out(`\nWhat the receivers got: notify ${receivers.notify.requests.length}, forward ${receivers.forward.requests.length}, Slack ${receivers.slack.requests.length} request(s)\n`);
    out(`Datadog sandbox writes:\n${sandbox.writes.map((w) => `  ${w.method} ${w.path} -> ${w.status}`).join('\n') || '  (none)'}\n`);
    if (!options.exitWhenDone) {
      out(`\nThe stack stays up: API ${stack.apiUrl}${stack.temporalUiUrl ? `, Temporal UI ${stack.temporalUiUrl}` : ''}. Press Ctrl-C to stop.\n`);
      await options.untilStopped();
    }
  } finally {
    await stack.stop();
    await Promise.all([sandbox.close(), ...Object.values(receivers).map((r) => r.close())]);
  }
}

/** The scenario's past incidents, as earlier RCAs of the demo account, so the similarity search has something to find. */
async function indexHistory(config: Config, databaseUrl: string, scenario: Scenario): Promise<void> {
  const db = createPool(databaseUrl, 2);
  try {
    const { embedder, store } = createSimilarityProviders(config, db);
    const points = scenario.history.map((h, i) => ({
      id: `demo/${scenario.id}/${i}`,
      text: [h.title, h.service && `service ${h.service}`, h.root_cause].filter(Boolean).join('\n'),
      payload: { account: DEMO_ACCOUNT, title: h.title, service: h.service, rootCause: h.root_cause, category: h.category, confirmed: true, links: {}, createdAt: new Date().toISOString() },
    }));
    if (points.length === 0) return;
    const vectors = await embedder.embed(points.map((p) => p.text));
    await store.ensureReady(vectors[0]!.length);
    await store.upsert(points.map((p, i) => ({ id: p.id, vector: vectors[i]!, payload: p.payload })));
  } finally {
    await db.end();
  }
}

type Api = (method: string, path: string, body?: unknown, expected?: number) => Promise<Response>;

function apiClient(baseUrl: string, token: string | undefined): Api {
  return async (method, route, body, expected) => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (expected !== undefined && response.status !== expected) {
      throw new Error(`${method} ${route} answered ${response.status}: ${await response.text()}`);
    }
    return response;
  };
}

interface EventView {
  id: string;
  alert_status: string;
  monitor_name: string | null;
  workflow_id: string;
  run_id: string;
  status: string;
  processor_runs: Array<{ processor: string; target: string; status: string; attempts: number; latency_ms: number | null; detail: string | null; error: string | null }>;
}

async function waitProcessed(api: Api, eventId: string, timeoutMs = 60_000): Promise<EventView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = await (await api('GET', `/v1/webhooks/events/${eventId}`, undefined, 200)).json() as EventView;
    if (event.status === 'processed') return event;
    if (Date.now() > deadline) throw new Error(`event ${eventId} was not processed within ${timeoutMs / 1000}s (status ${event.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface EvidenceView {
  id: string;
  role: string;
  role_reason: string;
  status: string;
  summary: string | null;
  evidence: EvidenceBundle | null;
}

async function waitEvidence(api: Api, eventId: string, timeoutMs = 90_000): Promise<EvidenceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/v1/rca/${eventId}/evidence`);
    if (res.status === 200) {
      const view = await res.json() as EvidenceView;
      if (view.status !== 'running') return view;
    } else await res.arrayBuffer();
    if (Date.now() > deadline) throw new Error(`the RCA of event ${eventId} did not finish its evidence within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function describeEvidence(v: EvidenceView, temporalUiUrl: string | undefined, namespace: string): string {
  const b = v.evidence;
  const link = temporalUiUrl ? `${temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(v.id)}` : v.id;
  if (!b) return `\n  RCA ${link}: ${v.status}\n`;
  const list = (items: string[]) => items.map((i) => `      ${i}`).join('\n') || '      (none)';
  return `\n  RCA ${link}\n  role ${v.role} (${v.role_reason}); ${v.summary}\n` +
    `    most suspicious log templates:\n${list(b.logTemplates.slice(0, 3).map((t) => `${t.count}× ${t.template.slice(0, 100)}  [${t.why.join('; ')}]`))}\n` +
    `    events:\n${list(b.events.slice(0, 3).map((e) => `${e.title.slice(0, 100)}  [${e.why.join('; ')}]`))}\n` +
    `    similar incidents:\n${list(b.similar.map((s) => `${s.score.toFixed(2)} ${s.title} — ${s.rootCause.slice(0, 100)}`))}\n` +
    (b.missing.length ? `    missing: ${b.missing.map((m) => `${m.source} (${m.reason})`).join(', ')}\n` : '');
}

function describeEvent(e: EventView, temporalUiUrl: string | undefined, namespace: string): string {
  const link = temporalUiUrl ? `${temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(e.workflow_id)}/${e.run_id}/history` : e.workflow_id;
  const runs = e.processor_runs.map((r) =>
    `    ${r.processor.padEnd(9)} ${r.status.padEnd(10)} attempts ${r.attempts}  ${r.latency_ms ?? '-'} ms  ${r.target}${r.detail ? `  (${r.detail})` : ''}${r.error ? `  error: ${r.error}` : ''}`);
  return `\n  event ${e.id}: ${e.alert_status} ${e.monitor_name ?? ''}\n  workflow ${link}\n  processors:\n${runs.join('\n') || '    (none ran)'}\n`;
}
