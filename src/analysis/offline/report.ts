import type { EvidenceBundle } from '../../evidence/bundle';
import { finishReport, type Hypothesis as ReportHypothesis, type RcaCategory, type RcaReport } from '../report';
import type { EvidenceItem } from './findings';
import { calibrated, type Calibration, type Hypothesis } from './ranking';

const REMEDIATION: Record<RcaCategory, (c: string) => string[]> = {
  deployment: (c) => [
    `Roll back ${c} to the previous version`,
    'Compare the failing code path against the release diff and add a regression test',
    'Gate the next rollout behind a canary watching the error rate',
  ],
  config_change: (c) => [
    `Revert the change to ${c}`,
    'Confirm the error rate and latency recover after the refresh',
    'Review config changes to this key and require a canary for them',
  ],
  cpu_saturation: (c) => [
    `Stop or throttle ${c}, or move it off the serving host`,
    'Shift traffic away from the saturated host until CPU recovers',
    'Schedule heavy batch work off-peak with CPU limits (nice/cgroups)',
  ],
  memory_exhaustion: (c) => [
    `Bound ${c} (size limit or eviction) and redeploy`,
    'Raise the memory limit temporarily to stop the restarts',
    'Take a heap dump on the next occurrence to confirm the largest retainer',
  ],
  disk_full: (c) => [
    `Free space on ${c}: remove temporary or partial files, rotate logs`,
    'Extend the volume if the usage is legitimate',
    'Alert on disk in use at 80% and clean up temporary files automatically',
  ],
  dependency_failure: (c) => [
    `Check ${c}'s status page or owners and fail over if possible`,
    'Keep the circuit breaker open and queue or degrade instead of retrying hard',
    "Add timeouts and alerts on the dependency's error rate",
  ],
  database: (c) => [
    `Relieve ${c}: find and stop the sessions holding connections or locks`,
    'Cap per-client connections (pooler such as PgBouncer) so one client cannot starve the others',
    'Review max_connections and pool sizes across clients',
  ],
  network: (c) => [
    `Drain or fail over traffic away from ${c}; replace the faulty optic or cable`,
    'Check interface error counters on both ends of the link',
    'Alert on interface errors and flapping before applications notice',
  ],
  certificate: (c) => [
    `Renew or fix the certificate chain presented by ${c}`,
    'Verify the chain from the client side (openssl s_client) and update trust stores if the CA changed',
    'Monitor certificate expiry and chain validity for every upstream',
  ],
  traffic_spike: (c) => [
    `Scale out for the load from ${c} (raise autoscaling limits)`,
    'Shed or rate-limit non-critical traffic and cache hot queries',
    'Have marketing announce campaigns to SRE so capacity is added beforehand',
  ],
  host_failure: (c) => [
    `Take ${c} out of the load balancer and replace or restart it`,
    'Check the provider status for the underlying hardware',
    'Make health checks remove dead upstreams faster',
  ],
};

const PHRASE: Record<RcaCategory, string> = {
  deployment: 'a faulty deployment',
  config_change: 'a configuration change',
  cpu_saturation: 'CPU saturation',
  memory_exhaustion: 'memory exhaustion',
  disk_full: 'a full disk',
  dependency_failure: 'a failing dependency',
  database: 'database connection exhaustion',
  network: 'a network fault',
  certificate: 'a TLS certificate failure',
  traffic_spike: 'a traffic spike',
  host_failure: 'a host failure',
};

function rootCauseSentence(h: Hypothesis, b: EvidenceBundle): string {
  const subject = b.alert.service ?? b.alert.hostname ?? 'the service';
  const ctx = h.context.length ? ` (${h.context.join('; ')})` : '';
  const c = h.culprit;
  const on = h.where ? ` on ${h.where}` : '';
  switch (h.category) {
    case 'deployment':
      return `${subject} fails because of the deployment of ${c}${ctx}.`;
    case 'config_change':
      return `${subject} degraded after a configuration change to ${c}${ctx}.`;
    case 'cpu_saturation':
      return `${subject} is slow because ${c} saturates the CPU${on}${ctx}.`;
    case 'memory_exhaustion':
      return `${subject} runs out of memory${on} because of ${c}${ctx}.`;
    case 'disk_full':
      return h.where
        ? `${subject} fails because ${c} filled the disk${on}${ctx}.`
        : `${subject} fails because the disk on ${c} is full${ctx}.`;
    case 'dependency_failure':
      return `${subject} fails because its dependency ${c} is failing${ctx}.`;
    case 'database':
      return `${subject} fails because the database ${c} is out of connections or blocked${ctx}.`;
    case 'network':
      return `${subject} degraded because of a network fault on ${c}${ctx}.`;
    case 'certificate':
      return `${subject} fails TLS handshakes with ${c}, whose certificate chain no longer validates${ctx}.`;
    case 'traffic_spike':
      return `${subject} is overloaded by a traffic spike from ${c}${ctx}.`;
    case 'host_failure':
      return `${subject} fails because host ${c} is down${ctx}.`;
  }
}

const dedupe = (items: EvidenceItem[]) => {
  const seen = new Set<string>();
  return items.filter((e) => {
    const key = `${e.link} ${e.claim}`;
    return !seen.has(key) && !!seen.add(key);
  });
};

function reportHypothesis(h: Hypothesis, b: EvidenceBundle): ReportHypothesis {
  const supporting = dedupe([...h.findings].sort((x, y) => y.weight - x.weight).flatMap((f) => f.evidence)).slice(0, 4);
  return {
    category: h.category,
    culprit: h.culprit,
    statement: rootCauseSentence(h, b),
    score: h.score,
    supporting,
    against: dedupe(h.against).slice(0, 3),
  };
}

/** The report when no rule fired: inconclusive, with the alert's own symptom as the only lead. */
function inconclusiveReport(b: EvidenceBundle, missing_data: string[]): RcaReport {
  const subject = b.alert.service ?? b.alert.hostname ?? 'the service';
  const evidence = [{ claim: 'the monitor that fired', source: 'monitor', link: b.links.monitor }];
  const hypothesis: ReportHypothesis = {
    category: 'dependency_failure',
    culprit: subject,
    statement: `${subject} or something it depends on is failing; no change, resource, dependency or host signal says which.`,
    score: 0,
    supporting: evidence,
    against: [],
  };
  return finishReport({
    summary: `${b.alert.title ?? b.alert.monitorName ?? 'The alert'} fired, and no rule found a cause in the evidence.`,
    root_cause: `Inconclusive: no change, resource, dependency or host signal explains the alert on ${subject}; the category is only the default guess.`,
    category: hypothesis.category,
    confidence: 0,
    hypotheses: [hypothesis],
    evidence,
    remediation: ['Inspect the logs and events linked from the alert by hand'],
    missing_data: [...missing_data, 'a new error, change or resource signal before the alert'],
  });
}

export function buildReport(b: EvidenceBundle, hypotheses: Hypothesis[], calibration: Calibration): RcaReport {
  const missing_data = b.missing.map((m) => `${m.source}: ${m.reason}`);
  const best = hypotheses[0];
  if (!best) return inconclusiveReport(b, missing_data);
  const ranked = hypotheses.slice(0, 3).map((h) => reportHypothesis(h, b));
  // The cause's own evidence first, then the strongest symptoms in the logs it explains.
  const symptoms = hypotheses
    .flatMap((h) => h.findings)
    .filter((f) => f.rule === 'anomalous-log-template' && f.category !== best.category)
    .sort((x, y) => y.weight - x.weight)
    .slice(0, 2);
  const evidence = dedupe([...[...best.findings].sort((x, y) => y.weight - x.weight), ...symptoms].flatMap((f) => f.evidence)).slice(0, 8);
  const statement = ranked[0]!.statement;
  const second = hypotheses[1];
  const runnerUp = second
    ? ` The runner-up explanation is ${PHRASE[second.category]} (${second.culprit}, ${second.score.toFixed(2)} against ${best.score.toFixed(2)}).`
    : '';
  return finishReport({
    summary: `${b.alert.title ?? b.alert.monitorName ?? 'The alert'} points to ${PHRASE[best.category]}, with ${best.culprit} as the culprit.${runnerUp}`,
    root_cause: statement,
    category: best.category,
    confidence: calibrated(best.score, calibration),
    hypotheses: ranked,
    evidence,
    remediation: REMEDIATION[best.category](best.culprit),
    missing_data,
  });
}
