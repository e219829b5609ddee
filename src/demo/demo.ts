import { type Api, apiClient, poll } from '../api-client';
import type { Config } from '../config';
import { consoleSteps, startDevStack } from '../dev/stack';
import { describeConclusion, type EventDetail, type RcaDetail } from '../cli/api-views';
import type { EvidenceBundle } from '../evidence/bundle';
import { rcaPathId } from '../notebook/notebook';
import type { Logger } from '../logger';
import { startReceiver } from './receiver';
import { startDatadogSandbox } from './sandbox';
import { alertToSend, loadScenario } from './scenario';
import { indexHistory, isolatedConfig, SANDBOX_KEYS, useSandboxAccount } from './stack-client';

const DEMO_ACCOUNT = 'demo';

export interface DemoOptions {
  scenarioFile: string;
  /** Stop after printing the results instead of waiting for Ctrl-C. */
  exitWhenDone: boolean;
  untilStopped: () => Promise<string>;
}

/**
 * `rayne demo`: the stack on embedded defaults, a Datadog sandbox seeded with a scenario, and
 * local receivers for notify/forward/Slack; sends the scenario's alert and its recovery through
 * the API and shows what every processor did and the evidence the RCA gathered.
 */
export async function runDemo(
  baseConfig: Config,
  log: Logger,
  options: DemoOptions,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  const scenario = loadScenario(options.scenarioFile);
  const config = await isolatedConfig(baseConfig, process.env, 'demo');
  out(`Rayne demo: ${scenario.title}\n  scenario ${options.scenarioFile}\n`);
  const step = consoleSteps(out);

  let s = step('Datadog sandbox and receivers');
  const sandbox = await startDatadogSandbox({ scenario, apiKey: SANDBOX_KEYS.api_key, appKey: SANDBOX_KEYS.app_key });
  const receivers = { notify: await startReceiver(), forward: await startReceiver(), slack: await startReceiver() };
  s.done(`(${sandbox.url})`);

  const stack = await startDevStack(config, log, step);
  try {
    const api = apiClient(stack.apiUrl, config.RAYNE_API_TOKEN);
    // With --exit the stack stops right after printing: its links would be dead when read.
    const temporalUiUrl = options.exitWhenDone ? undefined : stack.temporalUiUrl;
    let consoleUrl: string | undefined;
    s = step('demo account and processors');
    await useSandboxAccount(api, DEMO_ACCOUNT, scenario, sandbox.url);
    await api(
      'POST',
      '/v1/webhooks/config',
      {
        account: DEMO_ACCOUNT,
        notify: { urls: [`${receivers.notify.url}/notify`] },
        forward: { urls: [`${receivers.forward.url}/forward`], signing_secret: 'demo-signing-secret-123' },
        slack: { webhook_url: `${receivers.slack.url}/services/DEMO/DEMO/demo` },
        downtime: { enabled: true, statuses: ['OK'], duration_minutes: 120 },
      },
      200,
    );
    s.done();

    s = step(`past incidents for similarity search (${scenario.history.length})`);
    await indexHistory(config, stack.databaseUrl, scenario, DEMO_ACCOUNT);
    s.done();

    // A fresh transition id per run: the demo's database outlives it, and a repeat would be a duplicate.
    const alert = alertToSend(scenario);
    const recovery = { ...alert, alert_status: 'OK', transition_id: `${alert.transition_id}-ok` };
    for (const [label, payload] of [
      ['alert', alert],
      ['recovery', recovery],
    ] as const) {
      s = step(`sending the ${label} (${payload.alert_status}) and waiting for tier-1`);
      const accepted = (await (await api('POST', `/v1/webhooks/receive/${DEMO_ACCOUNT}`, payload, 202)).json()) as {
        event_id: string;
        workflow_id: string;
      };
      const event = await waitProcessed(api, accepted.event_id);
      s.done();
      out(describeEvent(event, temporalUiUrl, config.TEMPORAL_NAMESPACE));
      if (label === 'alert') {
        s = step('waiting for the RCA evidence');
        const evidence = await waitEvidence(api, accepted.event_id);
        s.done();
        out(describeEvidence(evidence, temporalUiUrl, config.TEMPORAL_NAMESPACE));
        s = step("waiting for the RCA's conclusion");
        const rca = await waitRca(api, accepted.event_id);
        s.done();
        out(describeConclusion(rca));
        consoleUrl = `${stack.apiUrl}/${rcaHrefOf(rca.id)}`;
      }
    }
    out(
      `\nWhat the receivers got: notify ${receivers.notify.requests.length}, forward ${receivers.forward.requests.length}, Slack ${receivers.slack.requests.length} request(s)\n`,
    );
    out(`Datadog sandbox writes:\n${sandbox.writes.map((w) => `  ${w.method} ${w.path} -> ${w.status}`).join('\n') || '  (none)'}\n`);
    if (!options.exitWhenDone) {
      out(`\nRead the report in the console: ${consoleUrl}\n`);
      out(
        `The stack stays up: API ${stack.apiUrl} (docs ${stack.apiUrl}/docs)${stack.temporalUiUrl ? `, Temporal UI ${stack.temporalUiUrl}` : ''}. Press Ctrl-C to stop.\n`,
      );
      await options.untilStopped();
    }
  } finally {
    await stack.stop();
    await Promise.all([sandbox.close(), ...Object.values(receivers).map((r) => r.close())]);
  }
}

function waitProcessed(api: Api, eventId: string): Promise<EventDetail> {
  return poll(
    `event ${eventId} was not processed`,
    async () => {
      const event = (await (await api('GET', `/v1/webhooks/events/${eventId}`, undefined, 200)).json()) as EventDetail;
      return event.status === 'processed' ? event : undefined;
    },
    60_000,
  );
}

interface EvidenceView {
  id: string;
  role: string;
  role_reason: string;
  status: string;
  summary: string | null;
  evidence: EvidenceBundle | null;
}

function waitEvidence(api: Api, eventId: string): Promise<EvidenceView> {
  return poll(
    `the RCA of event ${eventId} did not finish its evidence`,
    async () => {
      const res = await api('GET', `/v1/rca/${eventId}/evidence`);
      if (res.status !== 200) return void (await res.arrayBuffer());
      const view = (await res.json()) as EvidenceView;
      return view.status !== 'running' ? view : undefined;
    },
    90_000,
  );
}

type RcaView = Pick<RcaDetail, 'id' | 'status' | 'error' | 'analyst' | 'report'>;

const rcaHrefOf = (rcaId: string) => `rca/${rcaPathId(rcaId)}`;

function waitRca(api: Api, eventId: string): Promise<RcaView> {
  return poll(
    `the RCA of event ${eventId} did not finish`,
    async () => {
      const rca = (await (await api('GET', `/v1/rca/${eventId}`, undefined, 200)).json()) as RcaView;
      return rca.status === 'completed' || rca.status === 'failed' ? rca : undefined;
    },
    120_000,
  );
}

function describeEvidence(v: EvidenceView, temporalUiUrl: string | undefined, namespace: string): string {
  const b = v.evidence;
  const link = temporalUiUrl ? `${temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(v.id)}` : v.id;
  if (!b) return `\n  RCA ${link}: ${v.status}\n`;
  const list = (items: string[]) => items.map((i) => `      ${i}`).join('\n') || '      (none)';
  return (
    `\n  RCA ${link}\n  role ${v.role} (${v.role_reason}); ${v.summary}\n` +
    `    most suspicious log templates:\n${list(b.logTemplates.slice(0, 3).map((t) => `${t.count}× ${t.template.slice(0, 100)}  [${t.why.join('; ')}]`))}\n` +
    `    events:\n${list(b.events.slice(0, 3).map((e) => `${e.title.slice(0, 100)}  [${e.why.join('; ')}]`))}\n` +
    `    similar incidents:\n${list(b.similar.map((s) => `${s.score.toFixed(2)} ${s.title} — ${s.rootCause.slice(0, 100)}`))}\n` +
    (b.missing.length ? `    missing: ${b.missing.map((m) => `${m.source} (${m.reason})`).join(', ')}\n` : '')
  );
}

function describeEvent(e: EventDetail, temporalUiUrl: string | undefined, namespace: string): string {
  const link = temporalUiUrl
    ? `${temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(e.workflow_id)}/${e.run_id}/history`
    : e.workflow_id;
  const runs = e.processor_runs.map(
    (r) =>
      `    ${r.processor.padEnd(9)} ${r.status.padEnd(10)} attempts ${r.attempts}  ${r.latency_ms ?? '-'} ms  ${r.target}${r.detail ? `  (${r.detail})` : ''}${r.error ? `  error: ${r.error}` : ''}`,
  );
  return `\n  event ${e.id}: ${e.alert_status} ${e.monitor_name ?? ''}\n  workflow ${link}\n  processors:\n${runs.join('\n') || '    (none ran)'}\n`;
}
