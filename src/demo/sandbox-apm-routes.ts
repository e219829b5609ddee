import { Hono } from 'hono';
import { z } from 'zod';
import { DatadogApiError, isoTime, readBody, readQuery } from './sandbox-http';
import { matchesQuery, parseSearchQuery, parseSearchTime } from './sandbox-logs-query';
import type { DataSource } from './sandbox-store';
import type { MaterializedSpans } from './scenario';

/**
 * APM from a scenario's `service_map` and `spans`: Datadog's service dependencies
 * (`GET /api/v1/service_dependencies`) and span analytics (`POST /api/v2/spans/analytics/aggregate`),
 * in their public shapes. Spans are served as counts per 10 s: each endpoint's `baseline` rates (per
 * minute) before its `since`, its `now` rates after; every latency aggregation gives the slot's one latency.
 */

const MINUTE_MS = 60_000;
/** Spans are counted in slots this long: fine enough that a change seconds before an alert shows. */
const SLOT_MS = 10_000;
const FACETS = ['service', 'resource_name', 'status'] as const;
type Facet = (typeof FACETS)[number];
const LATENCY = /^(avg|min|max|median|pc(75|90|95|98|99))$/;

const DependencyParams = z.object({
  env: z.string().min(1),
  primary_tag: z.string().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
});

const Compute = z.object({
  aggregation: z.string().min(1),
  metric: z.string().optional(),
  type: z.enum(['total', 'timeseries']).default('total'),
  interval: z.string().optional(),
});

const AggregateBody = z.object({
  data: z.object({
    type: z.literal('aggregate_request').optional(),
    attributes: z.object({
      compute: z
        .array(Compute)
        .min(1)
        .default([{ aggregation: 'count', type: 'total' }]),
      filter: z.object({ query: z.string().optional(), from: z.string().optional(), to: z.string().optional() }).default({}),
      group_by: z.array(z.looseObject({ facet: z.string().min(1), limit: z.number().int().min(1).optional() })).default([]),
      options: z.looseObject({}).optional(),
    }),
  }),
});

/** One slot of one endpoint's spans with one status: how many, and how long they took. */
interface SpanSlot {
  at: number;
  facets: Record<Facet, string>;
  count: number;
  latencyMs: number;
}

function slotsOf(spans: MaterializedSpans[], from: number, to: number): SpanSlot[] {
  const out: SpanSlot[] = [];
  const perSlot = SLOT_MS / MINUTE_MS;
  for (let at = Math.ceil(from / SLOT_MS) * SLOT_MS; at < to; at += SLOT_MS)
    for (const s of spans) {
      const rates = at < s.since.getTime() ? s.baseline : s.now;
      const base = { at, latencyMs: rates.latency_ms };
      const ok = (rates.hits - rates.errors) * perSlot;
      out.push({ ...base, facets: { service: s.service, resource_name: s.resource, status: 'ok' }, count: ok });
      out.push({ ...base, facets: { service: s.service, resource_name: s.resource, status: 'error' }, count: rates.errors * perSlot });
    }
  return out.filter((m) => m.count > 0);
}

/** `5m`, `30s`, `1h` or milliseconds, as the span API takes an interval. */
function intervalMs(interval: string | undefined, rangeMs: number): number {
  if (interval === undefined) return Math.max(SLOT_MS, Math.ceil(rangeMs / 30 / SLOT_MS) * SLOT_MS);
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(interval.trim());
  const unit = { ms: 1, s: 1000, m: MINUTE_MS, h: 3600_000, d: 86_400_000 }[match?.[2] ?? 'ms'];
  if (!match || !unit || Number(match[1]) <= 0) throw new DatadogApiError(400, `Invalid interval '${interval}'`);
  return Math.max(SLOT_MS, Number(match[1]) * unit);
}

/** The count, or the hits-weighted latency (in nanoseconds, as `@duration` is), of some span slots. */
function aggregate(slots: SpanSlot[], compute: z.infer<typeof Compute>): number {
  const count = slots.reduce((n, m) => n + m.count, 0);
  if (compute.aggregation === 'count') return Math.round(count);
  if (!count) return 0;
  return Math.round((slots.reduce((n, m) => n + m.latencyMs * m.count, 0) / count) * 1e6);
}

function checkCompute(compute: z.infer<typeof Compute>): void {
  if (compute.aggregation === 'count') return;
  if (!LATENCY.test(compute.aggregation))
    throw new DatadogApiError(400, `Invalid aggregation '${compute.aggregation}': the sandbox computes count and latency aggregations`);
  if (compute.metric !== '@duration')
    throw new DatadogApiError(400, `Invalid metric '${compute.metric ?? ''}': the sandbox measures @duration only`);
}

export const apmRoutes = (data: DataSource) =>
  new Hono()
    .get('/api/v1/service_dependencies', (c) => {
      readQuery(c, DependencyParams);
      return c.json(Object.fromEntries(Object.entries(data().serviceMap).map(([service, calls]) => [service, { calls }])));
    })
    .post('/api/v2/spans/analytics/aggregate', async (c) => {
      const started = Date.now();
      const { compute, filter, group_by } = (await readBody(c, AggregateBody)).data.attributes;
      compute.forEach(checkCompute);
      const facets = group_by.map((g) => {
        if (!(FACETS as readonly string[]).includes(g.facet))
          throw new DatadogApiError(400, `Invalid group_by facet '${g.facet}': the sandbox groups spans by ${FACETS.join(', ')}`);
        return { facet: g.facet as Facet, limit: g.limit ?? 10 };
      });
      const now = Date.now();
      const from = parseSearchTime(filter.from, now, now - 15 * MINUTE_MS);
      const to = parseSearchTime(filter.to, now, now);
      const query = parseSearchQuery(filter.query);
      const slots = slotsOf(data().spans, from, to).filter((m) =>
        matchesQuery(query, {
          facets: { ...Object.fromEntries(Object.entries(m.facets).map(([k, v]) => [k, [v]])), env: ['prod'] },
          text: '',
        }),
      );
      const groups = new Map<string, SpanSlot[]>();
      for (const m of slots) {
        const key = JSON.stringify(facets.map((f) => m.facets[f.facet]));
        groups.set(key, [...(groups.get(key) ?? []), m]);
      }
      // Each facet keeps its `limit` values with the most spans, as Datadog's top-N groups do.
      const kept = facets.map((f) => {
        const totals = new Map<string, number>();
        for (const m of slots) totals.set(m.facets[f.facet], (totals.get(m.facets[f.facet]) ?? 0) + m.count);
        return new Set(
          [...totals.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, f.limit)
            .map(([v]) => v),
        );
      });
      const buckets = [...groups.entries()]
        .filter(([key]) => (JSON.parse(key) as string[]).every((v, i) => kept[i]!.has(v)))
        .map(([key, group], i) => {
          const values = JSON.parse(key) as string[];
          const computes = Object.fromEntries(
            compute.map((k, n): [string, unknown] => {
              if (k.type === 'total') return [`c${n}`, aggregate(group, k)];
              const step = intervalMs(k.interval, to - from);
              const points = new Map<number, SpanSlot[]>();
              for (const m of group) {
                const t = from + Math.floor((m.at - from) / step) * step;
                points.set(t, [...(points.get(t) ?? []), m]);
              }
              return [
                `c${n}`,
                [...points.entries()].sort((a, b) => a[0] - b[0]).map(([t, ms]) => ({ time: isoTime(t), value: aggregate(ms, k) })),
              ];
            }),
          );
          return {
            type: 'aggregate_bucket',
            id: `bucket-${i}`,
            attributes: { by: Object.fromEntries(facets.map((f, n): [string, string | undefined] => [f.facet, values[n]])), computes },
          };
        });
      return c.json({ data: buckets, meta: { elapsed: Date.now() - started, request_id: `sandbox-${started}`, status: 'done' } });
    });
