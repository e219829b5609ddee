import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertSource, AlertStatus } from './alert';
import type { GroupSettings, JoinedGroup } from './group';

/** The tier-1 processors, each a side effect run at most once per event and target. */
export const PROCESSORS = ['notify', 'forward', 'slack', 'downtime'] as const;
export type ProcessorName = (typeof PROCESSORS)[number];

/** One place an effect goes: the ledger key's target and a label safe to show. */
export interface ProcessorTarget {
  processor: ProcessorName;
  /** Stable id for the ledger; a hash for URLs, so secrets never reach workflow history. */
  target: string;
  label: string;
  statuses: AlertStatus[];
  timeoutMs: number;
}

/** How a tier-1 side effect ended: the effect ledger's answer, counted per processor. */
export type EffectOutcome = 'sent' | 'already_done' | 'found_existing' | 'in_doubt';

/** One accepted alert transition, as the API hands it to the incident workflow (small: the raw payload stays in Postgres). */
export interface Transition {
  eventId: string;
  status: AlertStatus;
  receivedAt: string;
  monitorId: string;
  monitorName?: string;
  title?: string;
  service?: string;
  hostname?: string;
  priority?: string;
}

export interface IncidentKey {
  account: string;
  monitorId: string;
  scope: string;
}

export interface IncidentState extends IncidentKey {
  /** The last status seen; undefined before the first transition. */
  status?: AlertStatus;
  /** Whether an incident episode is open (from the first non-OK transition until OK). */
  open: boolean;
  /** Episodes opened in this workflow's lifetime; the current one when open. */
  episode: number;
  openedAt?: string;
  transitionsSeen: number;
  /** The severity the current episode's last RCA was requested for, if any. */
  rcaSeverity?: AlertStatus;
  rcaRequests: number;
  lastEventId?: string;
}

/** What the incident state machine decided for one transition: whether it starts an RCA or closes the incident. */
export interface TransitionDecision {
  previousStatus?: AlertStatus;
  status: AlertStatus;
  episode: number;
  /** The first Alert/Warn of an episode, or an escalation Warn → Alert. */
  startRca: boolean;
  /** OK after an open episode: record recovery, then the workflow may complete. */
  closesIncident: boolean;
  /** A repeat of the current status while open (coalesced: no new RCA). */
  repeat: boolean;
}

/** What the worker knows about an account's tier-1 settings when a transition arrives. */
export interface Tier1Plan {
  targets: ProcessorTarget[];
  runOn: 'every_transition' | 'state_changes';
  flapping: { transitions: number; windowMinutes: number };
  /** This incident's transitions within the flapping window, this one included. */
  transitionsInWindow: number;
  /** Where the alert came from; absent in plans recorded before there were other sources (Datadog). */
  source?: AlertSource;
}

/** One side effect to run: "flapping" marks the single Slack notice that replaces per-flip pages. */
export interface ProcessorTask {
  processor: ProcessorName;
  target: string;
  label: string;
  timeoutMs: number;
  mode: 'transition' | 'flapping';
}

export interface SkippedProcessor {
  processor: ProcessorName;
  target: string;
  reason: string;
}

export interface Tier1Selection {
  tasks: ProcessorTask[];
  skipped: SkippedProcessor[];
  flapping: boolean;
}

/** What the incident workflow decided for one transition and which tier-1 processors it ran or skipped. */
export interface TransitionRecord extends TransitionDecision {
  tier1?: Pick<Tier1Selection, 'skipped' | 'flapping'> & { ran: string[] };
  /** The RCA child started for this transition. */
  rcaId?: string;
  /** The incident group this transition joined instead of starting its own RCA. */
  groupId?: string;
}

export interface ProcessedTransition extends TransitionRecord {
  eventId: string;
  receivedAt: string;
}

export interface IncidentWorkflowInput extends IncidentKey {
  /** Carried over continue-as-new. */
  state?: IncidentState;
  seenEventIds?: string[];
  /** Set (by the intake, from RAYNE_GROUP_*) when alerts join incident groups instead of each starting an RCA. */
  grouping?: GroupSettings;
  /** The group the open episode joined, and as which member; carried over continue-as-new. */
  group?: JoinedGroup;
}

export const transitionSignal = defineSignal<[Transition]>('transition');
export const stateQuery = defineQuery<IncidentState>('state');
export const transitionsQuery = defineQuery<ProcessedTransition[]>('transitions');
