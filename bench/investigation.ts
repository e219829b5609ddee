/**
 * npm run bench:investigation [-- DIR] [-- --rounds R]
 *
 * The investigating analyst against the Datadog sandbox, without Temporal or Postgres: for every
 * scenario in DIR (default scenarios/), the sandbox is seeded with it and the policy's calls are
 * run through the same tool runner the RCA activities use, turn by turn, until it reports. Prints
 * per scenario its tool calls, turns, milliseconds and whether it was solved; then the p50/p90
 * investigation time and the median and maximum calls, against a baseline measured in the same run:
 * the single logs search of the alert's own errors that any analyst makes. The last line is
 * machine-readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runReadTool, type ToolContext } from '../src/analysis/claude-tool-runner';
import { investigate, type Observation } from '../src/analysis/investigator';
import { crossValidatedConfidence, fitCalibration } from '../src/analysis/investigator/calibration';
import { COMMIT_AT } from '../src/analysis/report';
import { type AnswerFeatures, inTrouble } from '../src/analysis/investigator/conclude';
import { readingsOf } from '../src/analysis/investigator/observations';
import { chainOf } from '../src/analysis/investigator/policy';
import { scoreReport } from '../src/analysis/scoring';
import type { AlertContext } from '../src/contracts/rca';
import { DatadogLinks } from '../src/datadog/links';
import { startDatadogSandbox } from '../src/demo/sandbox';
import { loadScenario, type Scenario } from '../src/demo/scenario';
import type { SimilarityProviders } from '../src/similarity/providers';
import { arg } from './measure';

const KEYS = { apiKey: 'bench-api-key', appKey: 'bench-app-key' };
const dir = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--')) ?? 'scenarios';
const rounds = arg('rounds', 3);
const verbose = process.argv.includes('--verbose');

// The policy never asks for similar incidents; a tool context needs the field all the same.
const NO_SIMILARITY = {} as SimilarityProviders;

function alertOf(scenario: Scenario, alertTime: Date): AlertContext {
  const a = scenario.alert;
  return {
    eventId: scenario.id,
    account: 'bench',
    status: 'Alert',
    monitorId: String(a.monitor_id),
    monitorName: a.monitor_name as string | undefined,
    title: a.alert_title as string | undefined,
    message: a.alert_message as string | undefined,
    tags: (a.tags as string[] | undefined) ?? [],
    service: a.service as string | undefined,
    hostname: a.hostname as string | undefined,
    scope: String(a.scope ?? ''),
    alertTime: alertTime.toISOString(),
  };
}

interface Run {
  ms: number;
  calls: number;
  turns: number;
  solved: boolean;
  top3: boolean;
  category: string;
  confidence: number;
  rootCause: string;
  features: AnswerFeatures;
}

async function investigateScenario(scenario: Scenario, baseUrl: string, alertTime: Date): Promise<Run> {
  const alert = alertOf(scenario, alertTime);
  const alertMs = alertTime.getTime();
  const window = { from: new Date(alertMs - 30 * 60_000), to: new Date(alertMs) };
  const ctx: ToolContext = {
    selfId: scenario.id,
    account: 'bench',
    credentials: { name: 'bench', baseUrl, ...KEYS },
    window,
    similarity: NO_SIMILARITY,
    similar: { limit: 3, minScore: 0.5 },
  };
  const started = performance.now();
  const observations: Observation[] = [];
  const links = new DatadogLinks(baseUrl, window);
  for (let turn = 1; ; turn++) {
    const move = investigate({ alert, alertMs, links }, observations, turn >= 12);
    if ('report' in move) {
      const score = scoreReport(move.report, scenario.expected);
      if (verbose) {
        for (const o of observations)
          console.log(`call ${o.call.name} ${JSON.stringify(o.call.input).slice(0, 140)} ${o.ok ? o.text.length : o.text}`);
        const readings = readingsOf(observations);
        for (const n of chainOf({ alert, alertMs }, readings, inTrouble({ alert, alertMs })))
          console.log(`chain d${n.depth} ${n.shape} ${n.name} <- ${n.parent ?? ''}: ${n.why}`);
        for (const c of move.conclusion.candidates)
          console.log(
            `cand ${c.score.toFixed(2)} ${c.category} ${c.node.name} d${c.node.depth} own=${c.own} ${c.troubles.map((t) => `[${t.source} ${t.mechanism}: ${t.claim.slice(0, 120)}]`).join(' ')}`,
          );
        console.log(move.reasoning.join('\n'));
      }
      return {
        ms: performance.now() - started,
        calls: observations.length,
        turns: turn,
        solved: score.solved,
        top3: score.top3,
        category: move.report.category,
        confidence: move.report.confidence,
        rootCause: move.report.root_cause,
        features: move.conclusion.features,
      };
    }
    for (const call of move.calls) {
      try {
        observations.push({ call, ok: true, text: await runReadTool(call.name, call.input, ctx) });
      } catch (err) {
        observations.push({ call, ok: false, text: (err as Error).message });
      }
    }
  }
}

/** The baseline: one search of the alert's own error lines, as every analyst makes. */
async function baselineSearch(scenario: Scenario, baseUrl: string, alertTime: Date): Promise<number> {
  const alertMs = alertTime.getTime();
  const started = performance.now();
  await runReadTool(
    'search_logs',
    { query: `service:${scenario.alert.service} status:(error OR warn)`, limit: 1000 },
    {
      selfId: scenario.id,
      account: 'bench',
      credentials: { name: 'bench', baseUrl, ...KEYS },
      window: { from: new Date(alertMs - 2 * 3600_000), to: new Date(alertMs) },
      similarity: NO_SIMILARITY,
      similar: { limit: 3, minScore: 0.5 },
    },
  );
  return performance.now() - started;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main() {
  const files = fs.statSync(dir).isFile()
    ? [dir]
    : fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => path.join(dir, f));
  const sandbox = await startDatadogSandbox(KEYS);
  const times: number[] = [];
  const baselines: number[] = [];
  const calls: number[] = [];
  let solved = 0;
  let top3 = 0;
  const answers: Array<{ group: string; features: AnswerFeatures; right: boolean }> = [];
  try {
    for (const file of files) {
      const scenario = loadScenario(file);
      const alertTime = new Date(Math.floor(Date.now() / 1000) * 1000);
      sandbox.seed(scenario, alertTime);
      let run: Run | undefined;
      for (let r = 0; r < rounds; r++) {
        baselines.push(await baselineSearch(scenario, sandbox.url, alertTime));
        run = await investigateScenario(scenario, sandbox.url, alertTime);
        times.push(run.ms);
      }
      calls.push(run!.calls);
      answers.push({ group: String(scenario.alert.org_name ?? 'unknown'), features: run!.features, right: run!.solved });
      solved += run!.solved ? 1 : 0;
      top3 += run!.top3 ? 1 : 0;
      console.log(
        `${scenario.id.slice(0, 48).padEnd(48)} ${run!.solved ? 'solved' : run!.top3 ? 'top-3 ' : 'missed'} ${run!.category.padEnd(18)} ` +
          `conf ${run!.confidence.toFixed(2)} calls ${String(run!.calls).padStart(2)} turns ${run!.turns} ${run!.ms.toFixed(0)} ms  ${run!.rootCause.slice(0, 400)}`,
      );
    }
  } finally {
    await sandbox.close();
  }
  const cv = crossValidatedConfidence(answers);
  const committed = cv.filter((a) => a.confidence >= COMMIT_AT.likely);
  const meanConfidence = cv.reduce((s, a) => s + a.confidence, 0) / Math.max(1, cv.length);
  console.log(
    `\ncalibration, each company's confidence fitted on the others: mean ${meanConfidence.toFixed(2)} against ${solved}/${files.length} solved; ` +
      `committed (>= ${COMMIT_AT.likely}) ${committed.filter((a) => a.right).length}/${committed.length} right`,
  );
  for (const group of [...new Set(answers.map((a) => a.group))])
    console.log(
      `  ${group}: solved ${answers.filter((a) => a.group === group && a.right).length}/${answers.filter((a) => a.group === group).length}`,
    );
  console.log(`fitted on all: ${JSON.stringify(fitCalibration(answers))}`);
  if (verbose) for (const a of answers) console.log(`answer ${a.right ? 'right' : 'wrong'} ${JSON.stringify(a.features)}`);
  const p50 = percentile(times, 50);
  const base = percentile(baselines, 50);
  console.log(
    `\ninvestigation p50 ${p50.toFixed(0)} ms, p90 ${percentile(times, 90).toFixed(0)} ms; one alert-logs search p50 ${base.toFixed(1)} ms (ratio ${(p50 / base).toFixed(1)}x)`,
  );
  console.log(
    `tool calls median ${percentile(calls, 50)}, max ${Math.max(...calls)}; solved ${solved}/${files.length}, top-3 ${top3}/${files.length}`,
  );
  console.log(
    `investigation_p50_ms=${p50.toFixed(0)} baseline_p50_ms=${base.toFixed(1)} median_calls=${percentile(calls, 50)} max_calls=${Math.max(...calls)} solved=${solved}/${files.length}`,
  );
}

void main();
