import type { PrometheusClient } from './client';
import { healthQueries } from './queries';
import { type PrometheusSeries, readRuleState, readSeries, readTargetHealth, stepFor } from './reads';

/**
 * The Prometheus tools of an investigation, over the same reads the prefetch makes: one expression,
 * a target's health, a rule's state. Each answers JSON text; a read that fails throws, so the
 * caller records the call as failed.
 */

/** A series as a tool answers it: its times in ISO 8601. */
const shown = (s: PrometheusSeries) => ({ ...s, points: s.points.map(([t, v]) => [new Date(t).toISOString(), v]) });
const noBeat = () => undefined;

/** `query_range` over the range at a step that keeps every series under the point bound, summarised. */
export async function prometheusQueryRange(client: PrometheusClient, query: string, range: { from: Date; to: Date }): Promise<string> {
  const series = await readSeries(client, query, query, { ...range, alertMs: range.to.getTime() });
  return JSON.stringify({
    query,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    step_s: stepFor(range),
    link: client.graphLink(query, range),
    series: series.length ? series.map(shown) : 'no series for this expression in the range',
  });
}

/** The target's up, CPU, memory, restarts and its node's load by its labels (and a host's, any port); throws the first failure when nothing was read. */
export async function prometheusTargetHealth(
  client: PrometheusClient,
  target: Record<string, string>,
  range: { from: Date; to: Date },
  host?: string,
): Promise<string> {
  const notes: string[] = [];
  const queries = healthQueries(target, host);
  const { series, failure } = await readTargetHealth(client, queries, { ...range, alertMs: range.to.getTime() }, noBeat, notes);
  if (series.length === 0 && failure !== undefined) throw failure;
  return JSON.stringify({
    target: { ...target, ...(host ? { host } : {}) },
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    series: series.length ? series.map(shown) : 'no health series for this target in the range (no up, process, pod or node metrics)',
    ...(notes.length ? { notes } : {}),
  });
}

/** The rule from /api/v1/rules and its pending and firing alerts from /api/v1/alerts; throws when both reads failed. */
export async function prometheusRuleState(client: PrometheusClient, alertname: string, labels: Record<string, string>): Promise<string> {
  const notes: string[] = [];
  const state = await readRuleState(client, { ...labels, alertname }, noBeat, notes);
  if (notes.length === 2) throw new Error(notes.join('; '));
  return JSON.stringify({
    alertname,
    rule: state.rule ?? `no alerting rule named ${alertname}`,
    alerts: state.alerts,
    ...(notes.length ? { notes } : {}),
  });
}
