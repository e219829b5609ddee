import type Anthropic from '@anthropic-ai/sdk';
import type { AccountStore } from '../accounts/store';
import type { TurnOutcome } from '../analysis/claude';
import { RCA_TASK } from '../analysis/claude-tools';
import { ConversationStore, type StoredMessage } from '../analysis/conversation';
import { investigate, type Observation, type PolicyCall } from '../analysis/investigator';
import { condenseRead, unframe } from '../analysis/investigator/observations';
import { finishReport, noUsage, type RcaReport, type SubmittedReport } from '../analysis/report';
import { DatadogLinks } from '../datadog/links';
import type { Db } from '../db/pool';
import { RayneFailure } from '../errors';
import { RcaStore } from '../rca/store';
import type { EvidenceBundle } from '../evidence/bundle';
import type { SimilarityProviders } from '../similarity/providers';
import { type AnalysisUsage, INVESTIGATION_LIMITS, type ReportSummary, type ToolCall } from '../contracts/rca';
import { reportingFailures } from './failures';
import { summaryOf } from './analysis';
import { answerToolCalls, rcaTaskFor, rcaToolContext } from './llm';

export interface InvestigationDeps {
  db: Db;
  accounts: AccountStore;
  similarity: SimilarityProviders;
  similar: { limit: number; minScore: number };
}

/** The loop's result as the workflow hands it back to be stored. */
export interface InvestigationResult {
  report: SubmittedReport;
  usage: AnalysisUsage;
  timings: { startedAt: string; finishedAt: string; ms: number };
}

// The policy parses every result, so its results are kept whole (a model's are cut to its context).
const POLICY_TOOL_MAX_CHARS = 200_000;
const NO_USAGE = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
const SYSTEM =
  "Rayne's investigating analyst: a deterministic policy, not a model. Each assistant message holds the calls it chose from what the earlier calls returned; its last one submits the report.";

/** Each call of the conversation with its result, in order; calls not answered yet are left out. */
function observationsOf(messages: readonly StoredMessage[]): Observation[] {
  const results = new Map<string, Anthropic.ToolResultBlockParam>();
  for (const m of messages)
    for (const b of m.content) if (b.type === 'tool_result') results.set(b.tool_use_id, b as Anthropic.ToolResultBlockParam);
  return messages
    .filter((m) => m.role === 'assistant')
    .flatMap((m) => m.content.filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use'))
    .filter((b) => b.name !== RCA_TASK.submit.name && results.has(b.id))
    .map((b) => {
      const result = results.get(b.id)!;
      const text = typeof result.content === 'string' ? result.content : '';
      return { call: { name: b.name, input: b.input } as PolicyCall, ok: !result.is_error, text: unframe(text) };
    });
}

/**
 * The investigating analyst as activities: `investigationTurn` asks the policy for its next calls
 * (or its report) from what the stored calls returned, `investigationTool` runs one call through the
 * same tool runner the models use. Both read and write the conversation in Postgres, so a crash
 * resumes at the call it was in and the Web UI shows every step.
 */
/** What a run without Datadog could read: nothing, or for an alert from Alertmanager or Grafana only its Prometheus. */
function withoutDatadog(bundle: EvidenceBundle, account: string): string {
  if (!bundle.alert.source) return `no Datadog account "${account}" is configured, so nothing could be read`;
  return bundle.prometheus
    ? `account "${account}" has no Datadog keys, so only its Prometheus was read (no logs, events or host)`
    : `account "${account}" has neither Datadog keys nor a Prometheus, so nothing could be read`;
}

export const createInvestigationActivities = (deps: InvestigationDeps) => {
  const { db, accounts } = deps;
  const rcas = new RcaStore(db);
  const store = new ConversationStore(db, 'rca_investigation_messages');
  const toolContext = rcaToolContext(deps);
  const tool = answerToolCalls({ store, task: RCA_TASK, taskFor: rcaTaskFor(deps), toolContext, maxToolChars: POLICY_TOOL_MAX_CHARS });

  const activities = {
    /**
     * Turn `turn` (from 1): the policy's next calls, or on the final turn (or when nothing is left
     * to read, or the account has neither Datadog keys nor a Prometheus) its report. A retried turn rewrites
     * its own answer, which is the same: the policy is a function of the stored results.
     */
    async investigationTurn(rcaId: string, turn: number, final: boolean): Promise<TurnOutcome<SubmittedReport>> {
      const run = await rcas.accountAndBundle(rcaId);
      if (!run?.bundle)
        throw new RayneFailure('NotFound', `RCA ${rcaId} has no evidence bundle; the investigation runs after the evidence step`);
      const { bundle } = run;
      let stored = await store.load(rcaId);
      if (stored.length === 0) {
        await store.seed(rcaId, SYSTEM, [{ type: 'text', text: JSON.stringify({ alert: bundle.alert, window: bundle.window }) }]);
        stored = await store.load(rcaId);
      }
      const answers = stored.filter((m) => m.role === 'assistant');
      const seq = answers[turn - 1]?.seq ?? stored.at(-1)!.seq + 1;
      const credentials = await accounts.credentials(run.account);
      const prometheus = await accounts.prometheus(run.account);
      const alertMs = Date.parse(bundle.alert.alertTime);
      const ctx = {
        alert: bundle.alert,
        alertMs,
        datadog: !!credentials,
        ...(prometheus ? { prometheus: { expression: bundle.prometheus?.expression?.query } } : {}),
        origins: bundle.origins,
        group: bundle.group,
        links: credentials
          ? new DatadogLinks(credentials.baseUrl, { from: new Date(alertMs - 2 * 3600_000), to: new Date(alertMs) })
          : undefined,
      };
      const move = investigate(ctx, observationsOf(stored.filter((m) => m.seq < seq)), final || (!credentials && !prometheus));
      const id = (i: number | string) => `inv-${turn}-${i}`;
      if ('calls' in move) {
        const uses = move.calls.map((c, i) => ({ type: 'tool_use' as const, id: id(i), name: c.name, input: c.input }));
        await store.putAssistant(rcaId, seq, [{ type: 'text', text: move.note }, ...uses], NO_USAGE);
        return {
          toolCalls: uses.map(({ id, name, input }) => ({ id, name, input })),
          stopReason: 'tool_use',
          usage: NO_USAGE,
          final,
          text: move.note,
        };
      }
      const report = credentials
        ? move.report
        : {
            ...move.report,
            missing_data: [withoutDatadog(bundle, run.account), ...move.report.missing_data],
          };
      const submit = { type: 'tool_use' as const, id: id('submit'), name: RCA_TASK.submit.name, input: report };
      const text = move.reasoning.join('\n') || 'no candidate';
      await store.putAssistant(rcaId, seq, [{ type: 'text', text }, submit], NO_USAGE);
      return {
        toolCalls: [{ id: submit.id, name: submit.name, input: report }],
        report,
        stopReason: 'tool_use',
        usage: NO_USAGE,
        final: true,
        text,
      };
    },

    /** One call of the investigation; a call that fails or times out is recorded as such and the loop goes on. */
    investigationTool: (rcaId: string, call: ToolCall) => tool(rcaId, call),

    /**
     * Stores the investigation's report as the offline analyst's (its reasoning stays in the
     * conversation) and adds what it read to the evidence bundle; `note` says why a configured model gave no report instead.
     */
    async saveInvestigation(rcaId: string, result: InvestigationResult, note?: string): Promise<ReportSummary> {
      const stored = await store.load(rcaId);
      const submitted = note ? { ...result.report, missing_data: [note, ...result.report.missing_data] } : result.report;
      // The report crossed the workflow as JSON; its calibration features came with it.
      const report = finishReport(submitted, (submitted as Partial<RcaReport>).calibration);
      await rcas.saveReport(rcaId, report, { analyst: 'offline', usage: result.usage, timings: result.timings });
      await rcas.saveInvestigation(
        rcaId,
        observationsOf(stored).map((o) => ({ tool: o.call.name, input: o.call.input, ok: o.ok, result: condenseRead(o) })),
      );
      return summaryOf(report);
    },
  };
  return reportingFailures({
    ...activities,
    /**
     * The whole investigation in one activity, for RCA workflows started before the investigation
     * ran turn by turn: their histories schedule this activity, and replaying them must still find it.
     */
    async runOfflineAnalysis(rcaId: string, note?: string): Promise<ReportSummary> {
      const startedAt = new Date();
      let toolCalls = 0;
      for (let turn = 1; ; turn += 1) {
        const outcome = await activities.investigationTurn(rcaId, turn, turn >= INVESTIGATION_LIMITS.maxTurns);
        if (outcome.report) {
          const finishedAt = new Date();
          const usage = { ...noUsage(), turns: turn, toolCalls };
          const timings = {
            startedAt: startedAt.toISOString(),
            finishedAt: finishedAt.toISOString(),
            ms: finishedAt.getTime() - startedAt.getTime(),
          };
          return activities.saveInvestigation(rcaId, { report: outcome.report, usage, timings }, note);
        }
        for (const call of outcome.toolCalls) {
          await activities.investigationTool(rcaId, call);
          toolCalls += 1;
        }
      }
    },
  });
};
