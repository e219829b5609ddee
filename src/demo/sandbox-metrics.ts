import type { MaterializedMetric, ScenarioHost } from './scenario';

/** `avg:system.cpu.user{host:web-07,!env:dev} by {host}`, functions such as `.as_count()` ignored. */
export interface MetricQuery {
  aggregator: 'avg' | 'sum' | 'min' | 'max';
  metric: string;
  /** Tags a series must have; `*` is none. */
  scope: string[];
  /** Tags a series must not have (written `!tag`). */
  excluded: string[];
  groupBy: string[];
}

/** Thrown when a metrics query is outside the `aggregator:metric{scope} by {tags}` form the sandbox evaluates. */
export class MetricQueryError extends Error {
  constructor(query: string) {
    super(`Error parsing query: the sandbox evaluates "aggregator:metric{scope} by {tags}" only, got "${query}"`);
    this.name = 'MetricQueryError';
  }
}

const QUERY = /^(?:(avg|sum|min|max):)?([\w.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?$/;
const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== '*');

/** Parses one metrics query. Throws MetricQueryError. */
export function parseMetricQuery(query: string): MetricQuery {
  const [, aggregator = 'avg', metric, scopeTags, groupTags] = QUERY.exec(query.trim().replace(/\.\w+\([^)]*\)/g, '')) ?? [];
  if (metric === undefined) throw new MetricQueryError(query);
  const scope = list(scopeTags);
  return {
    aggregator: aggregator as MetricQuery['aggregator'],
    metric,
    scope: scope.filter((t) => !t.startsWith('!')),
    excluded: scope.filter((t) => t.startsWith('!')).map((t) => t.slice(1)),
    groupBy: list(groupTags),
  };
}

export interface MetricSeries {
  metric: string;
  /** The group's tags (`host:web-07`), or the query's scope when not grouped. */
  scope: string[];
  tagSet: string[];
  intervalS: number;
  /** [epoch ms, value] on the interval grid. */
  points: Array<[number, number]>;
}

// Datadog picks a rollup interval that keeps a graph near 300 points.
const INTERVALS_S = [20, 60, 300, 600, 1800, 3600, 7200, 14400, 86400];
export const intervalFor = (spanS: number) => INTERVALS_S.find((i) => spanS / i <= 300) ?? 86400;

/** The value of a piecewise-linear series at `t`, or undefined outside its first and last point. */
export function interpolate(points: Array<[number, number]>, t: number): number | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || t < first[0] || t > last[0]) return undefined;
  let before: [number, number] | undefined;
  for (const point of points) {
    const [t1, v1] = point;
    if (t1 >= t) {
      if (t1 === t || !before) return v1;
      const [t0, v0] = before;
      return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
    before = point;
  }
  return undefined; // not reached: t is at most the last point's time
}

const AGGREGATE: Record<MetricQuery['aggregator'], (values: number[]) => number> = {
  avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  sum: (v) => v.reduce((a, b) => a + b, 0),
  min: (v) => Math.min(...v),
  max: (v) => Math.max(...v),
};

/** A stored series' tags: its scope, plus the tags of its host, so `{role:web}` finds host-scoped series. */
function seriesTags(series: MaterializedMetric, hosts: ScenarioHost[]): string[] {
  const scope = list(series.scope);
  const host = scope.find((t) => t.startsWith('host:'))?.slice(5);
  return [...scope, ...(hosts.find((h) => h.name === host)?.tags ?? [])];
}

/**
 * Names of the metrics with a point since `fromMs`, as Datadog's "active metrics" list answers:
 * narrowed to one host, or to series carrying every tag of `tagFilter` (`service:x,env:prod`).
 */
export function activeMetrics(
  stored: MaterializedMetric[],
  hosts: ScenarioHost[],
  filter: { fromMs: number; host?: string; tagFilter?: string },
): string[] {
  const wanted = [...list(filter.tagFilter), ...(filter.host ? [`host:${filter.host}`] : [])];
  const names = stored
    .filter((s) => s.points.some(([t]) => t >= filter.fromMs))
    .filter((s) => {
      const tags = seriesTags(s, hosts);
      return wanted.every((t) => tags.includes(t));
    })
    .map((s) => s.metric);
  return [...new Set(names)].sort();
}

/** Evaluates a query over the stored series between two epoch-ms bounds: one series per group, points interpolated on Datadog's grid. */
export function evaluateMetricQuery(
  query: MetricQuery,
  stored: MaterializedMetric[],
  hosts: ScenarioHost[],
  fromMs: number,
  toMs: number,
): MetricSeries[] {
  const intervalS = intervalFor((toMs - fromMs) / 1000);
  const step = intervalS * 1000;
  const groups = new Map<string, { tags: string[]; members: MaterializedMetric[] }>();
  for (const series of stored.filter((s) => s.metric === query.metric)) {
    const tags = seriesTags(series, hosts);
    if (!query.scope.every((t) => tags.includes(t)) || query.excluded.some((t) => tags.includes(t))) continue;
    const groupTags = query.groupBy.map((key) => tags.find((t) => t.startsWith(`${key}:`)) ?? `${key}:N/A`);
    const key = groupTags.join(',');
    const group = groups.get(key) ?? { tags: groupTags, members: [] };
    group.members.push(series);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ tags, members }) => {
    const points: Array<[number, number]> = [];
    for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) {
      const values = members.map((m) => interpolate(m.points, t)).filter((v): v is number => v !== undefined);
      if (values.length > 0) points.push([t, AGGREGATE[query.aggregator](values)]);
    }
    return { metric: query.metric, scope: tags.length > 0 ? tags : query.scope, tagSet: tags, intervalS, points };
  });
}
