import type { AccountStore } from '../accounts/store';
import type { Db } from '../db/pool';
import {
  buildEvidenceBundle,
  type EvidenceBundle,
  type PrometheusEvidence,
  type SimilarIncident,
  summarizeBundle,
} from '../evidence/bundle';
import type { StoredPrometheus } from '../prometheus/reads';
import { mineAllLogTemplates } from '../evidence/log-templates';
import type { NamedHost } from '../evidence/named-hosts';
import type { OriginSummary } from '../evidence/origins';
import type { AlertContext, Role } from '../contracts/rca';
import { changeWindowOf, type LogSearch, type MetricSummary, type StoredEvent, type StoredLogLine, windowOf } from '../evidence/sources';
import { GroupStore } from '../groups/store';
import { RcaStore } from '../rca/store';

export interface EvidenceDeps {
  db: Db;
  accounts: AccountStore;
  /** Upper bound of the bundle, in estimated tokens (RAYNE_EVIDENCE_TOKENS). */
  evidenceTokens: number;
}

export interface EvidenceRef {
  rcaId: string;
  summary: string;
  tokenEstimate: number;
  missing: string[];
}

/** The target's health series read from Prometheus, as metrics beside Datadog's (those with a baseline to compare with). */
const prometheusHealth = (p: StoredPrometheus | undefined) =>
  (p?.health ?? []).flatMap(({ baseline, ...s }) => (baseline === null ? [] : [{ ...s, baseline }]));

/** The Prometheus section of the bundle: the alerting expression and the rule; the health series are among the metrics. */
const prometheusEvidence = ({ health: _health, ...rest }: StoredPrometheus): PrometheusEvidence => rest;

export const createEvidenceActivities = ({ db, accounts, evidenceTokens }: EvidenceDeps) => {
  const rcas = new RcaStore(db);
  const groups = new GroupStore(db);
  return {
    /**
     * Mines the prefetched logs into templates, ranks events and metrics, bounds the bundle, and
     * stores it (an upsert: a retry rewrites the same row). A group's RCA also sees every member
     * of its group. Returns only a reference and a summary.
     */
    async buildEvidence(rcaId: string, alert: AlertContext, role: { role: Role; reason: string }): Promise<EvidenceRef> {
      const sources = await rcas.sources(rcaId);
      const data = (source: string) => sources.find((r) => r.source === source)?.data ?? undefined;
      const window = windowOf(alert);
      const logs = data('logs') as
        { query: string; lines: StoredLogLine[]; more?: LogSearch[]; namedHosts?: NamedHost[]; origins?: OriginSummary } | undefined;
      const account = await accounts.get(alert.account);
      const prometheus = data('prometheus') as StoredPrometheus | undefined;
      const group = await groups.evidenceFor(rcaId);
      const bundle: EvidenceBundle = buildEvidenceBundle({
        rcaId,
        role,
        alert,
        window,
        changeWindow: changeWindowOf(alert),
        accountBaseUrl: account?.base_url ?? 'https://api.datadoghq.com',
        sources: sources.map(({ source, status, reason, items }) => ({ source, status, reason: reason ?? undefined, items })),
        monitor: data('monitor'),
        host: data('host'),
        logQuery: logs?.query,
        logLines: logs?.lines.length ?? 0,
        templates: mineAllLogTemplates(logs?.lines ?? [], logs?.more ?? [], window.to),
        namedHosts: logs?.namedHosts,
        origins: logs?.origins,
        events: (data('events') as { events: StoredEvent[] } | undefined)?.events ?? [],
        metrics: [...((data('metrics') as { metrics: MetricSummary[] } | undefined)?.metrics ?? []), ...prometheusHealth(prometheus)],
        ...(prometheus ? { prometheus: prometheusEvidence(prometheus) } : {}),
        similar: (data('similar') as { incidents: SimilarIncident[] } | undefined)?.incidents ?? [],
        ...(group ? { group } : {}),
        tokenBudget: evidenceTokens,
      });
      const summary = summarizeBundle(bundle);
      await rcas.saveEvidence(rcaId, bundle, summary);
      return { rcaId, summary, tokenEstimate: bundle.tokenEstimate, missing: bundle.missing.map((m) => m.source) };
    },
  };
};
