import { escapeRegExp } from '../text-format';
/** What health queries are read for a target, and why each. */
export interface HealthQuery {
  label: string;
  query: string;
}

/** The alerting expression Prometheus puts in an alert's generatorURL (`/graph?g0.expr=…`); Grafana's links carry none. */
export function alertExpression(generatorURL: string | undefined): string | undefined {
  if (!generatorURL) return undefined;
  try {
    return new URL(generatorURL).searchParams.get('g0.expr')?.trim() || undefined;
  } catch {
    return undefined;
  }
}

// A label value inside a PromQL double-quoted string.
const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const matchers = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${quoted(v)}`)
    .join(',');

/** The labels that name an alert's target, in the order Prometheus users write them. */
const TARGET_LABELS = ['namespace', 'pod', 'job', 'instance'] as const;

/** Any port of a host, as an `instance` regex: a host's targets scrape on their own ports. */
const anyPortOf = (host: string) => quoted(`${escapeRegExp(host)}(:[0-9]+)?`);

/**
 * The queries for a target's health: `up` and the process's CPU, memory and restarts by its job and
 * instance; the pod's by namespace and pod; the node's CPU, memory and load by the instance's host
 * (its node exporter scrapes on another port). `host`, for an alert that names a host but no
 * instance (a Datadog alert), selects every target on that host. Only queries whose series exist
 * become evidence.
 */
export function healthQueries(labels: Record<string, string>, host?: string): HealthQuery[] {
  const target = Object.fromEntries(TARGET_LABELS.filter((k) => labels[k]).map((k) => [k, labels[k]!]));
  const queries: HealthQuery[] = [];
  const onHost = !target.instance && host ? `instance=~${anyPortOf(host)}` : '';
  const scrape = [matchers(Object.fromEntries(Object.entries(target).filter(([k]) => k === 'job' || k === 'instance'))), onHost]
    .filter(Boolean)
    .join(',');
  if (scrape) {
    queries.push(
      { label: 'up', query: `up{${scrape}}` },
      { label: 'process CPU (cores)', query: `rate(process_cpu_seconds_total{${scrape}}[5m])` },
      { label: 'process memory (bytes)', query: `process_resident_memory_bytes{${scrape}}` },
      { label: 'process restarts', query: `changes(process_start_time_seconds{${scrape}}[30m])` },
    );
  }
  if (target.pod) {
    const pod = matchers(Object.fromEntries(Object.entries(target).filter(([k]) => k === 'namespace' || k === 'pod')));
    queries.push(
      { label: 'pod CPU (cores)', query: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${pod},container!=""}[5m]))` },
      { label: 'pod memory (bytes)', query: `sum by (namespace, pod) (container_memory_working_set_bytes{${pod},container!=""})` },
      { label: 'pod restarts', query: `sum by (namespace, pod) (kube_pod_container_status_restarts_total{${pod}})` },
    );
  }
  const node = target.instance?.replace(/:\d+$/, '') ?? host;
  if (node) {
    const matcher = `instance=~${anyPortOf(node)}`;
    queries.push(
      { label: 'node CPU busy (share)', query: `1 - avg by (instance) (rate(node_cpu_seconds_total{${matcher},mode="idle"}[5m]))` },
      {
        label: 'node memory used (share)',
        query: `1 - node_memory_MemAvailable_bytes{${matcher}} / node_memory_MemTotal_bytes{${matcher}}`,
      },
      { label: 'node load (1 min)', query: `node_load1{${matcher}}` },
    );
  }
  return queries;
}

/** A series' labels as one scope string, `k:v,k:v` without the metric name. */
export const seriesScope = (metric: Record<string, string>): string =>
  Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}:${metric[k]}`)
    .join(',') || '*';
