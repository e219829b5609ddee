import fs from 'node:fs';
import path from 'node:path';
import { type Api, apiClient, poll } from '../api-client';
import { type RcaReport, verdictOfConfidence } from '../analysis/report';
import { crossValidatedConfidence } from '../analysis/investigator/calibration';
import type { AnswerFeatures } from '../analysis/investigator/conclude';
import { evidenceRecalled, type ExpectedRca, formatScores, type ScoreRow, scoreReport } from '../analysis/scoring';
import type { EvidenceBundle } from '../evidence/bundle';
import type { Config } from '../config';
import { consoleSteps, type DevStack, startDevStack } from '../dev/stack';
import { StartupError } from '../errors';
import type { Logger } from '../logger';
import { createPool } from '../db/pool';
import { createSimilarityProviders } from '../similarity/providers';
import type { AnalystName } from '../contracts/rca';
import { startDatadogSandbox } from './sandbox';
import { alertToSend, loadScenario, type Scenario } from './scenario';
import type { RcaDetail } from '../cli/api-views';
import { indexHistory, isolatedConfig } from './stack-client';

/** A scored scenario, with the root cause it was scored on. */
export interface EvalRow extends ScoreRow {
  rootCause: string;
  /** The company the scenario comes from (`alert.org_name`), the unit of cross-validation. */
  company: string;
  /** The evidence bundle the RCA stored, as the analyst saw it. */
  bundle: EvidenceBundle | null;
  /** The investigating analyst's answer features, from which its confidence is calibrated. */
  features?: AnswerFeatures;
}

export const EVAL_ACCOUNT = 'eval';
export const EVAL_KEYS = { api_key: 'eval-api-key', app_key: 'eval-app-key' };

export interface EvalOptions {
  dir: string;
  analyst?: AnalystName;
  /** A running stack to use instead of starting one (RAYNE_URL). */
  apiUrl?: string;
  out?: (s: string) => void;
  /** Also give each company's answers the confidence a calibration fitted on the other companies estimates. */
  crossValidate?: boolean;
  /** A folder to write each scenario's stored evidence bundle to, as `{scenario, company, expected, bundle}`. */
  bundlesDir?: string;
}

/** The `*.json` files of a folder, sorted; a StartupError when it is no folder or holds none. */
export function scenarioFiles(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new StartupError(`${dir} is not a folder of scenario files`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new StartupError(`${dir} holds no *.json scenario files`);
  return files;
}

/**
 * `rayne eval DIR`: every scenario through the real pipeline (the sandbox seeded with it, its
 * history indexed, its alert sent to the API, the configured analyst), each stored report
 * scored; a table, a line per company, then `solved=N/M … median_tool_calls=T max_tool_calls=U`.
 */
export async function runEval(baseConfig: Config, log: Logger, options: EvalOptions): Promise<EvalRow[]> {
  const out = options.out ?? ((s: string) => process.stdout.write(s));
  const scenarios = scenarioFiles(options.dir).map((file) => loadScenario(file));
  const config = await isolatedConfig(baseConfig, process.env, 'eval');
  const step = consoleSteps(out);
  out(`rayne eval: ${scenarios.length} scenarios from ${options.dir}\n`);
  const sandbox = await startDatadogSandbox({ apiKey: EVAL_KEYS.api_key, appKey: EVAL_KEYS.app_key });
  let stack: DevStack | undefined;
  try {
    if (!options.apiUrl) stack = await startDevStack(config, log, step);
    const apiUrl = options.apiUrl ?? stack!.apiUrl;
    const databaseUrl = stack?.databaseUrl ?? config.databaseUrl;
    const api = apiClient(apiUrl, config.RAYNE_API_TOKEN);
    await useEvalAccount(api, sandbox.url);

    const rows: EvalRow[] = [];
    for (const [i, scenario] of scenarios.entries()) {
      const s = step(`[${i + 1}/${scenarios.length}] ${scenario.id}`);
      sandbox.seed(scenario);
      const historyIds = databaseUrl ? await indexHistory(config, databaseUrl, scenario, EVAL_ACCOUNT) : [];
      const alert = alertToSend(scenario);
      // A run that was cut short left its incident open, which would take this alert as a repeat and start no RCA.
      await recover(api, alert, 'reset');
      const accepted = (await (await api('POST', `/v1/webhooks/receive/${EVAL_ACCOUNT}`, alert, 202)).json()) as {
        event_id: string;
      };
      if (options.analyst) {
        // The incident's own RCA runs with the configured analyst; a chosen one gets a re-run and is scored instead.
        await waitRca(api, accepted.event_id);
      }
      const rcaPath = options.analyst ? await rerun(api, accepted.event_id, options.analyst) : accepted.event_id;
      const rca = await waitRca(api, rcaPath);
      const evidence = (await (await api('GET', `/v1/rca/${rcaPath}/evidence`, undefined, 200)).json()) as {
        token_estimate: number;
        evidence: EvidenceBundle | null;
      };
      const report = rca.report as RcaReport | null;
      const score = report
        ? scoreReport(report, scenario.expected)
        : { categoryCorrect: false, culpritFound: false, solved: false, top3: false };
      const company = companyOf(scenario);
      if (options.bundlesDir)
        saveBundle(options.bundlesDir, { scenario: scenario.id, company, expected: scenario.expected, bundle: evidence.evidence });
      rows.push({
        scenario: scenario.id,
        company,
        bundle: evidence.evidence,
        verdict: report?.verdict,
        confidence: report?.confidence,
        evidenceRecalled: evidenceRecalled(evidence.evidence, scenario.expected),
        expected: scenario.expected,
        category: report?.category ?? '(none)',
        rootCause: report?.root_cause ?? `(${rca.status})`,
        evidenceTokens: evidence.token_estimate ?? 0,
        evidenceChars: JSON.stringify(evidence.evidence ?? {}).length,
        toolCalls: rca.usage?.toolCalls,
        features: report?.calibration?.features,
        score,
      });
      if (databaseUrl && historyIds.length) await forgetHistory(config, databaseUrl, historyIds);
      // The incident recovers, so the next run of the same scenario opens a new one (and a new RCA) instead of repeating it.
      await recover(api, alert, 'ok');
      s.done(score.solved ? 'solved' : score.categoryCorrect ? 'category only' : 'missed');
    }
    out(`\n${formatScores(rows, { byCompany: true })}\n`);
    if (options.crossValidate) out(`\n${formatCrossValidation(rows)}\n`);
    return rows;
  } finally {
    await stack?.stop();
    await sandbox.close();
  }
}

/** Makes the eval account the default, reading Datadog from the sandbox at `baseUrl` (created, or updated on a later run). */
export async function useEvalAccount(api: Api, baseUrl: string): Promise<void> {
  const account = { base_url: baseUrl, ...EVAL_KEYS, is_default: true };
  if ((await api('GET', `/v1/accounts/${EVAL_ACCOUNT}`)).status === 404)
    await api('POST', '/v1/accounts', { name: EVAL_ACCOUNT, ...account }, 201);
  else await api('PUT', `/v1/accounts/${EVAL_ACCOUNT}`, account, 200);
}

/**
 * The investigating analyst's confidence, estimated out of sample: each company's answers get the
 * confidence (and so the verdict) of a calibration fitted on the other companies' answers only.
 * The answers themselves do not change; what is measured is whether a committed answer can be trusted.
 */
export function formatCrossValidation(rows: EvalRow[]): string {
  const answers = rows.flatMap((r) => (r.features ? [{ ...r, group: r.company, features: r.features, right: r.score.solved }] : []));
  const companies = new Set(answers.map((a) => a.company));
  if (companies.size < 2) return 'cross-validation needs calibrated answers from at least two companies (alert.org_name)';
  const scored: ScoreRow[] = crossValidatedConfidence(answers).map((a) => ({
    ...a,
    verdict: verdictOfConfidence(a.confidence),
  }));
  return [
    `cross-validated calibration (each company's confidence fitted on the other ${companies.size - 1} companies' answers)`,
    formatScores(scored, { byCompany: true }),
  ]
    .join('\n')
    .replace(/^solved=/m, 'cv_solved=');
}

/** Sends the scenario's recovery (OK), which closes its incident if one is open. */
async function recover(api: Api, alert: ReturnType<typeof alertToSend>, suffix: string): Promise<void> {
  const recovery = { ...alert, alert_status: 'OK', transition_id: `${alert.transition_id}-${suffix}` };
  await api('POST', `/v1/webhooks/receive/${EVAL_ACCOUNT}`, recovery, 202);
}

const companyOf = (scenario: Scenario) => String(scenario.alert.org_name ?? 'unknown');

function saveBundle(dir: string, saved: { scenario: string; company: string; expected: ExpectedRca; bundle: EvidenceBundle | null }): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${saved.scenario}.json`), `${JSON.stringify(saved, null, 2)}\n`);
}

export type RcaView = Pick<RcaDetail, 'status' | 'created_at' | 'phase' | 'report' | 'usage'>;

/** Polls the RCA until it completed or failed (three minutes at most). */
export async function waitRca(api: Api, id: string): Promise<RcaView> {
  return poll(
    `RCA ${id} did not complete`,
    async () => {
      const res = await api('GET', `/v1/rca/${encodeURIComponent(id)}`);
      if (res.status !== 200) return void (await res.arrayBuffer());
      const view = (await res.json()) as RcaView;
      return view.status === 'completed' || view.status === 'failed' ? view : undefined;
    },
    180_000,
  );
}

async function rerun(api: Api, eventId: string, analyst: AnalystName): Promise<string> {
  const started = (await (await api('POST', `/v1/rca/${eventId}/rerun`, { analyst }, 202)).json()) as { rca_id: string };
  return encodeURIComponent(started.rca_id);
}

/** Removes a scenario's indexed history, so the next scenario finds only its own past. */
export async function forgetHistory(config: Config, databaseUrl: string, ids: string[]): Promise<void> {
  const db = createPool(databaseUrl, 2);
  try {
    const { store } = createSimilarityProviders(config, db);
    for (const id of ids) await store.delete(id);
  } finally {
    await db.end();
  }
}
