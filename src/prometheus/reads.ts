import { type MetricSummary, onsetOf, summariseSeries, topSeries } from '../evidence/sources';
import { type PrometheusActiveAlert, type PrometheusClient, PrometheusFailure, type PrometheusRule, type RangeSeries } from './client';
import { alertExpression, type HealthQuery, healthQueries, seriesScope } from './queries';

/** One sample every five seconds: a 30-minute window is 360 points. */
const STEP_S = 5;
/** Samples per series at most: a day-long window is read at a coarser step, well under Prometheus' 11,000. */
const MAX_POINTS = 720;
const MAX_SERIES_PER_QUERY = 3;

/** The step a window is read at: five seconds, or coarser when that would be more than MAX_POINTS samples. */
export const stepFor = (window: { from: Date; to: Date }) =>
  Math.max(STEP_S, Math.ceil((window.to.getTime() - window.from.getTime()) / 1000 / MAX_POINTS));

/** A window to read: its range, and the alert's time within it (the baseline is what came before it). */
export interface ReadWindow {
  from: Date;
  to: Date;
  alertMs: number;
}

/** A series read from Prometheus: the shared summary, when it left its baseline, and where to see it. */
export interface PrometheusSeries extends Omit<MetricSummary, 'baseline'> {
  /** Null for an alerting expression's series that appeared inside the window: before it, the condition did not hold. */
  baseline: number | null;
  onset?: string;
  link: string;
}

/** What the prefetch stored from the account's Prometheus for one alert. */
export interface StoredPrometheus {
  url: string;
  /** The rule's expression from the alert's generatorURL, and its series over the window. */
  expression?: { query: string; link: string; series: PrometheusSeries[]; onset?: string };
  /** The target's health (`up`, CPU, memory, restarts, load) where those series exist. */
  health: PrometheusSeries[];
  /** The alerting rule as /api/v1/rules has it, with its alerts for this label set. */
  rule?: Omit<PrometheusRule, 'alerts' | 'type'> & { alerts: PrometheusActiveAlert[] };
  /** The rule's pending and firing alerts as /api/v1/alerts has them. */
  alerts: PrometheusActiveAlert[];
  /** Reads that failed, with why; the others are kept. */
  notes: string[];
}

/** The alert as Alertmanager or Grafana sent it: the fields the Prometheus reads select by. */
export interface PrometheusAlertRef {
  labels: Record<string, string>;
  generatorURL?: string;
}

const sameLabels = (a: Record<string, string>, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => a[k] === v);

/** One expression over the window, summarised (onset, baseline), the series that rose most first. */
export async function readSeries(client: PrometheusClient, label: string, query: string, window: ReadWindow): Promise<PrometheusSeries[]> {
  const step = stepFor(window);
  const series = await client.queryRange(query, window, step);
  return summarise(label, query, client.graphLink(query, window), series, window, step);
}

/** An alerting expression's series: one that appeared inside the window has no baseline (before it, the condition did not hold). */
export async function readExpression(client: PrometheusClient, query: string, window: ReadWindow): Promise<PrometheusSeries[]> {
  return (await readSeries(client, 'alerting expression', query, window)).map((s) =>
    s.onset && s.onset === appearedAt(s) ? { ...s, baseline: null } : s,
  );
}

/**
 * A target's health series (up, CPU, memory, restarts, load), from its healthQueries; a query that
 * fails is noted and the rest kept, and the first failure is returned for a caller that read nothing.
 */
export async function readTargetHealth(
  client: PrometheusClient,
  queries: readonly HealthQuery[],
  window: ReadWindow,
  beat: (operation: string) => void,
  notes: string[],
): Promise<{ series: PrometheusSeries[]; failure?: unknown }> {
  const series: PrometheusSeries[] = [];
  let failure: unknown;
  for (const [i, h] of queries.entries()) {
    beat(`query_range ${h.query}`);
    try {
      series.push(...(await readSeries(client, h.label, h.query, window)));
    } catch (err) {
      failure ??= err;
      note(notes, h.label, err);
      // A server that did not answer one query will not answer the next: waiting out each timeout would outlast the activity.
      if (err instanceof PrometheusFailure && err.data.status === undefined && i < queries.length - 1) {
        notes.push(`Prometheus did not answer, so ${queries.length - 1 - i} more health queries were not read`);
        break;
      }
    }
  }
  return { series, ...(failure === undefined ? {} : { failure }) };
}

/** The alerting rule named by the labels' alertname from /api/v1/rules (with its alerts for these labels), and its alerts from /api/v1/alerts. */
export async function readRuleState(
  client: PrometheusClient,
  labels: Record<string, string>,
  beat: (operation: string) => void,
  notes: string[],
): Promise<Pick<StoredPrometheus, 'rule' | 'alerts'>> {
  const alertname = labels.alertname;
  beat('list rules');
  const rules = await client.alertingRules().catch((err: unknown) => note(notes, 'the rules', err));
  const rule = rules.find((r) => r.name === alertname);
  beat('list alerts');
  const alerts = (await client.activeAlerts().catch((err: unknown) => note(notes, 'the alerts', err))).filter(
    (a) => a.labels.alertname === alertname,
  );
  return {
    ...(rule
      ? {
          rule: {
            name: rule.name,
            query: rule.query,
            duration: rule.duration,
            state: rule.state,
            health: rule.health,
            lastError: rule.lastError || undefined,
            lastEvaluation: rule.lastEvaluation,
            labels: rule.labels,
            alerts: (rule.alerts ?? []).filter((a) => sameLabels(a.labels, labels)),
          },
        }
      : {}),
    alerts: alerts.slice(0, 10),
  };
}

/**
 * Reads one alert's evidence from Prometheus: the alerting expression and the target's health over
 * `window` (summarised with onset and baseline), and the rule's state. A failed health or rule read is
 * noted and the rest kept; a failed read of the expression fails the whole, so the activity retries.
 */
export async function readPrometheus(
  client: PrometheusClient,
  url: string,
  alert: PrometheusAlertRef,
  window: ReadWindow,
  beat: (operation: string) => void,
): Promise<StoredPrometheus> {
  const notes: string[] = [];
  const query = alertExpression(alert.generatorURL);
  if (query) beat(`query_range ${query}`);
  const expressionSeries = query ? await readExpression(client, query, window) : undefined;
  if (!query)
    notes.push("the alert's generatorURL carries no g0.expr (Grafana links to its rule), so the alerting expression was not read");
  const { series: health } = await readTargetHealth(client, healthQueries(alert.labels), window, beat, notes);
  const state = await readRuleState(client, alert.labels, beat, notes);
  return {
    url,
    ...(query && expressionSeries
      ? {
          expression: {
            query,
            link: client.graphLink(query, window),
            series: expressionSeries,
            onset: expressionSeries
              .map((s) => s.onset)
              .filter((o): o is string => !!o)
              .sort()[0],
          },
        }
      : {}),
    health,
    ...state,
    notes,
  };
}

/**
 * A Datadog alert's host and service read from the account's Prometheus: every target on the host
 * (any port) and its node, else the service's targets as a job. Nothing names a rule, so only health.
 */
export async function readHostHealth(
  client: PrometheusClient,
  url: string,
  alert: { hostname?: string; service?: string },
  window: ReadWindow,
  beat: (operation: string) => void,
): Promise<StoredPrometheus> {
  const notes: string[] = [];
  const queries = alert.hostname ? healthQueries({}, alert.hostname) : alert.service ? healthQueries({ job: alert.service }) : [];
  const { series: health, failure } = await readTargetHealth(client, queries, window, beat, notes);
  // Nothing read and a query failed: Prometheus failing, not an empty answer (retried, or refused for good).
  if (health.length === 0 && failure !== undefined) throw failure;
  return { url, health, alerts: [], notes };
}

const appearedAt = (s: PrometheusSeries) => (s.points[0] ? new Date(s.points[0][0]).toISOString() : undefined);

function note(notes: string[], what: string, err: unknown): never[] {
  notes.push(`${what} not read: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
  return [];
}

function summarise(
  label: string,
  query: string,
  link: string,
  series: RangeSeries[],
  window: { from: Date; alertMs: number },
  stepS: number,
): PrometheusSeries[] {
  const summaries = series.flatMap((s) => {
    const points = s.values.map(([t, v]): [number, number] => [t * 1000, Number(v)]).filter(([, v]) => Number.isFinite(v));
    const summary = summariseSeries(label, query, seriesScope(s.metric), points, window.alertMs);
    if (!summary) return [];
    const onset = onsetOf(points, { fromMs: window.from.getTime(), alertMs: window.alertMs, stepMs: stepS * 1000 });
    return [{ ...summary, ...(onset !== undefined ? { onset: new Date(onset).toISOString() } : {}) }];
  });
  return topSeries(summaries, MAX_SERIES_PER_QUERY).map((s) => ({
    ...s,
    baseline: Number.isFinite(s.baseline) ? s.baseline : null,
    link,
  }));
}
