import { estimateCostUsd } from '../analysis/claude';
import { analystRow, finishReport, type RcaReport, type SubmittedAnalysis } from '../analysis/report';
import { ConversationStore } from '../analysis/conversation';
import { investigationReport } from './llm';
import type { Db } from '../db/pool';
import type { SimilarityProviders } from '../similarity/providers';
import type { AnalysisPlan, AnalystName, ReportSummary } from '../contracts/rca';
import { RcaStore } from '../rca/store';
import { reportingFailures } from './failures';
import type { LinkSettings } from './processors';

export interface AnalysisDeps {
  db: Db;
  similarity: SimilarityProviders;
  links: LinkSettings;
  analysis: {
    /** RAYNE_ANALYST: auto picks Claude when ANTHROPIC_API_KEY is set, else offline. */
    analyst: 'auto' | AnalystName;
    claudeConfigured: boolean;
    ollamaConfigured: boolean;
    model: string;
    /** OLLAMA_CHAT_MODEL: the model of an Ollama run that names none. */
    ollamaModel?: string;
    maxTurns: number;
    /** TEMPORAL_LLM_TASK_QUEUE: where model turns run, when not on the main queue. */
    llmTaskQueue?: string;
  };
}

/** The analyst for a run: an override, else RAYNE_ANALYST, else Claude when configured, else offline (also for one not configured). */
export function chooseAnalyst(analysis: AnalysisDeps['analysis'], override: { analyst?: AnalystName; model?: string } = {}): AnalysisPlan {
  const chosen = override.analyst ?? (analysis.analyst === 'auto' ? (analysis.claudeConfigured ? 'claude' : 'offline') : analysis.analyst);
  const missingSetting =
    chosen === 'claude' && !analysis.claudeConfigured
      ? 'ANTHROPIC_API_KEY'
      : chosen === 'ollama' && !analysis.ollamaConfigured
        ? 'OLLAMA_URL'
        : undefined;
  const analyst: AnalystName = missingSetting ? 'offline' : chosen;
  const model =
    analyst === 'offline' ? undefined : (override.model ?? (analyst === 'ollama' ? (analysis.ollamaModel ?? 'llama3.1') : analysis.model));
  return {
    analyst,
    model,
    maxTurns: analysis.maxTurns,
    ...(analyst !== 'offline' && analysis.llmTaskQueue ? { taskQueue: analysis.llmTaskQueue } : {}),
    ...(missingSetting
      ? { fallback: `fell back to the offline analyst: ${chosen} was asked for, but the worker has no ${missingSetting}` }
      : {}),
  };
}

/** What the workflow keeps of a report: enough for its state query and the incident's history. */

export const summaryOf = (report: RcaReport): ReportSummary => ({
  category: report.category,
  rootCause: report.root_cause.slice(0, 300),
  confidence: report.confidence,
  verdict: report.verdict,
});

/**
 * A model's report is stored here, so its verdict is added here; the investigating analyst's
 * conclusion of the same run, which the model started from, is kept beside it as its own row.
 */
async function saveReport(rcas: RcaStore, investigations: ConversationStore, rcaId: string, result: SubmittedAnalysis): Promise<RcaReport> {
  const report = finishReport(result.report);
  const investigated = await investigationReport(investigations, rcaId);
  const rows = investigated
    ? [analystRow(result.analyst, report), analystRow('offline', finishReport(investigated, investigated.calibration))]
    : [];
  const stored = rows.length ? { ...report, analysts: rows } : report;
  await rcas.saveReport(rcaId, stored, result);
  return stored;
}

/** Analysis steps besides the analysts' turns: choosing the analyst, storing and indexing reports. */
export const createAnalysisActivities = ({ db, similarity, links, analysis }: AnalysisDeps) => {
  const rcas = new RcaStore(db);
  const investigations = new ConversationStore(db, 'rca_investigation_messages');
  return reportingFailures({
    /** The analyst for this run: a re-run's override, else RAYNE_ANALYST, else Claude when configured, else offline. */
    async planAnalysis(rcaId: string, override: { analyst?: AnalystName; model?: string } = {}): Promise<AnalysisPlan> {
      const plan = chooseAnalyst(analysis, override);
      await rcas.setAnalyst(rcaId, plan);
      return plan;
    },

    /** Stores a finished analysis, priced by its model (an upsert: a retry rewrites it, the notebook fields stay). */
    async saveReport(rcaId: string, result: SubmittedAnalysis): Promise<ReportSummary> {
      // A local Ollama model costs nothing per token.
      const estimatedCostUsd = result.model && result.analyst !== 'ollama' ? estimateCostUsd(result.model, result.usage) : 0;
      return summaryOf(await saveReport(rcas, investigations, rcaId, { ...result, usage: { ...result.usage, estimatedCostUsd } }));
    },

    /** Whether the RCA's incident recovered after its alert: a notebook published late must still be marked RESOLVED. */
    incidentRecovered: (rcaId: string): Promise<boolean> => rcas.incidentRecovered(rcaId),

    /** The incident's RCAs whose notebook is not marked resolved yet, from Postgres (not memory: it survives restarts). */
    unresolvedNotebooks: (incidentWorkflowId: string): Promise<string[]> => rcas.unresolvedNotebooks(incidentWorkflowId),

    /**
     * Embeds the report and upserts it by RCA id into the vector store, with the newest feedback
     * folded in: a confirmed or corrected root cause ranks above guesses; a plain rejection removes it.
     */
    async indexRca(rcaId: string): Promise<'indexed' | 'removed' | 'no_report'> {
      const row = await rcas.indexable(rcaId);
      if (!row) return 'no_report';
      if (row.verdict === 'rejected' && !row.corrected_root_cause) {
        await similarity.store.delete(rcaId);
        return 'removed';
      }
      const { report } = row;
      const rootCause = row.corrected_root_cause ?? report.root_cause;
      const title = row.title ?? row.monitor_name ?? `monitor ${row.monitor_id}`;
      const text = [title, row.service && `service ${row.service}`, row.hostname && `host ${row.hostname}`, rootCause, report.summary]
        .filter(Boolean)
        .join('\n');
      const [vector] = await similarity.embedder.embed([text]);
      await similarity.store.ensureReady(vector!.length);
      await similarity.store.upsert([
        {
          id: rcaId,
          vector: vector!,
          payload: {
            account: row.account,
            title,
            service: row.service ?? undefined,
            host: row.hostname ?? undefined,
            monitorId: row.monitor_id,
            rootCause,
            category: row.corrected_category ?? report.category,
            summary: report.summary,
            confirmed: row.verdict === 'confirmed' || !!row.corrected_root_cause,
            links: {
              notebook: row.notebook_url ?? undefined,
              rca: links.publicUrl ? `${links.publicUrl.replace(/\/+$/, '')}/v1/rca/${row.event_id}` : undefined,
            },
            createdAt: new Date(row.created_at).toISOString(),
          },
        },
      ]);
      return 'indexed';
    },
  });
};
