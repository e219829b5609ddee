import { Hono } from 'hono';
import { z } from 'zod';
import { boolParam, commaList, DatadogApiError, intParam, isoTime, readQuery, unixSeconds } from './sandbox-http';
import { activeMetrics, evaluateMetricQuery, parseMetricQuery } from './sandbox-metrics';
import { type DataSource, SANDBOX_USER, type SandboxData, type SandboxMonitor } from './sandbox-store';
import type { ScenarioHost } from './scenario';

// ---- monitors ----

/** Tags inside the query's scope braces, not its `by {…}` groups: `role:web`, `env:prod`. */
function scopeTagsOf(query: string): string[] {
  return [...query.matchAll(/(\bby\s*)?\{([^}]*)\}/g)]
    .filter((m) => !m[1])
    .flatMap((m) => commaList(m[2]))
    .filter((t) => t !== '*');
}

const metricsOf = (query: string) => [...new Set([...query.matchAll(/([A-Za-z_][\w.]*)\{/g)].map((m) => m[1]))];
const classificationOf = (type: string) => (/^(metric|query) alert$/.test(type) ? 'metric' : type.replace(/ alert$/, ''));

function monitorJson(m: SandboxMonitor, data: SandboxData) {
  // A monitor that exists before any scenario starts: a month older than the alert.
  const created = new Date(data.alertTime.getTime() - 30 * 86400e3);
  const threshold = /([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(m.query);
  return {
    org_id: data.orgId,
    options: {
      notify_audit: false,
      include_tags: true,
      new_host_delay: 300,
      notify_no_data: false,
      require_full_window: false,
      silenced: {},
      ...(threshold ? { thresholds: { critical: Number(threshold[2]) } } : {}),
    },
    multi: /\bby\s*\{/.test(m.query),
    created_at: created.getTime(),
    created: isoTime(created),
    modified: isoTime(created),
    deleted: null,
    restricted_roles: null,
    overall_state_modified: isoTime(data.alertTime),
    creator: SANDBOX_USER,
    // The scenario's own fields (name, type, query, message, tags, overall_state, priority, or any extra) win.
    ...m,
  };
}

function monitorSearchJson(m: SandboxMonitor, data: SandboxData) {
  return {
    id: m.id,
    name: m.name,
    status: m.overall_state,
    type: m.type,
    tags: m.tags,
    query: m.query,
    classification: classificationOf(m.type),
    creator: { handle: SANDBOX_USER.handle, name: SANDBOX_USER.name, id: SANDBOX_USER.id },
    metrics: metricsOf(m.query),
    notifications: [...m.message.matchAll(/@([\w.-]+)/g)].map(([, handle]) => ({ handle, name: handle })),
    org_id: data.orgId,
    priority: m.priority,
    scopes: scopeTagsOf(m.query),
    last_triggered_ts: m.overall_state === 'OK' ? null : unixSeconds(data.alertTime),
    muted_until_ts: null,
    overall_state_modified: isoTime(data.alertTime),
    restricted_roles: [],
  };
}

const MONITOR_STATES = ['alert', 'warn', 'no data', 'ok', 'ignored', 'skipped', 'unknown'];
const GROUP_STATES = ['all', 'alert', 'warn', 'no data'];

/** Monitor search terms: `status:`, `type:`, `tag:`, `id:`, `muted:`, `notification:`, other `key:value` as a tag, free text in name or query. */
function monitorSearchMatcher(query: string): (m: SandboxMonitor) => boolean {
  const checks = [...query.matchAll(/(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)/g)].map((t): ((m: SandboxMonitor) => boolean) => {
    const key = (t[1] ?? t[3])?.toLowerCase();
    // One alternative of the pattern always matches, and each captures a value.
    const value = (t[2] ?? t[4] ?? t[5] ?? t[6] ?? '').toLowerCase();
    switch (key) {
      case undefined:
        return (m) => m.name.toLowerCase().includes(value) || m.query.toLowerCase().includes(value);
      case 'status':
        if (!MONITOR_STATES.includes(value))
          throw new DatadogApiError(400, `Query parsing error: '${value}' is not a valid monitor status`);
        return (m) => m.overall_state.toLowerCase() === value;
      case 'type':
        return (m) => classificationOf(m.type) === value || m.type === value;
      case 'tag':
        return (m) => m.tags.some((tag) => tag.toLowerCase() === value);
      case 'id':
        return (m) => String(m.id) === value;
      case 'muted':
        // Downtimes do not mute sandbox monitors.
        return () => value === 'false';
      case 'notification':
        return (m) => m.message.toLowerCase().includes(`@${value}`);
      default:
        return (m) => m.tags.some((tag) => tag.toLowerCase() === `${key}:${value}`);
    }
  });
  return (m) => checks.every((check) => check(m));
}

function countBy<T>(items: T[], keysOf: (item: T) => Array<string | boolean>) {
  const counts = new Map<string | boolean, number>();
  for (const item of items) for (const key of keysOf(item)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([name, count]) => ({ count, name })).sort((a, b) => b.count - a.count);
}

const ListMonitorsQuery = z.object({
  group_states: z.string().optional(),
  name: z.string().optional(),
  tags: z.string().optional(),
  monitor_tags: z.string().optional(),
  id_offset: intParam.optional(),
  page: intParam.min(0).optional(),
  page_size: intParam.min(1).max(1000).optional(),
});

const SearchMonitorsQuery = z.object({
  query: z.string().optional(),
  page: intParam.min(0).default(0),
  per_page: intParam.min(1).max(1000).default(30),
});

const monitorRoutes = (data: DataSource) =>
  new Hono()
    .get('/search', (c) => {
      const { query, page, per_page } = readQuery(c, SearchMonitorsQuery);
      const matched = data().monitors.filter(monitorSearchMatcher(query ?? ''));
      return c.json({
        counts: {
          status: countBy(matched, (m) => [m.overall_state]),
          muted: countBy(matched, () => [false]),
          tag: countBy(matched, (m) => m.tags),
          type: countBy(matched, (m) => [classificationOf(m.type)]),
        },
        monitors: matched.slice(page * per_page, (page + 1) * per_page).map((m) => monitorSearchJson(m, data())),
        metadata: { total_count: matched.length, page_count: Math.ceil(matched.length / per_page), page, per_page },
      });
    })
    .get('/:monitor_id{[0-9]+}', (c) => {
      const monitor = data().monitors.find((m) => m.id === Number(c.req.param('monitor_id')));
      if (!monitor) throw new DatadogApiError(404, 'Monitor not found');
      return c.json(monitorJson(monitor, data()));
    })
    .get('/', (c) => {
      const q = readQuery(c, ListMonitorsQuery);
      if (commaList(q.group_states).some((s) => !GROUP_STATES.includes(s))) throw new DatadogApiError(400, 'Invalid group_state filters.');
      const matched = data().monitors.filter(
        (m) =>
          (!q.name || m.name.toLowerCase().includes(q.name.toLowerCase())) &&
          commaList(q.tags).every((t) => scopeTagsOf(m.query).includes(t)) &&
          commaList(q.monitor_tags).every((t) => m.tags.includes(t)) &&
          (q.id_offset === undefined || m.id > q.id_offset),
      );
      // Without `page` Datadog returns every monitor; with it, pages of `page_size` (default 100).
      const size = q.page_size ?? 100;
      const page = q.page === undefined ? matched : matched.slice(q.page * size, (q.page + 1) * size);
      return c.json(page.map((m) => monitorJson(m, data())));
    });

// ---- hosts and host tags ----

// Hosts that stopped reporting did so a quarter of an hour before the alert.
const DOWN_FOR_S = 900;
const FIRST_HOST_ID = 2_000_000_001;

const reportedAt = (h: ScenarioHost, data: SandboxData) => unixSeconds(data.alertTime) - (h.up ? 0 : DOWN_FOR_S);

function hostJson(h: ScenarioHost, index: number, data: SandboxData, withMetadata: boolean) {
  return {
    name: h.name,
    host_name: h.name,
    id: FIRST_HOST_ID + index,
    aliases: [h.name],
    apps: h.apps,
    tags_by_source: { Datadog: [...h.tags, `host:${h.name}`] },
    up: h.up,
    is_muted: false,
    mute_timeout: null,
    last_reported_time: reportedAt(h, data),
    sources: ['agent'],
    ...(h.metrics ? { metrics: h.metrics } : {}),
    ...(withMetadata ? { meta: { platform: h.platform } } : {}),
  };
}

/** Each word of a host filter must match: `key:value` a tag (or `host:` the name), a bare word part of the name, a tag or an app. */
function hostMatches(h: ScenarioHost, filter: string | undefined): boolean {
  return (filter ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => {
      const w = word.toLowerCase();
      const tags = [...h.tags, `host:${h.name}`].map((t) => t.toLowerCase());
      if (w.includes(':')) return tags.includes(w);
      return [h.name, ...h.apps, ...tags].some((s) => s.toLowerCase().includes(w));
    });
}

const HOST_SORT = {
  name: (h) => h.name,
  cpu: (h) => h.metrics?.cpu ?? 0,
  iowait: (h) => h.metrics?.iowait ?? 0,
  load: (h) => h.metrics?.load ?? 0,
  apps: (h) => h.apps.length,
  status: (h) => (h.up ? 1 : 0),
} satisfies Record<string, (h: ScenarioHost) => string | number>;

const ListHostsQuery = z.object({
  filter: z.string().optional(),
  sort_field: z.enum(Object.keys(HOST_SORT) as [keyof typeof HOST_SORT, ...Array<keyof typeof HOST_SORT>]).default('name'),
  sort_dir: z.enum(['asc', 'desc']).default('asc'),
  start: intParam.min(0).default(0),
  count: intParam.min(1).max(1000).default(100),
  from: intParam.optional(),
  include_hosts_metadata: boolParam.default(false),
});

const hostRoutes = (data: DataSource) =>
  new Hono()
    .get('/totals', (c) => {
      const { hosts } = data();
      return c.json({ total_active: hosts.length, total_up: hosts.filter((h) => h.up).length });
    })
    .get('/', (c) => {
      const q = readQuery(c, ListHostsQuery);
      const key = HOST_SORT[q.sort_field];
      const direction = q.sort_dir === 'asc' ? 1 : -1;
      const matched = data()
        .hosts.map((h, index) => ({ h, index }))
        .filter(({ h }) => hostMatches(h, q.filter) && (q.from === undefined || reportedAt(h, data()) >= q.from))
        .sort((a, b) => (key(a.h) < key(b.h) ? -direction : key(a.h) > key(b.h) ? direction : 0));
      const page = matched.slice(q.start, q.start + q.count);
      return c.json({
        host_list: page.map(({ h, index }) => hostJson(h, index, data(), q.include_hosts_metadata)),
        total_matching: matched.length,
        total_returned: page.length,
        exact_total_matching: true,
      });
    });

const hostTagRoutes = (data: DataSource) =>
  new Hono().get('/:host_name', (c) => {
    const host = data().hosts.find((h) => h.name === c.req.param('host_name'));
    if (!host) throw new DatadogApiError(404, 'Host not found');
    return c.json({ host: host.name, tags: host.tags });
  });

// ---- metrics ----

const QueryMetricsQuery = z.object({ from: intParam, to: intParam, query: z.string().min(1) });

const metricsRoutes = (data: DataSource) =>
  new Hono().get('/', (c) => {
    const q = readQuery(c, QueryMetricsQuery);
    const parsed = parseMetricQuery(q.query);
    const series = evaluateMetricQuery(parsed, data().metrics, data().hosts, q.from * 1000, q.to * 1000);
    return c.json({
      status: 'ok',
      res_type: 'time_series',
      resp_version: 1,
      query: q.query,
      from_date: q.from * 1000,
      to_date: q.to * 1000,
      series: series.map((s) => ({
        metric: s.metric,
        display_name: s.metric,
        expression: `${s.metric}{${s.scope.join(',') || '*'}}`,
        scope: s.scope.join(',') || '*',
        tag_set: s.tagSet,
        pointlist: s.points,
        start: s.points[0]?.[0] ?? q.from * 1000,
        end: s.points[s.points.length - 1]?.[0] ?? q.to * 1000,
        interval: s.intervalS,
        length: s.points.length,
        aggr: parsed.aggregator,
        query_index: 0,
        attributes: {},
      })),
      message: '',
      group_by: parsed.groupBy,
      values: [],
      times: [],
    });
  });

const ActiveMetricsQuery = z.object({ from: intParam, host: z.string().optional(), tag_filter: z.string().optional() });

/** GET /api/v1/metrics: the metrics active since `from`, on a host or under tags. */
const activeMetricsRoutes = (data: DataSource) =>
  new Hono().get('/', (c) => {
    const q = readQuery(c, ActiveMetricsQuery);
    const metrics = activeMetrics(data().metrics, data().hosts, { fromMs: q.from * 1000, host: q.host, tagFilter: q.tag_filter });
    return c.json({ from: String(q.from), metrics });
  });

/** The scenario's monitors, hosts and metrics, and key validation. */
export const readRoutes = (data: DataSource) =>
  new Hono()
    .get('/api/v1/validate', (c) => c.json({ valid: true }))
    .route('/api/v1/monitor', monitorRoutes(data))
    .route('/api/v1/hosts', hostRoutes(data))
    .route('/api/v1/tags/hosts', hostTagRoutes(data))
    .route('/api/v1/query', metricsRoutes(data))
    .route('/api/v1/metrics', activeMetricsRoutes(data));
