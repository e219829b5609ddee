/** Datadog search and metric query strings, built from alert fields. Pure, so they are unit-tested. */

/** A search-syntax value: bare when safe, else double-quoted with quotes and backslashes escaped. */
export function searchValue(value: string): string {
  return /^[\w.\-/@]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Error and warning logs for the alert's host or service. Parenthesised, so the status filter
 * applies to both sides of the OR (the old query pulled every host's warnings). Undefined when
 * the alert names neither.
 */
export function alertLogsQuery(target: { hostname?: string; service?: string }): string | undefined {
  const scopes = [
    target.hostname && `host:${searchValue(target.hostname)}`,
    target.service && `service:${searchValue(target.service)}`,
  ].filter(Boolean);
  if (scopes.length === 0) return undefined;
  return `(${scopes.join(' OR ')}) AND status:(error OR warn)`;
}

export interface MetricQuery {
  /** What the figure means to a person: "host CPU", "error count". */
  label: string;
  query: string;
}

/** The first `aggregator:metric{scope}` of a monitor query, e.g. avg + system.cpu.user. */
export function monitorMetric(monitorQuery: string): { aggregator: string; metric: string } | undefined {
  const match = monitorQuery.match(/\b(avg|sum|min|max|p\d+):([\w.]+)\{/);
  return match ? { aggregator: match[1]!.startsWith('p') ? 'avg' : match[1]!, metric: match[2]! } : undefined;
}

/**
 * Key metrics for an alert: the monitor's own metric over the alert's scope, host CPU, memory,
 * disk and load for an alert with a host, and APM errors, hits and latency for a service (the
 * framework taken from the monitor's trace metric when it has one).
 */
export function keyMetricQueries(alert: { hostname?: string; service?: string; scope?: string; monitorQuery?: string }): MetricQuery[] {
  const queries: MetricQuery[] = [];
  const own = alert.monitorQuery ? monitorMetric(alert.monitorQuery) : undefined;
  const scope = alert.scope && alert.scope !== '*' ? alert.scope : alert.hostname ? `host:${alert.hostname}` : '*';
  if (own) queries.push({ label: `monitor metric ${own.metric}`, query: `${own.aggregator}:${own.metric}{${scope}}` });
  if (alert.hostname) {
    const host = `host:${alert.hostname}`;
    queries.push(
      { label: 'host CPU user %', query: `avg:system.cpu.user{${host}}` },
      { label: 'host load (1 min)', query: `avg:system.load.1{${host}}` },
      { label: 'host usable memory %', query: `avg:system.mem.pct_usable{${host}}` },
      { label: 'host disk in use', query: `max:system.disk.in_use{${host}}` },
    );
  }
  if (alert.service) {
    const framework = own?.metric.match(/^trace\.([\w]+)\.request/)?.[1] ?? 'http';
    const service = `service:${alert.service}`;
    queries.push(
      { label: 'service errors', query: `sum:trace.${framework}.request.errors{${service}}` },
      { label: 'service hits', query: `sum:trace.${framework}.request.hits{${service}}` },
      { label: 'service latency', query: `avg:trace.${framework}.request.duration{${service}}` },
    );
  }
  const seen = new Set<string>();
  return queries.filter((q) => !seen.has(q.query) && seen.add(q.query));
}

/** The alert host's lines that are not errors or warnings: what else runs there (a batch job, a cron) says INFO. */
export function hostActivityLogsQuery(hostname: string): string {
  return `host:${searchValue(hostname)} AND -status:(error OR warn)`;
}

/**
 * Errors and warnings of other services on the hosts the alerting service runs on (its peers):
 * a co-located process or the server in front of the service often logs the cause under its own name.
 */
export function peerErrorLogsQuery(peers: string[], service: string): string | undefined {
  if (peers.length === 0) return undefined;
  return `host:(${peers.map(searchValue).join(' OR ')}) AND -service:${searchValue(service)} AND status:(error OR warn)`;
}

/** Request logs anywhere, by the attributes that carry a client's user agent (Datadog's standard one and common raw names). */
export const REQUEST_LOGS_QUERY = '@http.useragent:* OR @http.user_agent:* OR @user_agent:* OR @http_user_agent:*';

/** Per-process CPU and memory on the alert's host (the process check's metrics), one series per process. */
export function processMetricQueries(hostname: string): MetricQuery[] {
  const host = `host:${hostname}`;
  return [
    { label: 'process CPU %', query: `avg:system.processes.cpu.pct{${host}} by {process_name}` },
    { label: 'process resident memory', query: `avg:system.processes.mem.rss{${host}} by {process_name}` },
  ];
}
