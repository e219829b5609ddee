// The stored shapes of what the prefetch read from Datadog, and the pure helpers over them that evidence and the analysts share.
import type { AlertContext } from '../contracts/rca';

/** How far back the evidence looks: the old system's 30 minutes before the alert. */
export const EVIDENCE_WINDOW_MS = 30 * 60_000;
/** Changes precede their symptoms by up to a few hours, so events are read further back. */
export const CHANGE_LOOKBACK_MS = 3 * 60 * 60_000;
/** The alert fires when Datadog evaluates; events about its cause can land a few minutes later. */
export const CHANGE_LOOKAHEAD_MS = 10 * 60_000;
const POINTS_KEPT = 30;
const MAX_PEERS = 10;

export interface StoredLogLine {
  at: string;
  host?: string;
  service?: string;
  status?: string;
  message: string;
  /** The attributes Datadog parsed from the line (`http.useragent`, `network.client.ip`…), when it has any. */
  attributes?: Record<string, unknown>;
}

export interface StoredEvent {
  id?: string;
  at: string;
  title: string;
  text: string;
  source?: string;
  alertType?: string;
  tags: string[];
}

export interface MetricSummary {
  label: string;
  query: string;
  scope: string;
  points: Array<[number, number]>;
  min: number;
  max: number;
  last: number;
  /** Mean of the first two thirds of the window, against the last five minutes. */
  baseline: number;
  recent: number;
}

export const windowOf = (ctx: AlertContext) => {
  const to = new Date(ctx.alertTime);
  return { from: new Date(to.getTime() - EVIDENCE_WINDOW_MS), to };
};

/** Where events are read: from a few hours before the alert to a few minutes after it. */
export const changeWindowOf = (ctx: AlertContext) => {
  const alertMs = Date.parse(ctx.alertTime);
  return { from: new Date(alertMs - CHANGE_LOOKBACK_MS), to: new Date(alertMs + CHANGE_LOOKAHEAD_MS) };
};

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** The series that matter of a grouped query (one per process): the highest just before the alert. */
export function topSeries(series: MetricSummary[], limit: number): MetricSummary[] {
  return [...series].sort((a, b) => b.recent - a.recent || b.max - a.max).slice(0, limit);
}

/** A series reduced to what an analyst reads: a few points, extremes, baseline against the last minutes. */
export function summariseSeries(
  label: string,
  query: string,
  scope: string,
  pointlist: Array<[number, number | null]>,
  alertMs: number,
): MetricSummary | undefined {
  const points = pointlist.filter((p): p is [number, number] => typeof p[1] === 'number');
  if (points.length === 0) return undefined;
  const values = points.map((p) => p[1]);
  const firstMs = points[0]![0];
  const baselineEnd = firstMs + ((alertMs - firstMs) * 2) / 3;
  const step = Math.max(1, Math.ceil(points.length / POINTS_KEPT));
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    label,
    query,
    scope,
    points: points.filter((_, i) => i % step === 0 || i === points.length - 1).map(([t, v]) => [t, round(v)]),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    last: round(values[values.length - 1]!),
    baseline: round(mean(points.filter(([t]) => t <= baselineEnd).map((p) => p[1]))),
    recent: round(mean(points.filter(([t]) => t >= alertMs - 5 * 60_000).map((p) => p[1]))),
  };
}

/** Lines of one logs search besides the alert's own, and why it was made. */
export interface LogSearch {
  query: string;
  why: string;
  lines: StoredLogLine[];
  /** A template first seen this many minutes before the alert counts as new (15 when unset). */
  newWithinMinutes?: number;
  /** Error and warning lines only, which may name the hosts they failed against. */
  errors?: boolean;
}

/** Other hosts where the alerting service logged: its peers, whose other processes may log the cause. */
export function peersOf(lines: StoredLogLine[], alert: { hostname?: string; service?: string }): string[] {
  const peers = new Set(lines.filter((l) => l.service === alert.service && l.host && l.host !== alert.hostname).map((l) => l.host!));
  return [...peers].sort().slice(0, MAX_PEERS);
}

/**
 * When a series left its baseline for good, up to the alert (ms): the first point after its last gap
 * when it appeared inside the window (an alerting expression such as `x > 1` has samples only while it
 * holds), else the first of the points up to the alert that all stay away from the first two thirds'
 * mean. Undefined when the series is at its baseline at the alert.
 */
export function onsetOf(points: Array<[number, number]>, window: { fromMs: number; alertMs: number; stepMs: number }): number | undefined {
  const { fromMs, alertMs, stepMs } = window;
  const upToAlert = points.filter(([t]) => t <= alertMs + stepMs);
  if (upToAlert.length === 0) return undefined;
  let start = 0;
  for (let i = 1; i < upToAlert.length; i += 1) if (upToAlert[i]![0] - upToAlert[i - 1]![0] > 2 * stepMs) start = i;
  if (start > 0 || upToAlert[0]![0] > fromMs + 2 * stepMs) return upToAlert[start]![0];
  const baselineEnd = fromMs + ((alertMs - fromMs) * 2) / 3;
  const before = upToAlert.filter(([t]) => t <= baselineEnd).map(([, v]) => v);
  const base = mean(before);
  const spread = Math.sqrt(mean(before.map((v) => (v - base) ** 2)));
  // Away means beyond the baseline's own noise and a tenth of its size: a flat series' smallest step counts.
  const band = Math.max(3 * spread, Math.abs(base) / 10, 1e-9);
  let i = upToAlert.length - 1;
  while (i >= 0 && Math.abs(upToAlert[i]![1] - base) > band) i -= 1;
  return i === upToAlert.length - 1 ? undefined : upToAlert[i + 1]![0];
}
