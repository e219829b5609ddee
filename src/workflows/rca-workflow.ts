import { ActivityFailure, defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { classifyAlert } from './classify';
import { type EvidenceSource, PREFETCH_SOURCES, type PrefetchSource, type RcaInput, type RcaResult, type SourceOutcome } from './rca-types';
import { RayneRole } from './search-attributes';

export const rcaStateQuery = defineQuery<RcaResult>('state');

// Postgres bookkeeping: retried through database restarts.
const store = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '1m', nonRetryableErrorTypes: ['NotFound'] },
});

// Each source is fetched on its own and may fail alone; a bad account or a 4xx fails fast.
const prefetch = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['NoAccount', 'NotFound'] },
});

const PREFETCH: Record<PrefetchSource, 'prefetchLogs' | 'prefetchEvents' | 'prefetchHost' | 'prefetchMonitor' | 'prefetchMetrics'> = {
  logs: 'prefetchLogs', events: 'prefetchEvents', host: 'prefetchHost', monitor: 'prefetchMonitor', metrics: 'prefetchMetrics',
};

const failureReason = (err: unknown) =>
  (err instanceof ActivityFailure ? (err.cause as Error | undefined)?.message : undefined) ?? (err as Error).message;

/**
 * rca/{eventId}: classify the alert, prefetch every Datadog source and search similar past
 * incidents in parallel (each may fail alone and is then named as missing), and build the
 * bounded evidence bundle in Postgres.
 * Analysis, the notebook and storing the RCA follow in a later issue.
 */
export async function rcaWorkflow({ eventId, rcaId }: RcaInput): Promise<RcaResult> {
  const result: RcaResult = { rcaId, role: 'general', roleReason: '', phase: 'classify', sources: [] };
  setHandler(rcaStateQuery, () => result);

  const alert = await store.startRca(rcaId, eventId);
  const { role, reason } = classifyAlert(alert);
  Object.assign(result, { role, roleReason: reason, phase: 'prefetch' });
  upsertSearchAttributes([{ key: RayneRole, value: role }]);
  await store.setRcaPhase(rcaId, 'prefetch', { role, reason });

  // The similar-incident search needs only the alert, so it runs beside the Datadog sources.
  const fetchers: Record<EvidenceSource, () => Promise<SourceOutcome>> = {
    ...Object.fromEntries(PREFETCH_SOURCES.map((source) => [source, () => prefetch[PREFETCH[source]](rcaId, alert)])) as Record<PrefetchSource, () => Promise<SourceOutcome>>,
    similar: () => prefetch.findSimilarIncidents(rcaId, alert),
  };
  result.sources = await Promise.all(Object.entries(fetchers).map(async ([source, fetchSource]): Promise<SourceOutcome> => {
    try {
      return await fetchSource();
    } catch (err) {
      return store.recordSourceFailure(rcaId, source as EvidenceSource, failureReason(err));
    }
  }));

  result.phase = 'evidence';
  await store.setRcaPhase(rcaId, 'evidence');
  const evidence = await store.buildEvidence(rcaId, alert, { role, reason });
  Object.assign(result, { evidenceSummary: evidence.summary, tokenEstimate: evidence.tokenEstimate, phase: 'done' });
  await store.setRcaPhase(rcaId, 'done');
  return result;
}
