import { defineQuery } from '@temporalio/workflow';
import type { AnalysisPlan, AnalystName, LoopTally } from './rca';

/** What a triage may call an issue. */
export const ISSUE_KINDS = ['bug', 'incident', 'question', 'feature_request'] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

/** The issue a triage is about, as the workflow shows it. */
export interface IssueRef {
  repository: string;
  number: number;
  title: string;
  url: string;
}

/** githubIssueWorkflow's steps, in order. */
export type TriagePhase = 'context' | 'analyse' | 'comment' | 'labels' | 'close' | 'index' | 'done';

/** What the workflow keeps of the context: enough to pick the tools and show progress. */
export interface ContextSummary {
  looksLikeIncident: boolean;
  datadog: boolean;
  mentions: number;
  recentAlerts: number;
  similarIncidents: number;
  similarIssues: number;
  missing: string[];
}

/** What the workflow keeps of a triage's result. */
export interface TriageSummary {
  kind: IssueKind;
  confidence: number;
  duplicates: number;
}

/** What one write to GitHub did: done, or not and why (a setting is off, no token, nothing to do). */
export interface GithubWrite {
  done: boolean;
  url?: string;
  labels?: string[];
  note?: string;
}

/** planTriage's answer: `closingOff` says why nothing will be closed (absent when closing is on, and in plans recorded before it existed). */
export type TriagePlan = AnalysisPlan & { closingOff?: string };

/** githubIssueWorkflow's input: the stored delivery; its id is github/{deliveryId}. */
export interface TriageInput {
  eventId: string;
  triageId: string;
}

/** What the workflow returns and its state query shows. */
export interface TriageState extends LoopTally {
  triageId: string;
  phase: TriagePhase;
  issue?: IssueRef;
  context?: ContextSummary;
  analyst?: AnalystName;
  result?: TriageSummary;
  comment?: GithubWrite;
  labels?: GithubWrite;
  closed?: GithubWrite;
}

/** githubIssueWorkflow's progress while it runs. */
export const triageStateQuery = defineQuery<TriageState>('state');
