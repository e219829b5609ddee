import { metricKindOf } from './knowledge';
import { hhmm, type Observation, type PolicyCall, type Readings, type SeenSeries } from './observations';
import { callId, type ChainNode, LOOKBACK_MS, type PolicyContext } from './policy';
import type { Trouble } from './trouble';

/**
 * The investigating analyst's Prometheus reads: for an alert from Alertmanager or Grafana, the
 * target's health by its labels, the alerting expression's series and the rule's state; and the
 * trouble a target's own series show (down, restarted, saturated), which makes it a candidate.
 */

/** What the account's Prometheus offers the investigation: absent when it has none. */
export interface PrometheusReach {
  /** The rule's expression, from the delivery's generatorURL (Grafana's links carry none). */
  expression?: string;
}

/** The labels Prometheus selects a target by. */
const TARGET_LABELS = ['job', 'instance', 'pod', 'namespace'] as const;

/** An alert's labels, from its tags (`k:v`, as the intake stored them). */
function labelsOf(tags: readonly string[]): Record<string, string> {
  return Object.fromEntries(tags.flatMap((t) => (t.includes(':') ? [[t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]] : [])));
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The Prometheus calls for the alert not made yet: for an alert from Alertmanager or Grafana its
 * target's health, its expression and its rule; for a Datadog alert its host's (else its service's) health.
 */
export function prometheusCalls(
  ctx: PolicyContext,
  reach: PrometheusReach | undefined,
  observations: readonly Observation[],
): PolicyCall[] {
  if (!reach || ctx.alert.source === 'pagerduty') return [];
  const range = { from: iso(ctx.alertMs - LOOKBACK_MS), to: iso(ctx.alertMs) };
  const wanted: PolicyCall[] = [];
  if (!ctx.alert.source || ctx.alert.source === 'datadog') {
    const { hostname, service } = ctx.alert;
    if (hostname || service)
      wanted.push({ name: 'prometheus_target_health', input: { ...(hostname ? { host: hostname } : { job: service }), ...range } });
  } else {
    const labels = labelsOf(ctx.alert.tags);
    const target = Object.fromEntries(TARGET_LABELS.filter((k) => labels[k]).map((k) => [k, labels[k]!]));
    const { alertname, ...rest } = labels;
    if (target.job || target.instance || target.pod) wanted.push({ name: 'prometheus_target_health', input: { ...target, ...range } });
    if (reach.expression) wanted.push({ name: 'prometheus_query_range', input: { query: reach.expression, ...range } });
    if (alertname) wanted.push({ name: 'prometheus_rule_state', input: { alertname, labels: rest } });
  }
  const made = new Set(observations.map((o) => callId(o.call)));
  return wanted.filter((c) => !made.has(callId(c)));
}

/** A Prometheus series' labels, from its scope (`k:v,k:v`; an instance's value keeps its port). */
const scopeLabels = (scope: string) => labelsOf(scope.split(','));

/**
 * Whether a series is a component's own: one read for a host is that host's; a node's series (from
 * its node exporter) is its instance's host's; a target's (up, its process, its pod) is its job's,
 * pod's or instance's.
 */
function isOwnSeries(s: SeenSeries, name: string): boolean {
  const labels = scopeLabels(s.scope);
  const n = name.toLowerCase();
  const names = s.prometheus?.host
    ? [s.prometheus.host]
    : s.metric.startsWith('node ')
      ? [labels.instance?.replace(/:\d+$/, '')]
      : [labels.job, labels.pod, labels.instance];
  return names.some((v) => v?.toLowerCase() === n);
}

/** A saturated share (node CPU busy, memory used) is this full or more. */
const SATURATED_SHARE = 0.9;

/** What one of the component's health series says is wrong, if anything. */
function troubleIn(s: SeenSeries): Trouble | undefined {
  const first = (test: (v: number) => boolean) => s.points.find(([, v]) => test(v))?.[0];
  const base = { source: 'metrics' as const, text: s.metric, query: s.query, link: s.prometheus?.link };
  if (s.metric === 'up') {
    const down = first((v) => v < 1);
    if (down === undefined || s.recent >= 1) return undefined;
    const claim = `up{${s.scope}} fell to ${s.recent} at ${hhmm(down)} UTC: Prometheus could not scrape it`;
    return { ...base, mechanism: 'target down', kind: 'crash', category: 'host_failure', onset: down, strength: 0.9, claim };
  }
  if (/restarts$/.test(s.metric)) {
    const before = s.points[0]?.[1] ?? 0;
    // process restarts counts starts within the last 30 minutes; pod restarts is the container's running total.
    const restarted = first((v) => (s.metric === 'process restarts' ? v > 0 : v > before));
    if (restarted === undefined) return undefined;
    const claim = `${s.metric} on ${s.scope} rose to ${s.max} at ${hhmm(restarted)} UTC`;
    return { ...base, mechanism: 'restarting', kind: 'crash', category: 'host_failure', onset: restarted, strength: 0.7, claim };
  }
  const kind = metricKindOf(s.metric);
  if (/\(share\)$/.test(s.metric) && kind && s.recent >= SATURATED_SHARE) {
    const full = first((v) => v >= SATURATED_SHARE) ?? s.points.at(-1)?.[0] ?? 0;
    const claim = `${s.metric} on ${s.scope} reached ${Math.round(s.recent * 100)}% from ${hhmm(full)} UTC`;
    return {
      ...base,
      mechanism: kind.mechanism,
      kind: 'saturation',
      category: kind.category,
      onset: full,
      strength: 0.5 + s.recent / 2,
      claim,
    };
  }
  return undefined;
}

/** The trouble a component's own Prometheus health series show: it is down, it restarted, its node is saturated. */
export function prometheusTroubles(node: Pick<ChainNode, 'name'>, readings: Readings): Trouble[] {
  return readings.series.flatMap((s) => {
    const trouble = s.prometheus && isOwnSeries(s, node.name) ? troubleIn(s) : undefined;
    return trouble ? [trouble] : [];
  });
}
