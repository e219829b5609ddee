import { v1, v2 } from '@datadog/datadog-api-client';
import type { z } from 'zod';
import type { AccountCredentials, PrometheusSettings } from '../accounts/store';
import { aggregateSpans, readServiceDependencies, type ServiceDependencies, type SpanSeries } from '../datadog/apm';
import { callDatadog } from '../datadog/client';
import { type DatadogCall, monitorSummary, readHost } from '../datadog/reads';
import { mineLogTemplates } from '../evidence/log-templates';
import type { SimilarityProviders } from '../similarity/providers';
import { describeIssues, type ReadToolName, TOOL_INPUTS } from './claude-tools';
import { type StoredLogLine, summariseSeries } from '../evidence/sources';
import { findSimilar } from '../similarity/rank';
import { PrometheusClient } from '../prometheus/client';
import { prometheusQueryRange, prometheusRuleState, prometheusTargetHealth } from '../prometheus/tools';
import { spansFail } from './investigator/service-map';

/** Tool output longer than this is cut, with a note saying so: one call must not flood the context. */
export const TOOL_OUTPUT_MAX_CHARS = 6_000;
const DEFAULT_LOG_LIMIT = 300;
/** A host or scope reports many metrics; the first this many (by name) are read. */
const MAX_SCOPE_METRICS = 16;
const MAX_RANGE_MS = 24 * 3600_000;

/** What a tool needs besides its input: the account, the evidence window, the similarity search. */
export interface ToolContext {
  /** The vector of the case under analysis, left out of similar_incidents. */
  selfId: string;
  account: string;
  /** Absent: only similar_incidents can answer (a triage with no Datadog account). */
  credentials?: AccountCredentials;
  /** Absent: the Prometheus tools answer that the account has none. */
  prometheus?: PrometheusSettings;
  window: { from: Date; to: Date };
  similarity: SimilarityProviders;
  similar: { limit: number; minScore: number };
}

/** Thrown when a tool's input is unusable; the model sees the message as an error result. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

function parseTime(value: string | number | undefined, fallback: Date, name: string): Date {
  if (value === undefined) return fallback;
  // Epoch seconds or milliseconds, as numbers or digit strings; else ISO 8601.
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  const date = Number.isFinite(n) ? new Date(n < 1e11 ? n * 1000 : n) : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new ToolInputError(`${name}: "${value}" is not an ISO 8601 time or epoch seconds`);
  return date;
}

function range(input: { from?: string | number; to?: string | number }, window: ToolContext['window']) {
  const from = parseTime(input.from, window.from, 'from');
  const to = parseTime(input.to, window.to, 'to');
  if (from >= to) throw new ToolInputError('from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new ToolInputError('the time range may span at most 24 hours');
  return { from, to };
}

/** Text with a note when cut to the bound. */
export function bounded(text: string, max = TOOL_OUTPUT_MAX_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[truncated: ${max} of ${text.length} characters shown; narrow the query or the time range for the rest]`;
}

/**
 * The tags Datadog's integrations break a metric down by: the process check by process, the
 * Kubernetes and container checks by workload, the databases by table, the brokers by queue or
 * topic. A total says a component is busy; the breakdown says who.
 */
const BREAKDOWNS: ReadonlyArray<{ metric: RegExp; by: string }> = [
  { metric: /^system\.processes\./, by: 'process_name' },
  { metric: /^(kubernetes|container|docker|containerd)\./, by: 'kube_container_name,kube_daemon_set,kube_deployment,container_name' },
  { metric: /^(postgresql|mysql|sqlserver|oracle)\./, by: 'table' },
  { metric: /^(rabbitmq|kafka|sqs|aws\.sqs)\./, by: 'rabbitmq_queue,topic,queuename' },
];
const BREAKDOWN_KEPT = 3;

/** The groups of a metric on one scope, the ones that rose most first. */
async function breakdownOf(call: DatadogCall, name: string, by: string, scope: string, from: Date, to: Date) {
  const query = `avg:${name}{${scope}} by {${by}}`;
  const result = await call(`query metric ${query}`, (c) =>
    new v1.MetricsApi(c).queryMetrics({ from: Math.floor(from.getTime() / 1000), to: Math.ceil(to.getTime() / 1000), query }),
  );
  return (result.series ?? [])
    .flatMap((s) => {
      const summary = summariseSeries(name, query, s.scope ?? '', (s.pointlist ?? []) as Array<[number, number | null]>, to.getTime());
      const group = (s.tagSet ?? []).filter((t) => !t.endsWith(':N/A')).join(',');
      return summary && group ? [{ group, first: summary.points[0]?.[1] ?? 0, recent: summary.recent }] : [];
    })
    .sort((a, b) => b.recent - b.first - (a.recent - a.first))
    .slice(0, BREAKDOWN_KEPT);
}

/** Every metric active on a host or under tags, each queried over that scope and summarised. */
async function scopeMetrics(call: DatadogCall, filter: { host?: string; tagFilter?: string }, from: Date, to: Date) {
  const active = await call('list active metrics', (c) =>
    new v1.MetricsApi(c).listActiveMetrics({ from: Math.floor(from.getTime() / 1000), host: filter.host, tagFilter: filter.tagFilter }),
  );
  const names = (active.metrics ?? []).slice(0, MAX_SCOPE_METRICS);
  const scope = filter.host ? `host:${filter.host}` : filter.tagFilter!;
  const series: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const query = `avg:${name}{${scope}}`;
    const result = await call(`query metric ${query}`, (c) =>
      new v1.MetricsApi(c).queryMetrics({ from: Math.floor(from.getTime() / 1000), to: Math.ceil(to.getTime() / 1000), query }),
    );
    const first = result.series?.[0];
    const summary = first && summariseSeries(name, query, scope, (first.pointlist ?? []) as Array<[number, number | null]>, to.getTime());
    if (!summary) continue;
    const by = BREAKDOWNS.find((b) => b.metric.test(name))?.by;
    const top = by ? await breakdownOf(call, name, by, scope, from, to) : [];
    series.push({ ...summary, points: summary.points.map(([t, v]) => [new Date(t).toISOString(), v]), ...(top.length ? { top } : {}) });
  }
  return JSON.stringify({
    scope,
    from: from.toISOString(),
    to: to.toISOString(),
    metrics: (active.metrics ?? []).length,
    series: series.length ? series : 'no metric reported under this scope in the range',
  });
}

/** The part of a span range that is "now"; what comes before is the baseline. */
const SPANS_NOW_MS = 5 * 60_000;
/** Span points: 30 s apart, wider for a long range, so one aggregation stays at most 240 points a group. */
const spanInterval = (from: Date, to: Date) => `${Math.max(30, Math.ceil((to.getTime() - from.getTime()) / 1000 / 240 / 30) * 30)}s`;
const MAX_ENDPOINTS = 40;

/** What a service calls (directly or not) and who calls it: the part of the map one service needs. */
function aroundService(map: ServiceDependencies, service: string): ServiceDependencies {
  const below = new Set([service]);
  for (const s of below) for (const d of map[s] ?? []) below.add(d);
  const callers = Object.keys(map).filter((s) => (map[s] ?? []).includes(service));
  return Object.fromEntries([...below, ...callers].filter((s, i, all) => all.indexOf(s) === i).map((s) => [s, map[s] ?? []]));
}

const perMinute = (n: number, ms: number) => Math.round((n / Math.max(ms, 60_000)) * 60_000 * 10) / 10;

/**
 * Each endpoint's spans, now (the last five minutes) against the baseline (before): hits and errors
 * per minute and p95 latency; failing by `spansFail`, with when its errors first did.
 */
export function summariseEndpoints(series: readonly SpanSeries[], from: Date, to: Date) {
  const nowFrom = Math.max(from.getTime(), to.getTime() - SPANS_NOW_MS);
  type Point = { hits: number; errors: number; p95: number };
  const endpoints = new Map<string, { service: string; resource: string; points: Map<number, Point> }>();
  for (const s of series) {
    const key = `${s.service}\n${s.resource}`;
    const e = endpoints.get(key) ?? { service: s.service, resource: s.resource, points: new Map<number, Point>() };
    for (const p of s.points) {
      const point = e.points.get(p.at) ?? { hits: 0, errors: 0, p95: 0 };
      point.hits += p.count;
      if (s.status === 'error') point.errors += p.count;
      point.p95 = Math.max(point.p95, p.p95Ms);
      e.points.set(p.at, point);
    }
    endpoints.set(key, e);
  }
  return [...endpoints.values()]
    .map(({ service, resource, points }) => {
      const all = [...points.entries()].sort((a, b) => a[0] - b[0]);
      const part = (inNow: boolean) => {
        const ps = all.filter(([at]) => at >= nowFrom === inNow).map(([, p]) => p);
        const hits = ps.reduce((n, p) => n + p.hits, 0);
        const errors = ps.reduce((n, p) => n + p.errors, 0);
        const p95 = hits ? ps.reduce((n, p) => n + p.p95 * p.hits, 0) / hits : 0;
        return { hits, errors, p95: Math.round(p95) };
      };
      const baseline = part(false);
      const now = part(true);
      const baselineRate = baseline.hits ? baseline.errors / baseline.hits : 0;
      const began = all.find(([, p]) => spansFail(p.hits, p.errors, baselineRate))?.[0];
      const failing = spansFail(now.hits, now.errors, baselineRate);
      return {
        service,
        resource,
        failing,
        ...(failing && began !== undefined ? { errors_began: new Date(began).toISOString() } : {}),
        baseline: {
          hits_per_min: perMinute(baseline.hits, nowFrom - from.getTime()),
          errors_per_min: perMinute(baseline.errors, nowFrom - from.getTime()),
          p95_ms: baseline.p95,
        },
        now: {
          hits_per_min: perMinute(now.hits, to.getTime() - nowFrom),
          errors_per_min: perMinute(now.errors, to.getTime() - nowFrom),
          p95_ms: now.p95,
        },
      };
    })
    .sort(
      (a, b) => Number(b.failing) - Number(a.failing) || b.now.errors_per_min - a.now.errors_per_min || a.service.localeCompare(b.service),
    );
}

/** A read-only tool's name with its input as its schema parsed it, so a switch on the name narrows the input. */
type ReadToolCall = { [N in ReadToolName]: { tool: N; input: z.output<(typeof TOOL_INPUTS)[N]> } }[ReadToolName];

/** Runs one read-only tool and returns its output as JSON text (unbounded; the caller bounds it). Throws on bad input or a failed call. */
export async function runReadTool(name: ReadToolName, rawInput: unknown, ctx: ToolContext): Promise<string> {
  const parsed = TOOL_INPUTS[name].safeParse(rawInput);
  if (!parsed.success) throw new ToolInputError(`invalid input for ${name}: ${describeIssues(parsed.error)}`);
  const call: DatadogCall = (operation, fn) => {
    if (!ctx.credentials)
      throw new ToolInputError(`no Datadog account "${ctx.account}" is configured, so ${name} cannot run; use what you have`);
    return callDatadog(ctx.credentials, operation, fn);
  };
  const prometheus = () => {
    if (!ctx.prometheus)
      throw new ToolInputError(`account "${ctx.account}" has no Prometheus configured, so ${name} cannot run; use what you have`);
    return new PrometheusClient(ctx.prometheus, ctx.account);
  };
  // TypeScript cannot tie parsed.data to name (one schema per tool); the pair can, as TOOL_INPUTS[name] parsed it.
  const { tool, input } = { tool: name, input: parsed.data } as ReadToolCall;
  switch (tool) {
    case 'search_logs': {
      const { from, to } = range(input, ctx.window);
      const limit = input.limit ?? DEFAULT_LOG_LIMIT;
      const result = await call('search logs', (c) =>
        new v2.LogsApi(c).listLogs({
          body: { filter: { query: input.query, from: from.toISOString(), to: to.toISOString() }, page: { limit }, sort: '-timestamp' },
        }),
      );
      const lines: StoredLogLine[] = (result.data ?? []).map((log) => {
        const a = log.attributes ?? {};
        return {
          at: (a.timestamp ?? to).toISOString(),
          host: a.host,
          service: a.service,
          status: a.status,
          message: String(a.message ?? ''),
        };
      });
      const templates = mineLogTemplates(lines, to)
        .slice(0, 25)
        .map(({ template, count, firstSeen, lastSeen, hosts, services, level, example, why }) => ({
          template,
          count,
          level,
          firstSeen,
          lastSeen,
          hosts,
          services,
          example: example.slice(0, 300),
          why,
        }));
      return JSON.stringify({
        query: input.query,
        from: from.toISOString(),
        to: to.toISOString(),
        lines: lines.length,
        more: !!result.meta?.page?.after,
        templates,
      });
    }
    case 'query_metrics': {
      const { from, to } = range(input, ctx.window);
      const result = await call(`query metric ${input.query}`, (c) =>
        new v1.MetricsApi(c).queryMetrics({
          from: Math.floor(from.getTime() / 1000),
          to: Math.ceil(to.getTime() / 1000),
          query: input.query,
        }),
      );
      const series = (result.series ?? []).slice(0, 10).flatMap((s) => {
        const summary = summariseSeries(
          s.metric ?? input.query,
          input.query,
          s.scope ?? '',
          (s.pointlist ?? []) as Array<[number, number | null]>,
          to.getTime(),
        );
        return summary ? [{ ...summary, points: summary.points.map(([t, v]) => [new Date(t).toISOString(), v]) }] : [];
      });
      return JSON.stringify({
        query: input.query,
        from: from.toISOString(),
        to: to.toISOString(),
        series: series.length ? series : 'no data for this query in the range',
      });
    }
    case 'get_events': {
      const { from, to } = range(input, ctx.window);
      const result = await call('list events', (c) =>
        new v1.EventsApi(c).listEvents({ start: Math.floor(from.getTime() / 1000), end: Math.ceil(to.getTime() / 1000) }),
      );
      const words = String(input.query ?? '')
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean);
      const events = (result.events ?? [])
        .map((e) => ({
          at: new Date((e.dateHappened ?? 0) * 1000).toISOString(),
          title: e.title ?? '',
          text: (e.text ?? '').slice(0, 500),
          source: e.sourceTypeName,
          alertType: e.alertType === undefined ? undefined : String(e.alertType),
          tags: (e.tags ?? []).slice(0, 12),
        }))
        .filter((e) => words.every((w) => `${e.title} ${e.text} ${e.tags.join(' ')} ${e.source ?? ''}`.toLowerCase().includes(w)))
        .sort((a, b) => b.at.localeCompare(a.at));
      return JSON.stringify({ from: from.toISOString(), to: to.toISOString(), matched: events.length, events: events.slice(0, 40) });
    }
    case 'get_host': {
      const { hostname } = input;
      const host = await readHost(call, hostname);
      if (!('found' in host))
        return JSON.stringify({ hostname, found: false, note: 'the host is not reporting to Datadog', similar: host.similar });
      const { name: _name, ...found } = host.found;
      return JSON.stringify({ hostname, found: true, ...found });
    }
    case 'host_metrics': {
      const { from, to } = range(input, ctx.window);
      return scopeMetrics(call, { host: input.hostname }, from, to);
    }
    case 'scope_metrics': {
      const { from, to } = range(input, ctx.window);
      return scopeMetrics(call, { tagFilter: input.scope }, from, to);
    }
    case 'get_monitor': {
      const id = Number(input.monitor_id);
      if (!Number.isSafeInteger(id)) throw new ToolInputError(`monitor_id "${input.monitor_id}" is not a number`);
      const m = await call(`get monitor ${id}`, (c) => new v1.MonitorsApi(c).getMonitor({ monitorId: id }));
      return JSON.stringify({ ...monitorSummary(m), options: m.options?.thresholds });
    }
    case 'prometheus_query_range':
      return prometheusQueryRange(prometheus(), input.query, range(input, ctx.window));
    case 'prometheus_target_health': {
      const { job, instance, pod, namespace, host } = input;
      const target = Object.fromEntries(Object.entries({ namespace, pod, job, instance }).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      return prometheusTargetHealth(prometheus(), target, range(input, ctx.window), host);
    }
    case 'prometheus_rule_state':
      return prometheusRuleState(prometheus(), input.alertname, input.labels ?? {});
    case 'service_dependencies': {
      const env = input.env ?? 'prod';
      const map = await readServiceDependencies(call, { env, ...ctx.window });
      const dependencies = input.service ? aroundService(map, input.service) : map;
      return JSON.stringify({
        env,
        services: Object.keys(map).length,
        ...(input.service ? { service: input.service } : {}),
        dependencies,
        ...(Object.keys(map).length ? {} : { note: `no APM service map for env ${env}` }),
      });
    }
    case 'span_aggregates': {
      const { from, to } = range(input, ctx.window);
      const query = input.query ?? '*';
      const endpoints = summariseEndpoints(await aggregateSpans(call, { query, from, to, interval: spanInterval(from, to) }), from, to);
      return JSON.stringify({
        query,
        from: from.toISOString(),
        to: to.toISOString(),
        now_from: new Date(Math.max(from.getTime(), to.getTime() - SPANS_NOW_MS)).toISOString(),
        endpoints: endpoints.slice(0, MAX_ENDPOINTS),
        ...(endpoints.length > MAX_ENDPOINTS ? { more: endpoints.length - MAX_ENDPOINTS } : {}),
        ...(endpoints.length ? {} : { note: 'no spans in the range' }),
      });
    }
    case 'similar_incidents': {
      const hits = await findSimilar(ctx.similarity, input.text, {
        limit: ctx.similar.limit,
        minScore: ctx.similar.minScore,
        filter: { account: ctx.account, excludeId: ctx.selfId },
      });
      return JSON.stringify({
        incidents: hits.map((h) => ({
          id: h.id,
          title: h.payload.title,
          rootCause: h.payload.rootCause,
          category: h.payload.category,
          score: Math.round(h.score * 1000) / 1000,
          confirmed: h.payload.confirmed,
        })),
        ...(hits.length ? {} : { note: `no past incident scores ${ctx.similar.minScore} or more` }),
      });
    }
  }
}
