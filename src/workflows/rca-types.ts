import type { AlertStatus } from '../intake/datadog-payload';
import type { Role } from './classify';

/** rcaWorkflow's input: small, the rest is loaded from the stored event. */
export interface RcaInput {
  eventId: string;
  /** rca/{eventId}, or rca/{eventId}/rerun-{n}. */
  rcaId: string;
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
}

export const PREFETCH_SOURCES = ['logs', 'events', 'host', 'monitor', 'metrics'] as const;
export type PrefetchSource = (typeof PREFETCH_SOURCES)[number];

/** Datadog's sources and the similar-incident search: what the evidence is built from. */
export type EvidenceSource = PrefetchSource | 'similar';

/** What one source produced; its data stays in Postgres. */
export interface SourceOutcome {
  source: EvidenceSource;
  status: 'ok' | 'empty' | 'failed' | 'skipped';
  items: number;
  /** Why a source is empty, failed or skipped. */
  reason?: string;
}

export type RcaPhase = 'classify' | 'prefetch' | 'evidence' | 'similar' | 'done' | 'failed';

/** What rcaWorkflow returns (until analysis lands) and what its phase query shows. */
export interface RcaResult {
  rcaId: string;
  role: Role;
  roleReason: string;
  phase: RcaPhase;
  evidenceSummary?: string;
  tokenEstimate?: number;
  sources: SourceOutcome[];
}
