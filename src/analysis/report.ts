import { z } from 'zod';

/** The closed set of root-cause categories a report (and a scenario) may name. */
export const RCA_CATEGORIES = [
  'deployment', 'config_change', 'cpu_saturation', 'memory_exhaustion', 'disk_full',
  'dependency_failure', 'database', 'network', 'certificate', 'traffic_spike', 'host_failure',
] as const;
export type RcaCategory = (typeof RCA_CATEGORIES)[number];

/** One claim the report rests on, where it came from, and a link to see it. */
export const EvidenceItemSchema = z.object({
  claim: z.string().min(1).describe('what the evidence shows, in one sentence'),
  source: z.string().min(1).describe('logs, events, metrics, host, monitor or similar_incidents'),
  link: z.string().optional().describe('the Datadog link of the item, copied from the evidence'),
});

/** What every analyst (Claude, Ollama, offline) produces; also the submit_report tool's input schema. */
export const RcaReportSchema = z.object({
  summary: z.string().min(1).describe('two or three sentences: what happened and why'),
  root_cause: z.string().min(1).describe('one sentence naming the culprit (the change, host, dependency or resource)'),
  category: z.enum(RCA_CATEGORIES),
  confidence: z.number().min(0).max(1),
  evidence: z.array(EvidenceItemSchema),
  remediation: z.array(z.string().min(1)).describe('concrete next steps, most urgent first'),
  missing_data: z.array(z.string()).describe('evidence that was unavailable or would change the conclusion'),
});
export type RcaReport = z.infer<typeof RcaReportSchema>;

export interface AnalysisUsage {
  turns: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  estimatedCostUsd: number;
}

/** A report with who wrote it, what it cost and how long it took. */
export interface AnalysisResult {
  report: RcaReport;
  analyst: 'claude' | 'ollama' | 'offline';
  model?: string;
  usage: AnalysisUsage;
  timings: { startedAt: string; finishedAt: string; ms: number };
  /** The analyst's reasoning steps, for people reading the report (the offline analyst's rules that fired). */
  reasoning: string[];
}

export const noUsage = (): AnalysisUsage => ({ turns: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimatedCostUsd: 0 });
