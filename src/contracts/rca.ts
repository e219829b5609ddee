import { defineQuery } from '@temporalio/workflow';
import type { AlertSource, AlertStatus } from './alert';

/** What an alert's monitor watches: picks the prefetch queries and the analyst's focus. */
export const ROLES = ['infrastructure', 'application', 'database', 'network', 'logs', 'general'] as const;
export type Role = (typeof ROLES)[number];

/** How far the evidence carries the best hypothesis; decided by code (deriveVerdict), never by a model. */
export const VERDICTS = ['confirmed', 'likely', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface AnalysisUsage {
  turns: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  estimatedCostUsd: number;
}

/** Live counts of an analyst loop, shown by the workflow's state query while it runs. */
export interface LoopTally {
  turns: number;
  toolCalls: number;
  tokens: { input: number; output: number; cached: number };
}

/** How long the investigating analyst may go on: turns (each reads one level of the chain) and wall time. */
export const INVESTIGATION_LIMITS = { maxTurns: 8, maxMs: 120_000 };

/** One tool call of a turn, as the workflow passes it back. */

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** What the workflow keeps of a stored report. */
export interface ReportSummary {
  category: string;
  rootCause: string;
  confidence: number;
  verdict: Verdict;
}

/** rcaWorkflow's input: small, the rest is loaded from the stored event. */
export interface RcaInput {
  eventId: string;
  /** rca/{eventId}, or rca/{eventId}/rerun-{n}. */
  rcaId: string;
  /** A re-run's choice; otherwise the configured analyst. */
  analyst?: AnalystName;
  model?: string;
  /** The incident group this RCA investigates: its report goes to Slack once for the group. */
  groupId?: string;
}

export const ANALYSTS = ['claude', 'ollama', 'offline'] as const;
export type AnalystName = (typeof ANALYSTS)[number];

/** How an RCA will be analysed, resolved from config (and a re-run's override) by an activity. */
export interface AnalysisPlan {
  analyst: AnalystName;
  model?: string;
  maxTurns: number;
  /** The task queue of the model activities (TEMPORAL_LLM_TASK_QUEUE); unset: the workflow's own. */
  taskQueue?: string;
  /** Why the offline analyst stands in for the one asked for (its key or URL is not set); kept in the report. */
  fallback?: string;
}

/** The alert as the RCA steps need it, loaded once from the stored event. */
export interface AlertContext {
  eventId: string;
  account: string;
  status: AlertStatus;
  monitorId: string;
  monitorName?: string;
  monitorType?: string;
  title?: string;
  message?: string;
  tags: string[];
  service?: string;
  hostname?: string;
  scope: string;
  /** ISO time the alert fired (the payload's timestamp, else when Rayne received it). */
  alertTime: string;
  /** Where the alert came from, when not Datadog (runs before sources have none). */
  source?: AlertSource;
}

export const PREFETCH_SOURCES = ['logs', 'events', 'host', 'monitor', 'metrics'] as const;
export type PrefetchSource = (typeof PREFETCH_SOURCES)[number];

/** Datadog's sources, the account's Prometheus (for alerts from Alertmanager or Grafana) and the similar-incident search: what the evidence is built from. */
export type EvidenceSource = PrefetchSource | 'prometheus' | 'similar';

/** What one source produced; its data stays in Postgres. */
export interface SourceOutcome {
  source: EvidenceSource;
  status: 'ok' | 'empty' | 'failed' | 'skipped';
  items: number;
  /** Why a source is empty, failed or skipped. */
  reason?: string;
}

export type RcaPhase = 'classify' | 'prefetch' | 'evidence' | 'analyse' | 'notebook' | 'store' | 'done' | 'failed';

/** What rcaWorkflow returns, and what its state query shows while it runs. */
export interface RcaResult {
  rcaId: string;
  role: Role;
  roleReason: string;
  phase: RcaPhase;
  evidenceSummary?: string;
  tokenEstimate?: number;
  sources: SourceOutcome[];
  analyst?: AnalystName;
  /** A model analyst's turns, tool calls and tokens (the investigation's calls are counted apart). */
  turns: number;
  toolCalls: number;
  tokens: { input: number; output: number; cached: number };
  /** The investigating analyst's tool calls. */
  investigationCalls?: number;
  category?: string;
  rootCause?: string;
  /** How far the evidence carries the root cause, as code judged it. */
  verdict?: Verdict;
  notebookUrl?: string;
}

/** rcaWorkflow's progress while it runs, and its result once done. */
export const rcaStateQuery = defineQuery<RcaResult>('state');
