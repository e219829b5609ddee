import {
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SubmittedReport } from '../analysis/report';
import { failureReason } from '../errors';
import {
  ANALYSIS_OPTIONS,
  GROUP_SLACK_OPTIONS,
  INDEXING_OPTIONS,
  INVESTIGATION_OPTIONS,
  NOTEBOOK_OPTIONS,
  PREFETCH_OPTIONS,
  STORE_OPTIONS,
} from './activity-options';
import { type LoopResult, modelActivities, runAnalystLoop } from './analyst-loop';
import { classifyAlert } from './classify';
import {
  type AnalysisPlan,
  type EvidenceSource,
  INVESTIGATION_LIMITS,
  PREFETCH_SOURCES,
  type PrefetchSource,
  rcaStateQuery,
  type RcaInput,
  type RcaResult,
  type ReportSummary,
  type SourceOutcome,
  type ToolCall,
} from '../contracts/rca';
import { RayneRole } from '../contracts/search-attributes';

const store = proxyActivities<Activities>(STORE_OPTIONS);
const analysis = proxyActivities<Activities>(ANALYSIS_OPTIONS);
const indexing = proxyActivities<Activities>(INDEXING_OPTIONS);
// A missing account is recorded as a skipped source, not failed.
const prefetch = proxyActivities<Activities>(PREFETCH_OPTIONS);
const notebooks = proxyActivities<Activities>(NOTEBOOK_OPTIONS);
const investigation = proxyActivities<Activities>(INVESTIGATION_OPTIONS);
const slack = proxyActivities<Activities>(GROUP_SLACK_OPTIONS);

const PREFETCH: Record<PrefetchSource, 'prefetchLogs' | 'prefetchEvents' | 'prefetchHost' | 'prefetchMonitor' | 'prefetchMetrics'> = {
  logs: 'prefetchLogs',
  events: 'prefetchEvents',
  host: 'prefetchHost',
  monitor: 'prefetchMonitor',
  metrics: 'prefetchMetrics',
};

/**
 * rca/{eventId}: classify the alert, prefetch every Datadog source and search similar past
 * incidents in parallel (each may fail alone and is then named as missing), build the bounded
 * evidence bundle in Postgres, analyse it (the offline analyst, or a model loop that falls back
 * to it), publish the notebook, and index the RCA for later similarity searches. A step that
 * fails for good (a fatal code, or out of attempts) fails the run, and its row says why.
 */
export async function rcaWorkflow(input: RcaInput): Promise<RcaResult> {
  try {
    return await runRca(input);
  } catch (err) {
    // Else the row stays in the phase that failed, looking as if it were still running.
    if (!isCancellation(err)) await store.setRcaPhase(input.rcaId, 'failed', undefined, failureReason(err));
    throw err;
  }
}

async function runRca({ eventId, rcaId, analyst, model, groupId }: RcaInput): Promise<RcaResult> {
  const result: RcaResult = {
    rcaId,
    role: 'general',
    roleReason: '',
    phase: 'classify',
    sources: [],
    turns: 0,
    toolCalls: 0,
    tokens: { input: 0, output: 0, cached: 0 },
  };
  setHandler(rcaStateQuery, () => result);

  const alert = await store.startRca(rcaId, eventId);
  const { role, reason } = classifyAlert(alert);
  Object.assign(result, { role, roleReason: reason, phase: 'prefetch' });
  upsertSearchAttributes([{ key: RayneRole, value: role }]);
  await store.setRcaPhase(rcaId, 'prefetch', { role, reason });

  // The similar-incident search needs only the alert, so it runs beside the Datadog sources.
  const fetchers: Partial<Record<EvidenceSource, () => Promise<SourceOutcome>>> = {
    ...(Object.fromEntries(PREFETCH_SOURCES.map((source) => [source, () => prefetch[PREFETCH[source]](rcaId, alert)])) as Record<
      PrefetchSource,
      () => Promise<SourceOutcome>
    >),
    similar: () => prefetch.findSimilarIncidents(rcaId, alert),
  };
  // Runs started before Prometheus evidence scheduled no such activity; their histories must replay.
  if (alert.source && alert.source !== 'datadog' && patched('prometheus-evidence')) {
    fetchers.prometheus = () => prefetch.prefetchPrometheus(rcaId, alert);
  }
  result.sources = await Promise.all(
    Object.entries(fetchers).map(async ([source, fetchSource]): Promise<SourceOutcome> => {
      try {
        return await fetchSource();
      } catch (err) {
        return store.recordSourceFailure(rcaId, source as EvidenceSource, failureReason(err));
      }
    }),
  );

  result.phase = 'evidence';
  await store.setRcaPhase(rcaId, 'evidence');
  const evidence = await store.buildEvidence(rcaId, alert, { role, reason });
  Object.assign(result, { evidenceSummary: evidence.summary, tokenEstimate: evidence.tokenEstimate, phase: 'analyse' });
  await store.setRcaPhase(rcaId, 'analyse');

  const plan = await store.planAnalysis(rcaId, { analyst, model });
  result.analyst = plan.analyst;
  // Runs started before the investigation loop analysed in one activity; their histories must replay.
  const investigated = patched('investigation-loop') ? await investigate(rcaId, result) : undefined;
  const offline = (note?: string) =>
    investigated ? investigation.saveInvestigation(rcaId, investigated, note) : analysis.runOfflineAnalysis(rcaId, note);
  const summary =
    plan.analyst === 'offline'
      ? await offline(plan.fallback)
      : // A rejected key or a model that keeps failing still leaves a report, which says why it is the offline one.
        await llmLoop(rcaId, plan, result, offline).catch((err) => offline(`${plan.analyst} analysis failed: ${failureReason(err)}`));
  Object.assign(result, { category: summary.category, rootCause: summary.rootCause, verdict: summary.verdict, phase: 'notebook' });
  await store.setRcaPhase(rcaId, 'notebook');
  try {
    const notebook = await notebooks.publishNotebook(rcaId);
    if ('url' in notebook) result.notebookUrl = notebook.url;
    // The incident may have recovered while this RCA ran; its recovery found no notebook to mark then.
    if ('url' in notebook && (await store.incidentRecovered(rcaId))) await notebooks.resolveNotebook(rcaId);
  } catch (err) {
    // The report is stored and served as Markdown; a notebook Datadog refused does not undo it.
    log.warn('notebook not published', { rcaId, error: failureReason(err) });
  }
  // Only RCAs started with a group (never a history from before) post; the group's members did not.
  if (groupId) {
    await slack
      .postGroupSlack({ groupId, eventId, kind: 'report', rcaId })
      .catch((err) => log.warn('group report not posted to Slack', { rcaId, groupId, error: failureReason(err) }));
  }

  result.phase = 'store';
  await store.setRcaPhase(rcaId, 'store');
  await indexing.indexRca(rcaId);
  result.phase = 'done';
  await store.setRcaPhase(rcaId, 'done');
  return result;
}

/**
 * The investigating analyst: its policy chooses the calls turn by turn, each call an activity, until
 * it reports; bounded in turns and time (past either, its next turn must report). It runs for every
 * RCA: its report is the offline analyst's, and a model's starting hypotheses.
 */
async function investigate(rcaId: string, tally: RcaResult): Promise<LoopResult<SubmittedReport>> {
  const startedAt = Date.now();
  const steps = {
    turn: (n: number) =>
      investigation.investigationTurn(rcaId, n, n >= INVESTIGATION_LIMITS.maxTurns || Date.now() - startedAt > INVESTIGATION_LIMITS.maxMs),
    tool: (call: ToolCall) => investigation.investigationTool(rcaId, call),
  };
  // Its own tally: a model that runs after it counts only its own turns and calls.
  const own = { turns: 0, toolCalls: 0, tokens: { input: 0, output: 0, cached: 0 } };
  const done = await runAnalystLoop(INVESTIGATION_LIMITS.maxTurns, steps, own);
  tally.investigationCalls = own.toolCalls;
  // The last turn always reports; a loop without one is a policy bug, and says so.
  if (!done)
    throw ApplicationFailure.nonRetryable(`the investigation of ${rcaId} gave no report in ${INVESTIGATION_LIMITS.maxTurns} turns`);
  return done;
}

/** Claude or Ollama through the shared loop; a loop that ends without a report falls back to the offline analyst. */
async function llmLoop(
  rcaId: string,
  plan: AnalysisPlan,
  result: RcaResult,
  offline: (note: string) => Promise<ReportSummary>,
): Promise<ReportSummary> {
  const llm = modelActivities(plan.taskQueue);
  const done = await runAnalystLoop(
    plan.maxTurns,
    { turn: (n) => llm.analysisTurn(rcaId, n), tool: (call) => llm.analysisTool(rcaId, call) },
    result,
  );
  if (done) return store.saveReport(rcaId, { ...done, analyst: plan.analyst, model: plan.model, reasoning: [] });
  log.warn('the model gave no report within its turns; using the offline analyst', { rcaId, turns: plan.maxTurns });
  return offline(`${plan.analyst} gave no report within ${plan.maxTurns} turns`);
}

/** Folds new feedback into the RCA's similar-incident entry (rca-feedback/{rcaId}/{feedbackId}). */
export async function reindexRcaWorkflow(rcaId: string): Promise<string> {
  return indexing.indexRca(rcaId);
}
